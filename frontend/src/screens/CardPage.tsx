import { useMemo, useState } from "preact/hooks";
import type uPlot from "uplot";

import { api, type HistoryPage } from "../api/client";
import { AXIS, Chart } from "../components/Chart";
import { DemoLinks } from "../components/DemoLinks";
import { Link } from "../components/Link";
import { Markdown } from "../components/Markdown";
import { Panel } from "../components/Panel";
import { Pending } from "../components/Pending";
import { useI18n } from "../i18n";
import { type Note, noteText } from "../lib/errors";
import { formatDateTime, formatDuration, formatPercent } from "../lib/format";
import { kindKey, RATING_KEYS, stateKey } from "../lib/labels";
import { isRating } from "../lib/queue";
import { useAsync } from "../lib/useAsync";
import { useAction } from "../lib/useSubmit";

export function CardPage({ id }: { id: number }) {
  const i18n = useI18n();
  const { t, locale, lang } = i18n;
  const detail = useAsync(() => api.card(id), [id]);
  const history = useAsync(() => api.history(id), [id]);
  const [more, setMore] = useState<HistoryPage["results"]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [note, setNote] = useState<Note>(null);
  const action = useAction(async (a: "suspend" | "unsuspend" | "reset") => {
    setNote(null);
    await api.cardAction(id, a);
    detail.reload();
    history.reload();
    setMore([]);
    setNext(undefined);
    setNote({ key: a === "suspend" ? "study.suspended" : a === "unsuspend" ? "card.unsuspended" : "card.wasReset" });
  });

  const curveOpts = useMemo<Omit<uPlot.Options, "width" | "height">>(
    () => ({
      scales: { x: { time: false }, y: { range: [0, 100] } },
      axes: [
        { ...AXIS, label: t("chart.day"), labelSize: 18, labelFont: AXIS.font },
        { ...AXIS, size: 52, values: (_u, s) => s.map((v) => `${v}%`) },
      ],
      series: [
        { label: t("chart.day"), value: (_u, v) => (v === null ? "—" : String(v)) },
        { label: t("chart.recall"), stroke: "#7c3aed", width: 2, points: { show: false }, value: (_u, v) => (v === null ? "—" : `${v.toFixed(1)}%`) },
        { label: t("card.retrievability"), stroke: "#dc2626", width: 0, points: { show: true, size: 9, fill: "#dc2626" }, value: (_u, v) => (v === null ? "—" : `${v.toFixed(1)}%`) },
      ],
      cursor: { drag: { x: false, y: false } },
    }),
    [lang],
  );

  const d = detail.data;
  const curveData = useMemo<uPlot.AlignedData>(() => {
    if (!d || !d.curve.length) return [[], [], []];
    const elapsed = d.state.last_review ? (Date.now() - new Date(d.state.last_review).getTime()) / 86_400_000 : 0;
    const today = Math.round(elapsed);
    return [
      d.curve.map((p) => p.day),
      d.curve.map((p) => Math.round(p.retrievability * 1000) / 10),
      d.curve.map((p) => (p.day === today ? Math.round(d.retrievability * 1000) / 10 : null)),
    ];
  }, [d]);

  function act(a: "suspend" | "unsuspend" | "reset") {
    if (a === "reset" && !window.confirm(t("card.resetConfirm"))) return;
    action.run(a);
  }

  async function loadMore() {
    const link = next === undefined ? history.data?.next : next;
    if (!link) return;
    const page = await api.historyNext(link);
    setMore((m) => [...m, ...page.results]);
    setNext(page.next);
  }

  if (detail.error || !d) {
    return (
      <Pending title={t("card.title")} error={detail.error}>
        <Link href="/browse">{t("card.back")}</Link>
      </Pending>
    );
  }
  const s = d.state;
  const rows = [...(history.data?.results ?? []), ...more];
  const hasMore = next === undefined ? !!history.data?.next : !!next;

  return (
    <section class="card-page" aria-labelledby="card-title">
      <p>
        <Link href="/browse">← {t("card.back")}</Link>
      </p>
      <h1 id="card-title" tabIndex={-1}>
        {t("card.title")} <span class="muted">#{d.card.id}</span>
      </h1>
      <div class="panel card-content">
        <h2>{t("card.front")}</h2>
        <Markdown text={d.card.front} cloze="show" />
        {d.card.back ? (
          <>
            <h2>{t("card.answer")}</h2>
            <Markdown text={d.card.back} />
          </>
        ) : null}
      </div>
      <div class="panel">
        <dl class="facts">
          <div><dt>{t("card.kind")}</dt><dd>{t(kindKey(d.card.kind))}</dd></div>
          <div><dt>{t("card.deck")}</dt><dd>{d.card.deck_name}</dd></div>
          <div><dt>{t("card.state")}</dt><dd data-testid="card-state">{t(stateKey(s.state, s.suspended))}</dd></div>
          <div><dt>{t("card.due")}</dt><dd>{formatDateTime(s.due, locale)}</dd></div>
          <div><dt>{t("card.lastReview")}</dt><dd>{s.last_review ? formatDateTime(s.last_review, locale) : t("card.never")}</dd></div>
          <div><dt>{t("card.reps")}</dt><dd>{s.reps}</dd></div>
          <div><dt>{t("card.lapses")}</dt><dd>{s.lapses}</dd></div>
          <div><dt>{t("card.stability")}</dt><dd>{s.stability === null ? "—" : t("card.stabilityDays", { n: s.stability.toFixed(1) })}</dd></div>
          <div><dt>{t("card.difficulty")}</dt><dd>{s.difficulty === null ? "—" : s.difficulty.toFixed(2)}</dd></div>
          <div><dt>{t("card.retrievability")}</dt><dd>{s.last_review ? formatPercent(d.retrievability, locale, 1) : "—"}</dd></div>
          {d.card.tags.length ? <div><dt>{t("card.tags")}</dt><dd>{d.card.tags.join(" · ")}</dd></div> : null}
          {d.card.topics.length ? <div><dt>{t("card.topics")}</dt><dd>{d.card.topics.join(" · ")}</dd></div> : null}
        </dl>
        <DemoLinks topics={d.card.topics} />
        <div class="actions">
          {s.suspended ? (
            <button type="button" onClick={() => act("unsuspend")} disabled={action.busy}>{t("card.unsuspend")}</button>
          ) : (
            <button type="button" onClick={() => act("suspend")} disabled={action.busy}>{t("card.suspend")}</button>
          )}
          <button type="button" onClick={() => act("reset")} disabled={action.busy || s.state === "new"}>{t("card.resetCard")}</button>
        </div>
        <p role="status">{action.error || noteText(note, i18n)}</p>
      </div>
      <Panel id="curve" title={t("card.curve")}>
        <p class="muted">{t("card.curveNote")}</p>
        {d.curve.length ? (
          <Chart
            id="curve-chart"
            options={curveOpts}
            data={curveData}
            summary={t("card.curveSummary", {
              days: d.curve[d.curve.length - 1]!.day,
              pct: formatPercent(d.curve[d.curve.length - 1]!.retrievability, locale),
            }) + ` · ${t("card.retrievability")} ${formatPercent(d.retrievability, locale, 1)}`}
          />
        ) : (
          <p>{t("card.noCurve")}</p>
        )}
      </Panel>
      <Panel id="history" title={t("card.history")}>
        {rows.length ? (
          <div class="table-wrap">
            <table class="history">
              <thead>
                <tr>
                  <th scope="col">{t("card.when")}</th>
                  <th scope="col">{t("card.rating")}</th>
                  <th scope="col">{t("card.duration")}</th>
                  <th scope="col">{t("card.nextDue")}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    <td>{formatDateTime(r.reviewed_at, locale)}</td>
                    <td>{r.kind === "reset" ? t("card.reset") : isRating(r.rating) ? t(RATING_KEYS[r.rating]) : r.rating}</td>
                    <td>{r.duration_ms === null ? "—" : formatDuration(r.duration_ms, t)}</td>
                    <td>{typeof r.state_after.due === "string" ? formatDateTime(r.state_after.due, locale) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p>{history.loading ? t("common.loading") : t("card.noHistory")}</p>
        )}
        {hasMore ? (
          <button type="button" onClick={() => void loadMore()}>
            {t("card.loadMore")}
          </button>
        ) : null}
      </Panel>
    </section>
  );
}
