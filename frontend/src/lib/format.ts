import type { I18n } from "../i18n";

export function formatPercent(x: number | null | undefined, locale: string, digits = 0): string {
  if (x === null || x === undefined || Number.isNaN(x)) return "—";
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: digits }).format(x);
}

export function formatDate(iso: string | null | undefined, locale: string): string {
  if (!iso) return "—";
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T00:00:00`) : new Date(iso);
  return new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric" }).format(d);
}

export function formatDateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

export function formatDuration(ms: number, t: I18n["t"]): string {
  const total = Math.max(0, Math.round(ms / 1000));
  if (total < 60) return t("dur.ms", { s: total });
  return t("dur.min", { m: Math.floor(total / 60), s: total % 60 });
}

/** Local midnight of a YYYY-MM-DD date, in seconds (charts' x axis). */
export function dayToSeconds(day: string): number {
  return new Date(`${day}T00:00:00`).getTime() / 1000;
}
