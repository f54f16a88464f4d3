/** The local study queue: pure helpers (unit-tested). */
import type { QueueItem } from "../api/client";

/** Append the fetched cards that are not already queued locally nor excluded (rated since the fetch began). */
export function mergeQueue(local: readonly QueueItem[], fetched: readonly QueueItem[], exclude: ReadonlySet<number>): QueueItem[] {
  const have = new Set(local.map((i) => i.card.id));
  const out = [...local];
  for (const item of fetched) {
    if (have.has(item.card.id) || exclude.has(item.card.id)) continue;
    have.add(item.card.id);
    out.push(item);
  }
  return out;
}

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
