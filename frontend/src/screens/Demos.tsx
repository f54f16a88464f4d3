import { useEffect, useMemo, useRef, useState } from "preact/hooks";

import { api, ApiError } from "../api/client";
import { DemoPlots, formatNumber } from "../components/DemoPlots";
import { Link } from "../components/Link";
import { Markdown } from "../components/Markdown";
import { Panel } from "../components/Panel";
import { Pending } from "../components/Pending";
import { type I18n, type Key, useI18n } from "../i18n";
import { demoTitle, useDemos } from "../lib/demoCatalog";
import {
  type Control,
  controlsOf,
  type Demo,
  type DemoDetail,
  type DemoRun,
  fromQuery,
  isFinished,
  MAX_SEED,
  type ParseError,
  paramsOf,
  parseSeed,
  pollDelay,
  toQuery,
} from "../lib/demos";
import { errorMessage, pickLanguage } from "../lib/errors";
import { formatDateTime } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { useAction } from "../lib/useSubmit";
import { navigate, type Route } from "../router";

const PARSE_KEYS: Record<ParseError, Key> = {
  integer: "demo.err.integer",
  number: "demo.err.number",
  range: "demo.err.range",
  choice: "demo.err.choice",
};

/** A demonstration request's failure in the interface language: the engine names a bad parameter. */
export function demoError(e: unknown, i18n: Pick<I18n, "t" | "lang">): string {
  if (e instanceof ApiError && e.code === "too_many_runs") return i18n.t("demo.err.tooMany");
  if (e instanceof ApiError && e.code === "invalid_params") return pickLanguage(e.message, i18n.lang) ?? e.message;
  return errorMessage(e, i18n);
}

/** Whether polling stopped at this failure (a 4xx other than 429: asking again changes nothing). */
function gaveUp(e: unknown): boolean {
  return e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429;
}

/** The list of demonstrations. */
export function Demos() {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const { demos, error, reload } = useDemos();
  if (!demos) {
    return (
      <Pending title={t("demo.title")} error={error}>
        <button type="button" onClick={reload}>
          {t("common.retry")}
        </button>
      </Pending>
    );
  }
  return (
    <section class="demos" aria-labelledby="demos-title">
      <h1 id="demos-title" tabIndex={-1}>
        {t("demo.title")}
      </h1>
      <p class="muted">{t("demo.intro")}</p>
      <ul class="demo-list">
        {demos.map((d) => (
          <li key={d.id} class="panel demo-item" data-demo={d.id}>
            <h2>
              <Link href={`/demos/${d.id}`}>
                <span lang={lang === "en" && d.title_en ? "en" : "zh-CN"}>{demoTitle(d, lang)}</span>
              </Link>
            </h2>
            {d.summary ? <p lang="zh-CN">{d.summary}</p> : null}
            <Topics topics={d.topics} />
          </li>
        ))}
      </ul>
      <History demos={demos} />
    </section>
  );
}

