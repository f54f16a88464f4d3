/**
 * Card labels shown across screens, as i18n keys: ratings, study queues, memory states, card kinds and
 * the verdicts and kinds of an exercise's answer parts. A screen translates the key; nothing else here.
 */
import type { QueueItem, Schemas } from "../api/client";
import type { Key } from "../i18n";
import type { Rating } from "./queue";

export const RATING_KEYS: Record<Rating, Key> = { 1: "study.again", 2: "study.hard", 3: "study.good", 4: "study.easy" };

export const QUEUE_KEYS: Record<QueueItem["queue"], Key> = {
  new: "study.queue.new",
  learning: "study.queue.learning",
  review: "study.queue.review",
};

const STATE_KEYS: Record<string, Key> = {
  new: "state.new",
  learning: "state.learning",
  review: "state.review",
  relearning: "state.relearning",
  suspended: "state.suspended",
  leech: "fsrs.stateLeech",
};

/** The state a card shows (and styles as): suspended wins over the memory state. */
export function stateName(state: string, suspended: boolean): string {
  return suspended ? "suspended" : state;
}

export function stateKey(state: string, suspended = false): Key {
  return STATE_KEYS[stateName(state, suspended)] ?? "state.new";
}

export function kindKey(kind: string): Key {
  if (kind === "reverse" || kind === "basic+reverse") return "cardkind.reverse";
  if (kind === "cloze" || kind === "exercise") return `cardkind.${kind}`;
  return "cardkind.basic";
}

export const PART_STATUS_KEYS: Record<Schemas["PartResultOut"]["status"], Key> = {
  correct: "ex.status.correct",
  wrong: "ex.status.wrong",
  unreadable: "ex.status.unreadable",
  missing: "ex.status.missing",
  imprecise: "ex.status.imprecise",
};

/** What an answer part expects ("a whole number", "a shape such as (64, 56, 56)"). */
export function answerKindKey(kind: string): Key {
  return `kind.${kind}` as Key;
}
