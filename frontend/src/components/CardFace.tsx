import type { ComponentChildren } from "preact";

import type { CardOut } from "../api/client";
import { useI18n } from "../i18n";
import { hasCloze, renderMarkdown } from "../render/markdown";
import { Markdown } from "./Markdown";

type Face = Pick<CardOut, "id" | "kind" | "front" | "back">;

interface Props {
  card: Face;
  /** The answer is shown. It is in the page from the start, so revealing it moves nothing. */
  revealed: boolean;
  onReveal: () => void;
  /** What follows the revealed answer (the rating buttons, "next"), where "Show answer" was. */
  afterAnswer: ComponentChildren;
  /** An exercise's panel (prompt, answer boxes, verdict, what follows), shown under its front instead. */
  exercisePanel: ComponentChildren;
}

/**
 * A card as studied or practised: the front (cloze gaps hidden) over the answer (the full cloze text and
 * the back), hidden until revealed, and under the card "Show answer", then what follows the answer. An
 * exercise shows its front over its panel, which has its own controls.
 */
export function CardFace({ card, revealed, onReveal, afterAnswer, exercisePanel }: Props) {
  const { t } = useI18n();
  if (card.kind === "exercise") {
    return (
      <article class={`card-face kind-${card.kind}`} data-card-id={card.id} aria-label={t("study.front")}>
        <Markdown text={card.front} class="front exercise-front" />
        {exercisePanel}
      </article>
    );
  }
  const cloze = hasCloze(card.front);
  return (
    <>
      <article class={`card-face kind-${card.kind}`} data-card-id={card.id} aria-label={t("study.front")}>
        <div class="front">
          <Markdown text={card.front} cloze={cloze ? "hide" : undefined} />
        </div>
        <div class={`answer${revealed ? " shown" : ""}`} aria-hidden={revealed ? undefined : "true"}>
          <h2 class="visually-hidden">{t("study.answer")}</h2>
          {cloze ? <Markdown text={card.front} cloze="show" class="cloze-full" /> : null}
          {card.back ? <Markdown text={card.back} class="back" /> : null}
        </div>
      </article>
      <div class="answer-bar">
        {revealed ? (
          afterAnswer
        ) : (
          <button type="button" class="primary show-answer" onClick={onReveal}>
            {t("study.show")} <kbd>{t("key.space")}</kbd>
          </button>
        )}
      </div>
    </>
  );
}

/** Render what `CardFace` will show for a card ahead of time (renders are cached), so showing it is quick. */
export function prerenderCardFace(card: Face): void {
  if (card.kind === "exercise") {
    renderMarkdown(card.front);
    return;
  }
  const cloze = hasCloze(card.front);
  renderMarkdown(card.front, { cloze: cloze ? "hide" : undefined });
  if (cloze) renderMarkdown(card.front, { cloze: "show" });
  if (card.back) renderMarkdown(card.back);
}
