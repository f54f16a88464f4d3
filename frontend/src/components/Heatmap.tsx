import { useEffect, useState } from "preact/hooks";

import { useI18n } from "../i18n";

interface Day {
  date: string;
  count: number;
}

const CELL = 11;
const GAP = 2;
const LEVELS = ["#ebedf0", "#b7dfc0", "#6cc07f", "#2f9a4d", "#17652f"];

/** Intensity level 0..4 of a day's count relative to the busiest day (0 only for no reviews). */
export function heatLevel(count: number, max: number): number {
  if (count <= 0 || max <= 0) return 0;
  return Math.min(4, Math.max(1, Math.ceil((count / max) * 4)));
}

/** A 365-day review heatmap: one column per week, one row per weekday (SVG). */
export function Heatmap({ days }: { days: Day[] }) {
  const { t, locale } = useI18n();
  // The 365 cells are drawn in a task of their own, after the screen around them has painted.
  const [cells, setCells] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setCells(true), 0);
    return () => clearTimeout(timer);
  }, []);
  if (!days.length) return null;
  const first = new Date(`${days[0]!.date}T00:00:00`);
  const offset = (first.getDay() + 6) % 7; // Monday = row 0
  const max = Math.max(0, ...days.map((d) => d.count));
  const total = days.reduce((s, d) => s + d.count, 0);
  const active = days.filter((d) => d.count > 0).length;
  const weeks = Math.ceil((days.length + offset) / 7);
  const left = 28;
  const top = 16;
  const width = left + weeks * (CELL + GAP);
  const height = top + 7 * (CELL + GAP);
  const monthFmt = new Intl.DateTimeFormat(locale, { month: "short" });
  const dayFmt = new Intl.DateTimeFormat(locale, { weekday: "narrow" });
  // one formatter for the 365 cells' titles (a formatter per cell cost the dashboard a long task)
  const cellFmt = new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric" });
  const months: { x: number; label: string }[] = [];
  let lastMonth = -1;
  days.forEach((d, i) => {
    const date = new Date(`${d.date}T00:00:00`);
    const col = Math.floor((i + offset) / 7);
    if (date.getMonth() !== lastMonth && (i + offset) % 7 === 0) {
      lastMonth = date.getMonth();
      const x = left + col * (CELL + GAP);
      const prev = months[months.length - 1];
      if (prev && x - prev.x < 3 * (CELL + GAP)) months.pop(); // a month's first partial week: no room
      months.push({ x, label: monthFmt.format(date) });
    }
  });
  const summary = t("dash.heatmapSummary", { n: total, d: active });
  return (
    <figure class="heatmap">
      <div class="heatmap-scroll" tabIndex={0} aria-label={summary}>
        <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
          {months.map((m) => (
            <text key={`${m.x}`} x={m.x} y={10} class="heatmap-label">
              {m.label}
            </text>
          ))}
          {[0, 2, 4].map((row) => (
            <text key={row} x={0} y={top + row * (CELL + GAP) + CELL - 2} class="heatmap-label">
              {dayFmt.format(new Date(2024, 0, 1 + row))}
            </text>
          ))}
          {(cells ? days : []).map((d, i) => {
            const col = Math.floor((i + offset) / 7);
            const row = (i + offset) % 7;
            return (
              <rect
                key={d.date}
                x={left + col * (CELL + GAP)}
                y={top + row * (CELL + GAP)}
                width={CELL}
                height={CELL}
                rx={2}
                fill={LEVELS[heatLevel(d.count, max)]}
                data-count={d.count}
              >
                <title>{t("dash.heatCell", { date: cellFmt.format(new Date(`${d.date}T00:00:00`)), n: d.count })}</title>
              </rect>
            );
          })}
        </svg>
      </div>
      <figcaption class="heatmap-legend">
        <span>{t("dash.less")}</span>
        {LEVELS.map((c) => (
          <span key={c} class="swatch" style={{ background: c }} aria-hidden="true" />
        ))}
        <span>{t("dash.more")}</span>
        <span class="visually-hidden">{summary}</span>
      </figcaption>
    </figure>
  );
}
