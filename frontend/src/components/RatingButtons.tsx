import { useEffect, useRef } from "preact/hooks";

import type { QueueItem } from "../api/client";
import { useI18n } from "../i18n";
import { formatInterval } from "../lib/intervals";
import { RATING_KEYS } from "../lib/labels";
import { intervalFor, type Rating, RATINGS } from "../lib/queue";

interface Props {
  item: QueueItem;
  onRate: (r: Rating) => void;
  /** The rating to highlight (an exercise's suggestion); it gets the focus so Enter confirms it. */
  suggested?: Rating | null;
  /** Focus a button when shown (default: the suggestion, else Good). */
  autoFocus?: boolean;
}

/** The four rating buttons, each with the interval it would give. */
export function RatingButtons({ item, onRate, suggested = null, autoFocus = true }: Props) {
  const { t, lang } = useI18n();
  const focusRef = useRef<HTMLButtonElement>(null);
  const focusRating: Rating = suggested ?? 3;
  useEffect(() => {
    if (autoFocus) focusRef.current?.focus({ preventScroll: true });
  }, [item.card.id, suggested, autoFocus]);
  return (
    <div class="ratings" role="group" aria-label={t("study.ratings")}>
      {RATINGS.map((r) => {
        const label = t(RATING_KEYS[r]);
        const interval = formatInterval(intervalFor(item, r), lang);
        return (
          <button
            key={r}
            type="button"
            ref={r === focusRating ? focusRef : undefined}
            class={`rate rate-${r}${suggested === r ? " suggested" : ""}`}
            data-rating={r}
            aria-label={t("study.rateLabel", { label, interval }) + (suggested === r ? ` (${t("ex.recommended")})` : "")}
            onClick={() => onRate(r)}
          >
            <span class="rate-interval">{interval}</span>
            <span class="rate-label">{label}</span>
            <kbd aria-hidden="true">{r}</kbd>
          </button>
        );
      })}
    </div>
  );
}
