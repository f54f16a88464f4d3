import type { RefObject } from "preact";
import { useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";

import { api, type QueueItem } from "../api/client";
import { CardFace, prerenderCardFace } from "../components/CardFace";
import { DemoLinks } from "../components/DemoLinks";
import { ExercisePanel } from "../components/ExercisePanel";
import { Link } from "../components/Link";
import { RatingButtons } from "../components/RatingButtons";
import { useI18n } from "../i18n";
import { errorMessage, type Note, noteText } from "../lib/errors";
import { formatDuration, formatPercent } from "../lib/format";
import { formatInterval } from "../lib/intervals";
import { QUEUE_KEYS, RATING_KEYS } from "../lib/labels";
import { isRating, type Rating, RATINGS } from "../lib/queue";
import { isScoped, scopeFromQuery, scopeQuery } from "../lib/scope";
import { StudySession } from "../lib/session";
import { useCardKeys } from "../lib/useCardKeys";
import { useAction } from "../lib/useSubmit";
import { useRoute } from "../router";

const MORE_NEW = 10;

function idle(fn: () => void): void {
  if ("requestIdleCallback" in window) window.requestIdleCallback(fn, { timeout: 500 });
  else setTimeout(fn, 30);
}

export function Study() {
  const i18n = useI18n();
  const { t } = i18n;
  const route = useRoute();
  const scopeKey = scopeQuery(scopeFromQuery(route.query));
  const scope = useMemo(() => scopeFromQuery(route.query), [scopeKey]);
  const session = useMemo(() => new StudySession(api, { scope }), [scope]);
  const [, rerender] = useReducer((x: number, _: void) => x + 1, 0);
  const [flash, setFlash] = useState<Note>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const off = session.subscribe(rerender);
    void session.start();
    return () => {
      off();
      session.close();
    };
  }, [session]);

  const item = session.current;
  const cardKey = item && session.phase === "card" ? `${item.card.id}:${item.state.reps}:${session.reviewedCount}` : "";

  // The moment the next card's front is in the document: timing for the review and for the benchmark.
  useLayoutEffect(() => {
    if (!cardKey || !item) return;
    session.markShown();
    performance.mark("dlquiz:card-shown", { detail: { card: item.card.id } });
    idle(() => {
      for (const next of session.upcoming()) prerenderCardFace(next.card);
    });
  }, [cardKey]);

  function rate(r: Rating) {
    performance.mark("dlquiz:rate");
    setFlash(null);
    session.rate(r);
  }

  async function undo() {
    try {
      const what = session.lastUndoable;
      const ok = await session.undo();
      const done = what === "suspend" ? "session.undoneSuspend" : what === "bury" ? "session.undoneBury" : "study.undone";
      setFlash({ key: ok ? done : "study.nothingToUndo" });
    } catch (e) {
      setFlash({ error: e });
    }
  }

  async function act(action: "suspend" | "bury") {
    try {
      const p = session.act(action);
      setFlash({ key: action === "suspend" ? "study.suspended" : "study.buried" });
      await p;
    } catch (e) {
      setFlash({ error: e });
    }
  }

  useCardKeys(() => ({
    active: session.phase === "card" && !!session.current,
    exercise: session.current?.card.kind === "exercise",
    revealed: session.revealed,
    onReveal: () => session.reveal(),
    onRate: rate,
    onUndo: () => void undo(),
    onSuspend: () => void act("suspend"),
    onBury: () => void act("bury"),
  }));

  const finished = session.phase === "done";
  useEffect(() => {
    if (finished) heading.current?.focus();
  }, [finished]);

  return (
    <section class="study" aria-labelledby="study-title">
      <h1 id="study-title" class="visually-hidden" tabIndex={-1}>
        {t("study.title")}
      </h1>
      {isScoped(scope) ? (
        <p class="scope-note" data-testid="scope-note">
          <strong>{t("scope.custom")}</strong> <Link href="/study">{t("scope.everything")}</Link>
        </p>
      ) : null}
      {session.saveState !== "ok" ? (
        <p class="notice" role="alert">
          {t(session.saveState === "retrying" ? "study.saveRetry" : "study.saveFailed")}{" "}
          {session.saveState === "failed" ? (
            <button type="button" onClick={() => session.retryFailed()}>
              {t("common.retry")}
            </button>
          ) : null}
        </p>
      ) : null}
      {session.phase === "loading" ? <p class="muted">{t("common.loading")}</p> : null}
      {session.phase === "refilling" ? <p class="muted" aria-live="polite">{t("study.loadingNext")}</p> : null}
      {session.phase === "error" ? (
        <div class="panel">
          <p class="error" role="alert">
            {errorMessage(session.error, i18n)}
          </p>
          <button type="button" onClick={() => void session.start()}>
            {t("common.retry")}
          </button>
        </div>
      ) : null}
      {session.phase === "card" && item ? (
        <CardView
          key={cardKey}
          session={session}
          item={item}
          onRate={rate}
          onUndo={() => void undo()}
          onAct={(a) => void act(a)}
        />
      ) : null}
      {finished ? <Finished session={session} headingRef={heading} /> : null}
      <p class="flash" role="status" aria-live="polite">
        {noteText(flash, i18n)}
      </p>
    </section>
  );
}

