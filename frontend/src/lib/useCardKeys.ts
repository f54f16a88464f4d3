/** The keyboard on a studied or practised card (Study and Practice share it). */
import { useEffect, useRef } from "preact/hooks";

import { isRating, type Rating } from "./queue";

/** Where the screen stands and what it offers; a missing handler leaves its keys alone. */
export interface CardKeys {
  /** A card is on screen (otherwise no key is taken). */
  active: boolean;
  exercise: boolean;
  /** The answer is shown (an exercise: its answers are graded). */
  revealed: boolean;
  onReveal: () => void;
  /** 1–4 on a revealed card. */
  onRate?: (r: Rating) => void;
  /** Enter, N or → on a revealed card (not an exercise: its panel has a focused "next" button). */
  onNext?: () => void;
  onUndo?: () => void;
  onSuspend?: () => void;
  onBury?: () => void;
}

/** "answer": into the exercise's first answer box. */
export type CardKeyAction = "reveal" | "answer" | "next" | "undo" | "suspend" | "bury" | Rating;

/** What a key does on the card, or null when it is not taken. */
export function cardKeyAction(key: string, k: CardKeys): CardKeyAction | null {
  if (!k.active) return null;
  if ((key === " " || key === "Enter") && !k.revealed) return k.exercise ? "answer" : "reveal";
  if (k.revealed && k.onRate && key.length === 1 && isRating(Number(key))) return Number(key) as Rating;
  if (k.revealed && k.onNext && !k.exercise && (key === "Enter" || key === "n" || key === "N" || key === "ArrowRight")) return "next";
  if ((key === "u" || key === "U") && k.onUndo) return "undo";
  if ((key === "s" || key === "S") && k.onSuspend) return "suspend";
  if ((key === "b" || key === "B") && k.onBury) return "bury";
  return null;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el?.closest?.("input, textarea, select, [contenteditable='true']");
}

function run(action: CardKeyAction, k: CardKeys): void {
  if (typeof action === "number") k.onRate?.(action);
  else if (action === "reveal") k.onReveal();
  else if (action === "next") k.onNext?.();
  else if (action === "undo") k.onUndo?.();
  else if (action === "suspend") k.onSuspend?.();
  else if (action === "bury") k.onBury?.();
}

/**
 * Space or Enter reveals the answer (an exercise: goes to its first answer box, so U, S and B stay
 * shortcuts until then), then the screen's keys. Keys typed into a field or with a modifier are left
 * alone. `keys` is read when a key is pressed, so it sees the screen as it is then.
 */
export function useCardKeys(keys: () => CardKeys): void {
  const latest = useRef(keys);
  latest.current = keys;
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || isTyping(e.target)) return;
      const k = latest.current();
      const action = cardKeyAction(e.key, k);
      if (action === null) return;
      if (action === "answer") {
        const input = document.querySelector<HTMLElement>(".exercise-form input");
        if (!input) return;
        e.preventDefault();
        input.focus();
        return;
      }
      e.preventDefault();
      run(action, k);
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}
