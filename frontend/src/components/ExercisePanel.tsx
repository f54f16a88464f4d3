import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef, useState } from "preact/hooks";

import type { GradeResult, Schemas } from "../api/client";
import { useI18n } from "../i18n";
import {
  blankParts,
  collectAnswers,
  formatValue,
  inputModeFor,
  isSubmitKey,
  offPositions,
  placeholderFor,
  precisionText,
} from "../lib/answers";
import { errorMessage } from "../lib/errors";
import { answerKindKey, PART_STATUS_KEYS } from "../lib/labels";
import { useAsync } from "../lib/useAsync";
import { useSubmit } from "../lib/useSubmit";
import { Markdown } from "./Markdown";

type Part = Schemas["PartOut"];
type PartResult = Schemas["PartResultOut"];

export interface ExerciseData {
  title: string;
  prompt: string;
  parts: Part[];
  result?: GradeResult | null;
}

interface Props {
  /** Identifies the exercise (a new key starts over). */
  load: () => Promise<ExerciseData>;
  submit: (answers: Record<string, string>) => Promise<GradeResult>;
  /** Called once the answers are graded (readable): the caller shows the rating or next controls. */
  onGraded?: (result: GradeResult) => void;
  /** Rendered below a graded result (rating buttons, "next"). */
  children?: (result: GradeResult) => ComponentChildren;
}

/** Statuses that are no verdict: the answer is corrected and sent again (nothing is recorded). */
const NO_VERDICT = new Set(["unreadable", "missing", "imprecise"]);

/**
 * An exercise: the prompt, one labelled input per answer part with the precision it asks for, Enter
 * submits. An unreadable or imprecise answer is explained next to its input and can be corrected
 * (nothing is recorded); a graded answer shows each part's verdict with the value as read (and which
 * elements are off), the named mistakes, a near miss, and the worked solution.
 */
