import { useMemo, useState } from "preact/hooks";
import uPlot from "uplot";

import { api, type Dashboard as DashboardData } from "../api/client";
import { AnkiImport } from "../components/AnkiImport";
import { AXIS, Chart } from "../components/Chart";
import { Heatmap } from "../components/Heatmap";
import { Link } from "../components/Link";
import { Panel } from "../components/Panel";
import { Pending } from "../components/Pending";
import { ScopePicker } from "../components/ScopePicker";
import { Welcome } from "../components/Welcome";
import { type I18n, useI18n } from "../i18n";
import { dayToSeconds, formatPercent } from "../lib/format";
import { useAsync } from "../lib/useAsync";

function dateAxis(locale: string): uPlot.Axis {
  const fmt = new Intl.DateTimeFormat(locale, { month: "numeric", day: "numeric" });
  return { ...AXIS, space: 48, values: (_u, splits) => splits.map((s) => fmt.format(new Date(s * 1000))) };
}

function dateValue(locale: string): uPlot.Series["value"] {
  const fmt = new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric" });
  return (_u, v) => (v === null ? "—" : fmt.format(new Date(v * 1000)));
}

function forecastOptions({ t, locale }: I18n): Omit<uPlot.Options, "width" | "height"> {
  return {
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
    axes: [dateAxis(locale), { ...AXIS, size: 40, values: (_u, s) => s.map((v) => (Number.isInteger(v) ? String(v) : "")) }],
    series: [
      { label: t("chart.date"), value: dateValue(locale) },
      {
        label: t("chart.reviews"),
        stroke: "#2563eb",
        fill: "rgba(37, 99, 235, 0.55)",
        width: 0,
        paths: uPlot.paths.bars!({ size: [0.7, 40], align: 0 }),
        points: { show: false },
      },
    ],
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
  };
}

function retentionOptions({ t, locale }: I18n): Omit<uPlot.Options, "width" | "height"> {
  return {
    scales: { x: { time: true }, y: { range: [0, 100] } },
    axes: [dateAxis(locale), { ...AXIS, size: 52, values: (_u, s) => s.map((v) => `${v}%`) }],
    series: [
      { label: t("chart.date"), value: dateValue(locale) },
      {
        label: t("chart.rate"),
        stroke: "#059669",
        width: 2,
        spanGaps: true,
        points: { show: true, size: 6, fill: "#059669" },
        value: (_u, v) => (v === null ? "—" : `${Math.round(v)}%`),
      },
    ],
    cursor: { drag: { x: false, y: false } },
  };
}

