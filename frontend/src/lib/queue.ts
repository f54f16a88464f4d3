/** The local study queue: pure helpers (unit-tested). */
import type { QueueItem } from "../api/client";

/**
 * Add the fetched cards that are not already queued locally nor excluded (rated since the fetch began):
 * learning cards (their step is due) go to the front, after the first `keep` local cards (the one on screen),
 * the others at the end.
 */
export function mergeQueue(
  local: readonly QueueItem[],
  fetched: readonly QueueItem[],
  exclude: ReadonlySet<number>,
  keep = 0,
): QueueItem[] {
  const have = new Set(local.map((i) => i.card.id));
  const front: QueueItem[] = [];
  const back: QueueItem[] = [];
  for (const item of fetched) {
    if (have.has(item.card.id) || exclude.has(item.card.id)) continue;
    have.add(item.card.id);
    (item.queue === "learning" ? front : back).push(item);
  }
  const k = Math.min(keep, local.length);
  return [...local.slice(0, k), ...front, ...local.slice(k), ...back];
}

/** A rating whose interval is shorter than this keeps the card in (re)learning: it comes back this session. */
export const LEARNING_HORIZON_S = 86_400;

export type Rating = 1 | 2 | 3 | 4;

export const RATINGS: readonly Rating[] = [1, 2, 3, 4];

export function isRating(n: number): n is Rating {
  return n === 1 || n === 2 || n === 3 || n === 4;
}

export function intervalFor(item: QueueItem, rating: Rating): number {
  const iv = item.intervals;
  return rating === 1 ? iv.again : rating === 2 ? iv.hard : rating === 3 ? iv.good : iv.easy;
}

/** A fresh id for a review (idempotency key); crypto.randomUUID where available. */
export function newReviewId(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