interface CardViewProps {
  session: StudySession;
  item: QueueItem;
  onRate: (r: Rating) => void;
  onUndo: () => void;
  onAct: (a: "suspend" | "bury") => void;
}

function CardView({ session, item, onRate, onUndo, onAct }: CardViewProps) {
  const { t } = useI18n();
  const card = item.card;
  const exercise = card.kind === "exercise";
  const revealed = session.revealed;
  const attempt = useRef(0);
  const [suggested, setSuggested] = useState<Rating | null>(null);
  return (
    <>
      <div class="study-head">
        <span class={`badge queue-${item.queue}`}>{t(QUEUE_KEYS[item.queue])}</span>
        <span class="deck-name">{card.deck_name}</span>
        <span class="study-count">{t("study.count", { n: session.reviewedCount, left: session.queue.length })}</span>
      </div>
      <CardFace
        card={card}
        revealed={revealed}
        onReveal={() => session.reveal()}
        afterAnswer={<RatingButtons item={item} onRate={onRate} />}
        exercisePanel={
          <ExercisePanel
            load={() =>
              session.exercise(card.id).then((ex) => {
                attempt.current = ex.attempt;
                return ex;
              })
            }
            submit={(answers) => api.answer(card.id, { attempt: attempt.current, answers })}
            onGraded={(r) => {
              setSuggested(r.suggested_rating !== null && isRating(r.suggested_rating) ? r.suggested_rating : null);
              session.reveal();
            }}
          >
            {(r) => (
              <div class="exercise-rating">
                {r.suggested_rating !== null && isRating(r.suggested_rating) ? (
                  <p>
                    <strong>{t("ex.suggested", { label: t(RATING_KEYS[r.suggested_rating]) })}</strong>{" "}
                    <span class="muted">{t("ex.chooseRating")}</span>
                  </p>
                ) : null}
                <RatingButtons item={item} onRate={onRate} suggested={suggested} />
              </div>
            )}
          </ExercisePanel>
        }
      />
      {revealed ? <DemoLinks topics={card.topics} /> : null}
      <div class="card-actions" role="group" aria-label={t("study.actions")}>
        <button type="button" onClick={onUndo} disabled={!session.canUndo}>
          {t("study.undo")} <kbd>U</kbd>
        </button>
        <button type="button" onClick={() => onAct("suspend")}>
          {t("study.suspend")} <kbd>S</kbd>
        </button>
        <button type="button" onClick={() => onAct("bury")}>
          {t("study.bury")} <kbd>B</kbd>
        </button>
      </div>
      <p class="keys-help">{t(exercise ? "study.keysExercise" : "study.keys")}</p>
    </>
  );
}

function Finished({ session, headingRef }: { session: StudySession; headingRef: RefObject<HTMLHeadingElement | null> }) {
  const i18n = useI18n();
  const { t, locale, lang } = i18n;
  const [note, setNote] = useState<Note>(null);
  const later = session.later;
  // Learning cards still waiting: look again when the first is due (it then shows here by itself).
  useEffect(() => {
    if (!later.count || later.due === null) return;
    const timer = setTimeout(() => void session.checkAgain(), Math.max(0, later.due - Date.now()) + 250);
    return () => clearTimeout(timer);
  }, [later.count, later.due]);
  const more = useAction(async () => {
    if (!(await session.learnMore(MORE_NEW))) setNote({ key: "empty.noNew" });
  });
  const n = session.reviewedCount;
  const c = session.counts;
  const recalled = n ? (c[2] + c[3] + c[4]) / n : null;

  return (
    <div class="panel finished">
      <h2 ref={headingRef} tabIndex={-1}>
        {n ? t("sum.title") : t("empty.title")}
      </h2>
      {n ? (
        <dl class="summary">
          <div>
            <dt>{t("sum.reviewed")}</dt>
            <dd data-testid="summary-count">{n}</dd>
          </div>
          <div>
            <dt>{t("sum.time")}</dt>
            <dd>{formatDuration(Date.now() - session.startedAt, t)}</dd>
          </div>
          <div>
            <dt>{t("sum.recall")}</dt>
            <dd>{formatPercent(recalled, locale)}</dd>
          </div>
          <div>
            <dt>{t("sum.byRating")}</dt>
            <dd>
              {RATINGS.map((r) => `${t(RATING_KEYS[r])} ${c[r]}`).join(" · ")}
            </dd>
          </div>
        </dl>
      ) : (
        <p>{t("empty.text")}</p>
      )}
      {later.count && later.due !== null ? (
        <p class="learning-later" data-testid="learning-later">
          {t("session.learningLater", {
            n: later.count,
            time: formatInterval(Math.max(0, (later.due - Date.now()) / 1000), lang),
          })}{" "}
          <span class="muted">{t("session.learningSoon")}</span>
        </p>
      ) : null}
      <div class="actions">
        <button type="button" class="primary" onClick={() => more.run()} disabled={more.busy}>
          {t("empty.moreNew", { n: MORE_NEW })}
        </button>
        <Link href="/practice" class="button">
          {t("empty.practice")}
        </Link>
        <button type="button" onClick={() => void session.checkAgain()}>
          {t("sum.checkAgain")}
        </button>
        <Link href="/" class="button">
          {t("sum.back")}
        </Link>
      </div>
      <p role="status">{more.error || noteText(note, i18n)}</p>
    </div>
  );
}