export function ExercisePanel({ load, submit, onGraded, children }: Props) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  // Loaded once per mounted exercise: the caller keys the component by card (and review).
  const loaded = useAsync(load, []);
  const data = loaded.data;
  const [values, setValues] = useState<Record<string, string>>({});
  const [answered, setAnswered] = useState<GradeResult | null>(null);
  const [blanks, setBlanks] = useState<string[]>([]);
  const [unreadable, setUnreadable] = useState<GradeResult | null>(null);
  const [edited, setEdited] = useState<Set<string>>(new Set());
  const form = useRef<HTMLFormElement>(null);
  const resultRef = useRef<HTMLDivElement>(null);

  // An exercise graded before (before a reload, say) comes back with its result; the caller hears of it
  // before the first paint, as of an answer just graded.
  const earlier = data && data.result && data.result.readable ? data.result : null;
  const result = answered ?? earlier;
  useLayoutEffect(() => {
    if (earlier) onGraded?.(earlier);
  }, [earlier]);

  const kindHint = (p: Part) =>
    lang === "zh" && p.hint ? p.hint : t(answerKindKey(p.kind));

  const sending = useSubmit(async () => {
    if (!data || result) return;
    const missing = blankParts(data.parts, values);
    setBlanks(missing);
    setEdited(new Set());
    if (missing.length) {
      setUnreadable(null);
      form.current?.querySelector<HTMLElement>(`[name="${missing[0]}"]`)?.focus();
      return;
    }
    const r = await submit(collectAnswers(data.parts, values));
    if (!r.readable) {
      setUnreadable(r);
      const first = r.parts.find((pr) => NO_VERDICT.has(pr.status));
      if (first) form.current?.querySelector<HTMLElement>(`[name="${first.name}"]`)?.focus();
    } else {
      setUnreadable(null);
      setAnswered(r);
      onGraded?.(r);
    }
  });

  /** Why a part needs correcting (blank, or unreadable as the grader explained), until it is edited. */
  function problemOf(p: Part): string | undefined {
    if (edited.has(p.name)) return undefined;
    if (blanks.includes(p.name)) return t("err.required");
    const pr = unreadable?.parts.find((x) => x.name === p.name);
    if (!pr || !NO_VERDICT.has(pr.status)) return undefined;
    if (lang === "zh") return pr.feedback;
    if (pr.status === "imprecise") return t("ex.impreciseWhy", { precision: precisionText(p.precision, "en") });
    return t("ex.unreadableWhy", { kind: t(answerKindKey(p.kind)), example: placeholderFor(p.kind) || "—" });
  }

  function onKeyDown(e: KeyboardEvent) {
    const tag = (e.target as HTMLElement).tagName;
    if (e.key === "Escape") {
      (e.target as HTMLElement).blur(); // back to the study shortcuts (U, S, B)
      return;
    }
    if (isSubmitKey(e, tag) && tag !== "INPUT") {
      e.preventDefault();
      form.current?.requestSubmit();
    }
  }

  if (loaded.error) return <p class="error" role="alert">{errorMessage(loaded.error, i18n)}</p>;
  if (!data) return <p class="muted" aria-live="polite">{t("ex.loading")}</p>;

  const graded = result !== null;
  // every mistake that explains the answer (results graded before the list existed carry one)
  const named = result ? (result.mistakes ?? (result.mistake ? [result.mistake] : [])) : [];
  const anyUnreadable = unreadable !== null && !graded;
  return (
    <div class="exercise">
      <h3 class="exercise-title" lang="zh-CN">
        {data.title}
      </h3>
      <Markdown text={data.prompt} class="exercise-prompt" />
      <form ref={form} class="exercise-form" onSubmit={sending.onSubmit} onKeyDown={onKeyDown} noValidate aria-label={t("ex.answers")}>
        {data.parts.map((p) => {
          const id = `part-${p.name}`;
          const problem = problemOf(p);
          const pr = result?.parts.find((x) => x.name === p.name);
          const described = [`${id}-hint`, problem ? `${id}-problem` : "", pr ? `${id}-result` : ""].filter(Boolean).join(" ");
          return (
            <div key={p.name} class={`field part${problem ? " has-error" : ""}${pr ? ` part-${pr.status}` : ""}`}>
              {p.kind === "choice" && p.choices ? (
                <fieldset aria-describedby={described}>
                  <legend>
                    <Markdown text={p.label} inline />
                  </legend>
                  {p.choices.map((c, ci) => (
                    <label key={c} class="choice">
                      <input
                        type="radio"
                        name={p.name}
                        id={ci === 0 ? id : undefined}
                        value={c}
                        checked={values[p.name] === c}
                        disabled={graded}
                        onChange={() => {
                          setValues({ ...values, [p.name]: c });
                          setEdited((old) => new Set(old).add(p.name));
                        }}
                      />
                      <Markdown text={c} inline />
                    </label>
                  ))}
                </fieldset>
              ) : (
                <>
                  <label for={id}>
                    <Markdown text={p.label} inline />
                    {p.unit ? <span class="unit"> ({t("ex.unit", { unit: p.unit })})</span> : null}
                  </label>
                  <input
                    id={id}
                    name={p.name}
                    type="text"
                    inputMode={inputModeFor(p.kind)}
                    autoComplete="off"
                    autoCapitalize="off"
                    spellcheck={false}
                    placeholder={placeholderFor(p.kind)}
                    value={values[p.name] ?? ""}
                    readOnly={graded}
                    aria-invalid={problem ? true : undefined}
                    aria-describedby={described}
                    onInput={(e) => {
                      const v = (e.currentTarget as HTMLInputElement).value;
                      setValues((old) => ({ ...old, [p.name]: v }));
                      if (!edited.has(p.name)) setEdited((old) => new Set(old).add(p.name));
                    }}
                  />
                </>
              )}
              <p class="hint" id={`${id}-hint`}>
                {kindHint(p)}
                {precisionText(p.precision, lang) ? (
                  <>
                    {" · "}
                    <span class="precision">{precisionText(p.precision, lang)}</span>
                  </>
                ) : null}
              </p>
              {problem ? (
                <p class="error" id={`${id}-problem`} role="alert">
                  {problem}
                </p>
              ) : null}
              {pr ? <PartVerdict id={`${id}-result`} part={p} result={pr} /> : null}
            </div>
          );
        })}
        {!graded ? (
          <div class="form-actions">
            <button type="submit" class="primary" disabled={sending.busy}>
              {t("ex.submit")}
            </button>
            <span class="muted">{t("ex.enterHint")}</span>
          </div>
        ) : null}
        {anyUnreadable ? <p class="notice" role="status">{t("ex.unreadableNote")}</p> : null}
        {sending.error ? <p class="error" role="alert">{sending.error}</p> : null}
      </form>
      {result ? (
        <div class="exercise-result" ref={resultRef} aria-live="polite">
          <p class={`verdict ${result.correct ? "ok" : "bad"}`}>
            {result.correct ? t("ex.allCorrect") : t("ex.someWrong")}
            {result.parts.length > 1 ? ` · ${t("ex.score", { pct: Math.round(result.score * 100) + "%" })}` : ""}
          </p>
          {!result.correct && result.near_miss ? <p class="near-miss">{t("ex.nearMiss")}</p> : null}
          {named.length ? (
            <p class="mistake">
              <strong>{t("ex.mistake")}</strong>{" "}
              {named.map((m, i) => (
                <span key={m.id}>
                  {i > 0 ? ` ${t("ex.or")} ` : ""}
                  <span lang="zh-CN">{m.title}</span>
                </span>
              ))}
            </p>
          ) : null}
          {result.solution ? (
            <section class="solution" aria-label={t("ex.solution")}>
              <h4>{t("ex.solution")}</h4>
              <Markdown text={result.solution} />
            </section>
          ) : null}
          {children?.(result)}
        </div>
      ) : null}
    </div>
  );
}

function PartVerdict({ id, part, result }: { id: string; part: Part; result: PartResult }) {
  const { t } = useI18n();
  return (
    <p class={`verdict-part ${result.status}`} id={id}>
      <span class="status">{t(PART_STATUS_KEYS[result.status])}</span>
      {" · "}
      {t("ex.readAs")} <code>{formatValue(result.parsed, part.kind)}</code>
      {!result.correct ? (
        <>
          {" · "}
          {t("ex.expected")} <code>{formatValue(result.expected, part.kind)}</code>
        </>
      ) : null}
      {offPositions(result.off) ? (
        <>
          {" · "}
          <span class="off">{t("ex.off", { list: offPositions(result.off) })}</span>
        </>
      ) : null}
    </p>
  );
}