export function Dashboard() {
  const i18n = useI18n();
  const { t, locale } = i18n;
  const dash = useAsync(() => api.dashboard(), []);
  const forecastOpts = useMemo(() => forecastOptions(i18n), [i18n.lang]);
  const retentionOpts = useMemo(() => retentionOptions(i18n), [i18n.lang]);
  const d = dash.data;
  const [withScheduling, setWithScheduling] = useState(false);
  const forecastData = useMemo<uPlot.AlignedData>(
    () => (d ? [d.forecast.map((x) => dayToSeconds(x.date)), d.forecast.map((x) => x.count)] : [[], []]),
    [d],
  );
  const retentionData = useMemo<uPlot.AlignedData>(
    () =>
      d
        ? [d.retention.map((x) => dayToSeconds(x.date)), d.retention.map((x) => (x.rate === null ? null : Math.round(x.rate * 1000) / 10))]
        : [[], []],
    [d],
  );

  if (!d) {
    return (
      <Pending title={t("dash.title")} error={dash.error}>
        <button type="button" onClick={dash.reload}>
          {t("common.retry")}
        </button>
      </Pending>
    );
  }
  return (
    <section class="dashboard" aria-labelledby="dash-title">
      <div class="page-head">
        <h1 id="dash-title" tabIndex={-1}>
          {t("dash.title")}
        </h1>
        <Link href="/study" class="button primary big">
          {t("dash.study")}
        </Link>
        <Link href="/study?kind=exercise" class="button" data-testid="study-exercises">
          {t("scope.exercises")}
        </Link>
      </div>
      <details class="scope">
        <summary>{t("scope.custom")}</summary>
        <ScopePicker path="/study" scope={{}} />
      </details>
      <Welcome newLearner={d.today.reviewed === 0 && d.streak === 0 && d.heatmap.every((x) => x.count === 0)} />
      <Stats d={d} />
      <Progress d={d} />
      <Panel id="decks" title={t("dash.decks")}>
        <div class="table-wrap">
          <table class="decks">
            <thead>
              <tr>
                <th scope="col">{t("dash.deck")}</th>
                <th scope="col" class="num">{t("dash.colDueNow")}</th>
                <th scope="col" class="num">{t("dash.colDueToday")}</th>
                <th scope="col" class="num">{t("dash.colNew")}</th>
                <th scope="col">{t("anki.colExport")}</th>
              </tr>
            </thead>
            <tbody>
              {d.decks.map((deck) => (
                <tr key={deck.id} data-deck={deck.slug}>
                  <th scope="row">
                    <Link href={`/browse?deck=${deck.id}`}>{deck.name}</Link>{" "}
                    <Link href={`/study?deck=${deck.id}`} class="deck-study" aria-label={`${t("scope.studyDeck")}: ${deck.name}`}>
                      {t("nav.study")}
                    </Link>
                  </th>
                  <td class="num" data-col="due-now">{deck.learning}</td>
                  <td class="num" data-col="due-today">{deck.due}</td>
                  <td class="num" data-col="new">{deck.new}</td>
                  <td data-col="export">
                    <a
                      class="button anki-export"
                      href={api.ankiExportUrl(deck.id, withScheduling)}
                      download
                      aria-label={t("anki.exportLabel", { name: deck.name })}
                    >
                      {t("anki.export")}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="field checkbox anki-scheduling">
          <input
            id="anki-scheduling"
            type="checkbox"
            checked={withScheduling}
            onChange={(e) => setWithScheduling(e.currentTarget.checked)}
          />
          <label for="anki-scheduling">{t("anki.withScheduling")}</label>
        </div>
        <AnkiImport onDone={dash.reload} />
      </Panel>
      <Panel id="heat" title={t("dash.heatmap")}>
        <Heatmap days={d.heatmap} />
      </Panel>
      <div class="chart-grid">
        <Panel id="forecast" title={t("dash.forecast")}>
          <Chart
            defer
            id="forecast-chart"
            options={forecastOpts}
            data={forecastData}
            summary={t("dash.forecastSummary", {
              n: d.forecast.reduce((s, x) => s + x.count, 0),
              max: Math.max(0, ...d.forecast.map((x) => x.count)),
            })}
          />
        </Panel>
        <Panel id="retention" title={t("dash.retention")}>
          <Chart
            defer
            id="retention-chart"
            options={retentionOpts}
            data={retentionData}
            summary={
              d.retention_30d === null ? t("dash.noRetention") : t("dash.retentionSummary", { pct: formatPercent(d.retention_30d, locale) })
            }
          />
          {d.retention_30d === null ? <p class="muted">{t("dash.noRetention")}</p> : null}
        </Panel>
      </div>
    </section>
  );
}

function Stats({ d }: { d: DashboardData }) {
  const { t, locale } = useI18n();
  const items: Array<[string, string, string]> = [
    ["due-now", t("dash.dueNow"), String(d.today.due_now)],
    ["due-today", t("dash.dueToday"), String(d.today.due_today)],
    ["new", t("dash.newAvailable"), String(d.today.new_available)],
    ["reviewed", t("dash.reviewedToday"), String(d.today.reviewed)],
    ["streak", t("dash.streak"), t(d.streak === 1 ? "dash.streakOneDay" : "dash.streakDays", { n: d.streak })],
    ["retention", t("dash.retention30"), formatPercent(d.retention_30d, locale, 1)],
  ];
  return (
    <dl class="stats">
      {items.map(([key, label, value]) => (
        <div key={key} class="stat" data-stat={key}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Progress({ d }: { d: DashboardData }) {
  const { t } = useI18n();
  const newLimit = d.today.new_done + d.today.new_left;
  const left = d.today.due_today + Math.min(d.today.new_left, d.today.new_available);
  const total = d.today.reviewed + left;
  const pct = total ? Math.round((d.today.reviewed / total) * 100) : 100;
  return (
    <Panel id="progress" title={t("dash.progress")}>
      <progress id="today-progress" max={100} value={pct} aria-labelledby="progress-title" aria-describedby="progress-text" />
      <p id="progress-text">
        {t("dash.progressText", { done: d.today.reviewed, left })} · {t("dash.newProgress", { done: d.today.new_done, limit: newLimit })} ·{" "}
        {t("dash.reviewProgress", { done: d.today.reviews_done })}
      </p>
    </Panel>
  );
}