/** The learner's latest runs, each a link to its demonstration with that run's parameters and seed. */
function History({ demos }: { demos: Demo[] }) {
  const i18n = useI18n();
  const { t, lang, locale } = i18n;
  const runs = useAsync(() => api.demoRuns(), []);
  const list = runs.data?.results ?? [];
  if (!list.length) return null;
  const byId = new Map(demos.map((d) => [d.id, d]));
  return (
    <Panel id="demo-history" title={t("demo.history")}>
      <div class="table-wrap">
        <table class="demo-history">
          <thead>
            <tr>
              <th scope="col">{t("demo.title")}</th>
              <th scope="col">{t("demo.params")}</th>
              <th scope="col">{t("demo.run")}</th>
            </tr>
          </thead>
          <tbody>
            {list.slice(0, 10).map((r) => {
              const d = byId.get(r.demo);
              const href = d ? `/demos/${r.demo}?${toQuery(d.schema, r.params, r.seed)}` : `/demos/${r.demo}`;
              return (
                <tr key={`${r.id}-${r.created_at}`} data-run={r.id}>
                  <td>
                    <Link href={href}>
                      <span lang={lang === "en" && d?.title_en ? "en" : "zh-CN"}>{d ? demoTitle(d, lang) : r.demo}</span>
                    </Link>
                  </td>
                  <td class="small">
                    <code>{Object.entries(r.params).map(([k, v]) => `${k}=${String(v)}`).join(" ")}</code> · {t("demo.seed")} {r.seed}
                  </td>
                  <td class="small">
                    {t(STATUS_KEYS[r.status] ?? "demo.status.running")}
                    {r.status === "running" ? ` ${r.progress}%` : ""} · {formatDateTime(r.created_at, locale)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}

function Topics({ topics }: { topics: DemoDetail["topics"] }) {
  const { t } = useI18n();
  return (
    <ul class="topic-chips" aria-label={t("demo.topics")}>
      {topics.map((tp) => (
        <li key={tp.id} title={tp.id}>
          <span lang="zh-CN">{tp.title || tp.id}</span>
        </li>
      ))}
    </ul>
  );
}

/** One demonstration: its parameters (from the URL), a run with its progress, the prediction, the result. */
export function DemoPage({ id, route }: { id: string; route: Route }) {
  const i18n = useI18n();
  const { t } = i18n;
  const detail = useAsync(() => api.demo(id), [id]);
  const d = detail.data;
  if (!d) {
    return (
      <Pending title={t("demo.title")} error={detail.error}>
        <Link href="/demos">{t("demo.back")}</Link>
      </Pending>
    );
  }
  return <DemoView key={d.id} demo={d} query={route.query} />;
}

function DemoView({ demo, query }: { demo: DemoDetail; query: URLSearchParams }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const controls = useMemo(() => controlsOf(demo.schema), [demo]);
  const initial = useMemo(() => fromQuery(demo.schema, query), [demo]);
  const [values, setValues] = useState<Record<string, string>>(initial.values);
  const [seedText, setSeedText] = useState(String(initial.seed));
  const [run, setRun] = useState<DemoRun | null>(null);
  const [pollFailure, setPollFailure] = useState<unknown>(null);
  const [skipped, setSkipped] = useState(false);
  const [choice, setChoice] = useState<number | null>(null);
  const [shown, setShown] = useState(false);
  const resultHeading = useRef<HTMLHeadingElement>(null);

  const parsed = paramsOf(demo.schema, values);
  const seed = parseSeed(seedText);
  const valid = !Object.keys(parsed.errors).length && seed !== null;

  // The URL holds what the controls hold (replacing the entry: editing is not navigating).
  useEffect(() => {
    if (valid) navigate(`/demos/${demo.id}?${toQuery(demo.schema, parsed.params, seed)}`, { replace: true });
  }, [JSON.stringify(parsed.params), seed]);

  const start = useAction(async () => {
    if (!valid || seed === null) return;
    setPollFailure(null);
    setSkipped(false);
    setChoice(null);
    setShown(false);
    const r = await api.demoStart(demo.id, { params: parsed.params, seed });
    setRun(r);
  });

  // A run in progress is asked about again and again: quickly at first, backing off while nothing moves.
  const finished = run ? isFinished(run.status) : true;
  useEffect(() => {
    if (!run || finished) return;
    let live = true;
    let misses = 0;
    let last = run.progress;
    let lastStatus = run.status;
    let timer = 0;
    const look = async () => {
      try {
        const r = await api.demoRun(run.id);
        if (!live) return;
        setPollFailure(null);
        setRun(r);
        if (isFinished(r.status)) return;
        // moving (more progress, or a worker has just picked it up): ask quickly again
        misses = r.progress > last || r.status !== lastStatus ? 0 : misses + 1;
        last = r.progress;
        lastStatus = r.status;
      } catch (e) {
        if (!live) return;
        setPollFailure(e);
        // A refusal (the run is gone, the session ended) will not change by asking again.
        if (gaveUp(e)) return;
        misses += 1;
      }
      timer = window.setTimeout(() => void look(), pollDelay(misses));
    };
    timer = window.setTimeout(() => void look(), pollDelay(0));
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [run?.id, finished]);

  const cancel = useAction(async () => {
    if (!run) return;
    try {
      setRun(await api.demoCancel(run.id));
    } catch (e) {
      // Finished meanwhile (409): show what it finished as.
      if (e instanceof ApiError && e.status === 409) setRun(await api.demoRun(run.id));
      else throw e;
    }
  });

  const predict = useAction(async () => {
    if (!run || choice === null) return;
    setRun(await api.demoPredict(run.id, choice));
  });

  const predicted = run?.prediction.choice ?? null;
  const result = run?.status === "done" ? run.result : null;
  const showResult = !!result && (predicted !== null || skipped);
  useEffect(() => {
    if (showResult && !shown) {
      setShown(true);
      resultHeading.current?.focus({ preventScroll: true });
    }
  }, [showResult]);

  const shareUrl = valid ? `${location.origin}/demos/${demo.id}?${toQuery(demo.schema, parsed.params, seed)}` : "";
  const title = demoTitle(demo, lang);

  return (
    <section class="demo-page" aria-labelledby="demo-title" data-demo={demo.id}>
      <p>
        <Link href="/demos">← {t("demo.back")}</Link>
      </p>
      <h1 id="demo-title" tabIndex={-1}>
        <span lang={lang === "en" && demo.title_en ? "en" : "zh-CN"}>{title}</span>
      </h1>
      {demo.summary ? <p lang="zh-CN">{demo.summary}</p> : null}
      <Topics topics={demo.topics} />

      <Panel id="demo-params" title={t("demo.params")}>
        <form
          class="demo-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            start.run();
          }}
        >
          <div class="demo-controls">
            {controls.map((c) => (
              <ControlField
                key={c.name}
                control={c}
                value={values[c.name] ?? ""}
                error={parsed.errors[c.name] ? t(PARSE_KEYS[parsed.errors[c.name]!], { low: c.min ?? "", high: c.max ?? "" }) : undefined}
                onChange={(v) => setValues((old) => ({ ...old, [c.name]: v }))}
              />
            ))}
            <div class={`field${seed === null ? " has-error" : ""}`}>
              <label for="demo-seed">{t("demo.seed")}</label>
              <input
                id="demo-seed"
                name="seed"
                type="number"
                inputMode="numeric"
                min={0}
                max={MAX_SEED}
                step={1}
                value={seedText}
                aria-invalid={seed === null ? true : undefined}
                aria-describedby={seed === null ? "demo-seed-error" : "demo-seed-hint"}
                onInput={(e) => setSeedText((e.currentTarget as HTMLInputElement).value)}
              />
              {seed === null ? (
                <p class="error" id="demo-seed-error" role="alert">
                  {t("demo.err.seed", { max: MAX_SEED })}
                </p>
              ) : (
                <p class="hint" id="demo-seed-hint">
                  {t("demo.seedHint")}
                </p>
              )}
            </div>
          </div>
          <div class="form-actions">
            <button type="submit" class="primary" disabled={!valid || start.busy || (!!run && !finished)}>
              {t("demo.start")}
            </button>
            <button type="button" onClick={() => setValues({ ...Object.fromEntries(controls.map((c) => [c.name, String(c.setting.default)])) })}>
              {t("demo.reset")}
            </button>
          </div>
          {start.failure ? (
            <p class="error" role="alert">
              {demoError(start.failure, i18n)}
            </p>
          ) : null}
          {shareUrl ? (
            <p class="share small">
              {t("demo.share")}{" "}
              <a href={shareUrl} class="share-link">
                {shareUrl}
              </a>
            </p>
          ) : null}
        </form>
      </Panel>

      {run ? (
        <Panel id="demo-run" title={t("demo.run")}>
          <RunStatus run={run} />
          {!finished ? (
            <button type="button" onClick={() => cancel.run()} disabled={cancel.busy}>
              {t("demo.cancel")}
            </button>
          ) : null}
          {cancel.failure ? (
            <p class="error" role="alert">
              {demoError(cancel.failure, i18n)}
            </p>
          ) : null}
          {pollFailure ? (
            <p class="notice" role="status">
              {errorMessage(pollFailure, i18n)}
              {gaveUp(pollFailure) ? "" : ` · ${t("demo.stillTrying")}`}
            </p>
          ) : null}
        </Panel>
      ) : null}

      {run && run.status !== "failed" && run.status !== "cancelled" ? (
        <Panel id="demo-predict" title={t("demo.predict")}>
          <fieldset class="prediction" disabled={predicted !== null || predict.busy}>
            <legend lang="zh-CN">{run.question.question}</legend>
            {run.question.choices.map((c, i) => (
              <label key={i} class={`choice${result && predicted !== null && i === result.prediction.answer ? " right-answer" : ""}`}>
                <input type="radio" name="prediction" value={i} checked={(predicted ?? choice) === i} onChange={() => setChoice(i)} />
                <span lang="zh-CN">{c}</span>
              </label>
            ))}
          </fieldset>
          {predicted === null ? (
            <div class="form-actions">
              <button type="button" class="primary" onClick={() => predict.run()} disabled={choice === null || predict.busy}>
                {t("demo.predictSubmit")}
              </button>
              {result && !skipped ? (
                <button type="button" onClick={() => setSkipped(true)}>
                  {t("demo.skip")}
                </button>
              ) : null}
            </div>
          ) : (
            <Verdict run={run} />
          )}
          {predict.failure ? (
            <p class="error" role="alert">
              {demoError(predict.failure, i18n)}
            </p>
          ) : null}
          {!result && predicted === null ? <p class="muted small">{t("demo.predictWhile")}</p> : null}
          {result && predicted === null && !skipped ? <p class="muted small">{t("demo.predictFirst")}</p> : null}
        </Panel>
      ) : null}

      {showResult && result ? (
        <section class="panel demo-result" aria-labelledby="demo-result-title">
          <h2 id="demo-result-title" ref={resultHeading} tabIndex={-1}>
            {t("demo.result")}
          </h2>
          <dl class="facts demo-figures">
            {result.figures.map((f) => (
              <div key={f.key} data-figure={f.key}>
                <dt lang="zh-CN">{f.label}</dt>
                <dd>
                  {formatNumber(f.value)}
                  {f.unit ? ` ${f.unit}` : ""}
                </dd>
              </div>
            ))}
          </dl>
          <h3>{t("demo.explanation")}</h3>
          <p class="demo-explanation" lang="zh-CN">
            {result.explanation}
          </p>
          <DemoPlots demo={demo.id} series={result.series} />
          <p class="muted small">
            {t("demo.runInfo", { seed: result.seed, device: result.device, version: result.version })}
          </p>
        </section>
      ) : null}

      <Panel id="demo-cards" title={t("demo.cards")}>
        {demo.cards.length ? (
          <ul class="demo-cards">
            {demo.cards.map((c) => (
              <li key={c.id}>
                <Link href={`/cards/${c.id}`}>
                  <Markdown text={c.front} inline cloze="show" />
                </Link>
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">{t("demo.noCards")}</p>
        )}
      </Panel>
    </section>
  );
}

function ControlField({ control: c, value, error, onChange }: { control: Control; value: string; error?: string | undefined; onChange: (v: string) => void }) {
  const { t } = useI18n();
  const id = `param-${c.name}`;
  const hint =
    c.widget === "select"
      ? t("demo.hintDefault", { d: String(c.setting.default) })
      : t("demo.hintRange", { low: formatNumber(c.min ?? null), high: formatNumber(c.max ?? null), d: String(c.setting.default) });
  const described = error ? `${id}-error` : `${id}-hint`;
  const input = (e: Event) => onChange((e.currentTarget as HTMLInputElement | HTMLSelectElement).value);
  return (
    <div class={`field demo-control${error ? " has-error" : ""}`}>
      <label for={id}>
        <span lang="zh-CN">{c.label}</span> <code class="param-name">{c.name}</code>
      </label>
      {c.widget === "select" ? (
        <select id={id} name={c.name} value={value} onChange={input} aria-describedby={described}>
          {c.options!.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      ) : c.widget === "range" ? (
        <div class="range-row">
          <input id={id} name={c.name} type="range" min={c.min} max={c.max} step={1} value={value} onInput={input} aria-describedby={described} />
          <output for={id}>{value}</output>
        </div>
      ) : (
        <input
          id={id}
          name={c.name}
          type="number"
          inputMode={c.setting.kind === "int" ? "numeric" : "decimal"}
          min={c.min}
          max={c.max}
          step={c.step}
          value={value}
          onInput={input}
          aria-invalid={error ? true : undefined}
          aria-describedby={described}
        />
      )}
      {error ? (
        <p class="error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

const STATUS_KEYS: Record<string, Key> = {
  queued: "demo.status.queued",
  running: "demo.status.running",
  done: "demo.status.done",
  failed: "demo.status.failed",
  cancelled: "demo.status.cancelled",
};

function RunStatus({ run }: { run: DemoRun }) {
  const { t, lang } = useI18n();
  const label = t(STATUS_KEYS[run.status] ?? "demo.status.running");
  return (
    <div class="run-status" data-status={run.status}>
      <label for="demo-progress">
        {label} · <span class="progress-value">{run.progress}%</span>
      </label>
      <progress id="demo-progress" max={100} value={run.progress} aria-valuetext={`${run.progress}%`} />
      {run.status === "failed" ? (
        <p class="error" role="alert">
          {t("demo.failed")} {run.error ? (pickLanguage(run.error, lang) ?? run.error) : ""}
        </p>
      ) : null}
      <p class="visually-hidden" role="status">
        {isFinished(run.status) ? label : ""}
      </p>
    </div>
  );
}

function Verdict({ run }: { run: DemoRun }) {
  const { t } = useI18n();
  const p = run.prediction;
  const result = run.result;
  if (p.choice === null) return null;
  const mine = run.question.choices[p.choice] ?? String(p.choice);
  if (p.right === null || !result) {
    return (
      <p class="verdict pending" role="status">
        {t("demo.predicted", { choice: mine })} · {t("demo.gradedLater")}
      </p>
    );
  }
  const answer = result.prediction.choices[result.prediction.answer] ?? "";
  return (
    <div class={`verdict ${p.right ? "ok" : "bad"}`} role="status" data-right={String(p.right)}>
      <p>
        <strong>{p.right ? t("demo.right") : t("demo.wrong")}</strong> {t("demo.predicted", { choice: mine })}
        {p.right ? "" : ` · ${t("demo.answerWas", { choice: answer })}`}
      </p>
      <p class="why" lang="zh-CN">
        {result.prediction.why}
      </p>
    </div>
  );
}
