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
  /** An exercise's panel (prompt, answer boxes, verdict), shown under its front. */
  children?: ComponentChildren;
}

/**
 * A card as studied or practised: the front (cloze gaps hidden) over the answer (the full cloze text and
 * the back), which stays hidden until revealed; an exercise shows its front over the caller's panel.
 */
export function CardFace({ card, revealed, children }: Props) {
  const { t } = useI18n();
  const cloze = hasCloze(card.front);
  return (
    <article class={`card-face kind-${card.kind}`} data-card-id={card.id} aria-label={t("study.front")}>
      {card.kind === "exercise" ? (
        <>
          <Markdown text={card.front} class="front exercise-front" />
          {children}
        </>
      ) : (
        <>
          <div class="front">
            <Markdown text={card.front} cloze={cloze ? "hide" : undefined} />
          </div>
          <div class={`answer${revealed ? " shown" : ""}`} aria-hidden={revealed ? undefined : "true"}>
            <h2 class="visually-hidden">{t("study.answer")}</h2>
            {cloze ? <Markdown text={card.front} cloze="show" class="cloze-full" /> : null}
            {card.back ? <Markdown text={card.back} class="back" /> : null}
          </div>
        </>
      )}
    </article>
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

interface AnswerBarProps {
  revealed: boolean;
  onReveal: () => void;
  /** What follows the answer (the rating buttons, "next"). */
  children: ComponentChildren;
}

/** Under a card face (not an exercise's: its panel has its own): "Show answer", then in its place what follows. */
export function AnswerBar({ revealed, onReveal, children }: AnswerBarProps) {
  const { t } = useI18n();
  return (
    <div class="answer-bar">
      {revealed ? (
        children
      ) : (
        <button type="button" class="primary show-answer" onClick={onReveal}>
          {t("study.show")} <kbd>{t("key.space")}</kbd>
        </button>
      )}
    </div>
  );
}
