import { useEffect, useMemo } from "preact/hooks";
import type uPlot from "uplot";

import { ApiError, api, type OptimizeRun, type RetentionAdvice } from "../api/client";
import { type Key, useI18n } from "../i18n";
import { formatDateTime } from "../lib/format";
import { runReason } from "../lib/fsrsReason";
import { useAsync } from "../lib/useAsync";
import { useAction } from "../lib/useSubmit";
import { AXIS, Chart } from "./Chart";

const POLL_MS = 1500;
const BINS = 20; // the server's calibration bins: equal width over predicted recall

type Metrics = NonNullable<OptimizeRun["metrics_before"]>;

/** The latest run, or null before the first one (the server answers 404). */
async function latestRun(): Promise<OptimizeRun | null> {
  try {
    return await api.fsrsRunLatest();
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** Observed recall per fixed bin (null where the bin is empty), for one run's calibration. */
export function binned(m: Metrics | null): (number | null)[] {
  const out: (number | null)[] = Array.from({ length: BINS }, () => null);
  for (const b of m?.calibration ?? []) {
    const i = Math.min(BINS - 1, Math.floor((b.predicted ?? 0) * BINS));
    out[i] = b.observed ?? null;
  }
  return out;
}

function fmt(x: number | null | undefined): string {
  return x === null || x === undefined ? "–" : x.toFixed(4);
}

/** Settings' memory-model panel: the parameters in force, the optimise button with progress, the last run. */
export function FsrsPanel() {
  const { t, locale } = useI18n();
  const params = useAsync(() => api.fsrsParameters(), []);
  const run = useAsync(latestRun, []);
  const current = run.data;
  const active = current !== null && current !== undefined && (current.status === "queued" || current.status === "running");
  const start = useAction(async () => {
    run.set(await api.fsrsOptimize());
  });

  useEffect(() => {
    if (!active) return undefined;
    const timer = window.setTimeout(() => {
      latestRun().then(
        (next) => {
          run.set(next);
          if (next && next.status === "done") params.reload();
        },
        () => run.set(current ? { ...current } : null),
      );
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [current, active]);

  const calibration = useMemo((): uPlot.AlignedData | null => {
    if (!current?.metrics_before) return null;
    const x = Array.from({ length: BINS }, (_, i) => (i + 0.5) / BINS);
    return [x, binned(current.metrics_before), binned(current.metrics_after), x];
  }, [current]);
  const calibrationOptions = useMemo(
    (): Omit<uPlot.Options, "width" | "height"> => ({
      scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
      axes: [{ ...AXIS, label: t("fsrs.predicted") }, { ...AXIS }],
      series: [
        {},
        { label: t("fsrs.observedBefore"), stroke: "#9ca3af", width: 0, points: { size: 8, fill: "#9ca3af" } },
        { label: t("fsrs.observedAfter"), stroke: "#2563eb", width: 0, points: { size: 8, fill: "#2563eb" } },
        { label: t("fsrs.ideal"), stroke: "#10b981", dash: [4, 4], points: { show: false } },
      ],
    }),
    [locale],
  );

  const stage = current ? t(`fsrs.stage.${current.stage}` as Key) : "";
  return (
    <section class="panel fsrs" aria-labelledby="fsrs-title">
      <h2 id="fsrs-title">{t("fsrs.title")}</h2>
      <p class="hint">{t("fsrs.intro")}</p>
      {params.data ? <p>{params.data.is_default ? t("fsrs.default") : t("fsrs.own")}</p> : null}
      <div class="form-actions">
        <button type="button" class="primary" disabled={start.busy || active} onClick={() => start.run()}>
          {active || start.busy ? t("fsrs.optimizing") : t("fsrs.optimize")}
        </button>
        <span class="hint">{t("fsrs.onceADay")}</span>
      </div>
      {start.error ? <p class="error" role="alert">{start.error}</p> : null}
      {active && current ? (
        <div class="fsrs-progress" role="status" aria-live="polite">
          <p>{current.progress_total ? t("fsrs.progress", { stage, done: current.progress_done, total: current.progress_total }) : stage}</p>
          <progress max={current.progress_total || 1} value={current.progress_total ? current.progress_done : undefined} />
        </div>
      ) : null}
      {current === null ? <p>{t("fsrs.noRun")}</p> : null}
      {current && !active ? (
        <div class="fsrs-run">
          <h3>
            {t("fsrs.lastRun", {
              date: formatDateTime(current.finished_at ?? current.created_at, locale),
              reviews: current.reviews_used,
              seconds: Math.round(current.duration_s ?? 0),
            })}
          </h3>
          <p>
            <strong>{current.status === "failed" ? t("fsrs.failed", { error: current.error }) : current.adopted ? t("fsrs.adopted") : t("fsrs.notAdopted")}</strong>
            {current.reason_code ? ` · ${runReason(current, t)}` : ""}
          </p>
          {current.metrics_before && current.metrics_after ? (
            <table class="fsrs-metrics">
              <thead>
                <tr>
                  <th scope="col">{t("fsrs.metric")}</th>
                  <th scope="col">{t("fsrs.before")}</th>
                  <th scope="col">{t("fsrs.after")}</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">{t("fsrs.logLoss")}</th>
                  <td>{fmt(current.metrics_before.log_loss)}</td>
                  <td>{fmt(current.metrics_after.log_loss)}</td>
                </tr>
                <tr>
                  <th scope="row">{t("fsrs.rmse")}</th>
                  <td>{fmt(current.metrics_before.rmse_bins)}</td>
                  <td>{fmt(current.metrics_after.rmse_bins)}</td>
                </tr>
                <tr>
                  <th scope="row">{t("fsrs.auc")}</th>
                  <td>{fmt(current.metrics_before.auc)}</td>
                  <td>{fmt(current.metrics_after.auc)}</td>
                </tr>
              </tbody>
            </table>
          ) : null}
          {calibration ? (
            <>
              <h3>{t("fsrs.calibration")}</h3>
              <Chart id="fsrs-calibration" options={calibrationOptions} data={calibration} summary={t("fsrs.calibrationSummary")} />
            </>
          ) : null}
        </div>
      ) : null}
      {params.data ? (
        <details class="fsrs-params">
          <summary>{t("fsrs.parameters")}</summary>
          <ol start={0} class="fsrs-param-list">
            {params.data.parameters.map((w, i) => (
              <li key={i}>
                <code>w{i} = {w.toFixed(4)}</code>
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </section>
  );
}

/** "Help me decide": simulated reviews and minutes per day for each desired retention, beside the control. */
export function RetentionAdviceChart({ retention }: { retention: number }) {
  const { t, locale } = useI18n();
  const advice = useAsync(async (): Promise<RetentionAdvice | null> => {
    try {
      return await api.fsrsRetentionAdvice();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) return null;
      throw e;
    }
  }, []);
  const options = useMemo(
    (): Omit<uPlot.Options, "width" | "height"> => ({
      scales: { x: { time: false }, reviews: { auto: true }, minutes: { auto: true } },
      axes: [
        { ...AXIS },
        { ...AXIS, scale: "reviews", label: t("fsrs.reviewsPerDay") },
        { ...AXIS, scale: "minutes", side: 1, label: t("fsrs.minutesPerDay"), grid: { show: false } },
      ],
      series: [
        {},
        { label: t("fsrs.reviewsPerDay"), scale: "reviews", stroke: "#2563eb", width: 2 },
        { label: t("fsrs.minutesPerDay"), scale: "minutes", stroke: "#f59e0b", width: 2, dash: [6, 3] },
      ],
      hooks: {
        draw: [
          (u: uPlot) => {
            const x = u.valToPos(retention, "x", true);
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = "#dc2626";
            ctx.lineWidth = 2;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.restore();
          },
        ],
      },
    }),
    [locale, retention],
  );
  if (advice.loading) return <p class="hint">{t("common.loading")}</p>;
  if (!advice.data) return <p class="hint">{t("fsrs.adviceNone")}</p>;
  const points = advice.data.points;
  const data: uPlot.AlignedData = [
    points.map((p) => p.retention ?? 0),
    points.map((p) => p.reviews_per_day ?? 0),
    points.map((p) => p.minutes_per_day ?? 0),
  ];
  return (
    <div class="retention-advice">
      <p class="hint">{t("fsrs.adviceTitle")}</p>
      <Chart id="retention-advice" options={options} data={data} height={200} summary={t("fsrs.adviceSummary")} />
    </div>
  );
}
