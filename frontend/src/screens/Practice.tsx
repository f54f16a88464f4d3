import { useEffect, useRef, useState } from "preact/hooks";

import { api } from "../api/client";
import { CardFace } from "../components/CardFace";
import { DemoLinks } from "../components/DemoLinks";
import { ExercisePanel } from "../components/ExercisePanel";
import { Link } from "../components/Link";
import { ScopePicker } from "../components/ScopePicker";
import { useI18n } from "../i18n";
import { errorMessage } from "../lib/errors";
import { isScoped, scopeFromQuery, scopeQuery } from "../lib/scope";
import { useAsync } from "../lib/useAsync";
import { useCardKeys } from "../lib/useCardKeys";
import { useRoute } from "../router";

/** Practice without scheduling: cards shown and answered, nothing recorded. */
export function Practice() {
  const i18n = useI18n();
  const { t } = i18n;
  const [round, setRound] = useState(0);
  const route = useRoute();
  const scopeKey = scopeQuery(scopeFromQuery(route.query));
  const cards = useAsync(() => api.practiceCards(20, scopeFromQuery(route.query)), [round, scopeKey]);
  const [index, setIndex] = useState(0);
  useEffect(() => setIndex(0), [scopeKey]);
  const [revealed, setRevealed] = useState(false);
  const [variant, setVariant] = useState(0);
  const token = useRef("");
  const nextButton = useRef<HTMLButtonElement>(null);

  const list = cards.data?.cards ?? [];
  const card = list[index];
  const exercise = card?.kind === "exercise";

  function next() {
    setRevealed(false);
    setVariant(0);
    setIndex((i) => i + 1);
  }

  useEffect(() => {
    if (revealed) nextButton.current?.focus({ preventScroll: true });
  }, [revealed]);

  useCardKeys(() => ({ active: !!card, exercise, revealed, onReveal: () => setRevealed(true), onNext: next }));

  return (
    <section class="practice study" aria-labelledby="practice-title">
      <div class="page-head">
        <h1 id="practice-title" tabIndex={-1}>
          {t("prac.title")}
        </h1>
        <p class="muted">{t("prac.note")}</p>
      </div>
      <details class="scope" open={isScoped(scopeFromQuery(route.query))}>
        <summary>{t("scope.choose")}</summary>
        <ScopePicker key={scopeKey} path="/practice" scope={scopeFromQuery(route.query)} />
      </details>
      {cards.error ? <p class="error" role="alert">{errorMessage(cards.error, i18n)}</p> : null}
      {cards.loading && !cards.data ? <p class="muted">{t("common.loading")}</p> : null}
      {cards.data && !list.length ? <p>{t("prac.none")}</p> : null}
      {cards.data && list.length && !card ? (
        <div class="panel finished">
          <h2>{t("prac.done")}</h2>
          <div class="actions">
            <button
              type="button"
              class="primary"
              onClick={() => {
                setIndex(0);
                setRound((r) => r + 1);
              }}
            >
              {t("prac.again")}
            </button>
            <Link href="/" class="button">
              {t("sum.back")}
            </Link>
          </div>
        </div>
      ) : null}
      {card ? (
        <>
          <div class="study-head">
            <span class="deck-name">{card.deck_name}</span>
            <span class="study-count">
              {index + 1} / {list.length}
            </span>
          </div>
          <CardFace
            card={card}
            revealed={revealed}
            onReveal={() => setRevealed(true)}
            afterAnswer={
              <button type="button" class="primary show-answer" ref={nextButton} onClick={next}>
                {t("prac.next")} <kbd>N</kbd>
              </button>
            }
            exercisePanel={
              <ExercisePanel
                key={`${card.id}-${variant}`}
                load={() =>
                  api.practiceExercise(card.id).then((v) => {
                    token.current = v.token;
                    return v;
                  })
                }
                submit={(answers) => api.practiceAnswer({ token: token.current, answers })}
                onGraded={() => setRevealed(true)}
              >
                {() => (
                  <div class="actions">
                    <button type="button" class="primary" ref={nextButton} onClick={next}>
                      {t("prac.next")}
                    </button>
                    <button
                      type="button"
                      onClick={() => {
                        setRevealed(false);
                        setVariant((v) => v + 1);
                      }}
                    >
                      {t("prac.another")}
                    </button>
                  </div>
                )}
              </ExercisePanel>
            }
          />
          {revealed ? <DemoLinks topics={card.topics} /> : null}
        </>
      ) : null}
    </section>
  );
}
