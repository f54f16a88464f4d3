import type { Lang } from "../i18n";

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

function oneDecimal(x: number): string {
  const r = Math.round(x * 10) / 10;
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

/** A scheduling interval in seconds as a learner reads it: "10分钟", "3天", "2.5个月" / "10 min", "3 d". */
export function formatInterval(seconds: number, lang: Lang): string {
  const s = Math.max(0, seconds);
  const zh = lang === "zh";
  if (s < MINUTE) return zh ? "<1分钟" : "<1 min";
  if (s < HOUR) {
    const m = Math.round(s / MINUTE);
    return m >= 60 ? (zh ? "1小时" : "1 h") : zh ? `${m}分钟` : `${m} min`;
  }
  if (s < DAY) {
    const h = s / HOUR;
    const txt = h < 10 ? oneDecimal(h) : String(Math.round(h));
    if (txt === "24") return zh ? "1天" : "1 d";
    return zh ? `${txt}小时` : `${txt} h`;
  }
  const d = s / DAY;
  if (d < 30) {
    const n = Math.round(d);
    if (n >= 30) return zh ? "1个月" : "1 mo";
    return zh ? `${n}天` : `${n} d`;
  }
  if (d < 365) {
    const mo = oneDecimal(d / 30);
    return zh ? `${mo}个月` : `${mo} mo`;
  }
  const y = oneDecimal(d / 365);
  return zh ? `${y}年` : `${y} y`;
}
