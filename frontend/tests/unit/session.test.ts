import { describe, expect, it, vi } from "vitest";

import type { QueueItem } from "../../src/api/client";
import { mergeQueue } from "../../src/lib/queue";
import { type SessionApi, StudySession } from "../../src/lib/session";

function item(id: number, kind = "basic"): QueueItem {
  return {
    card: { id, uid: `c${id}`, deck: 1, deck_name: "d", kind, front: `front ${id}`, back: "", tags: [], topics: [], family: "" },
    state: { state: "new", step: null, stability: null, difficulty: null, due: null, last_review: null, reps: 0, lapses: 0, suspended: false, buried_until: null },
    queue: "new",
    intervals: { again: 60, hard: 360, good: 600, easy: 86400 * 3 },
  };
}

const today = { new_done: 0, reviews_done: 0, total_done: 0, new_left: 20, reviews_left: 200 };

/** A fake server: a list of due card ids; a review removes the card from it. */
function fakeApi(ids: number[]) {
  let due = [...ids];
  const reviews: Array<{ card: number; rating: number; client_review_id: string; duration_ms?: number }> = [];
  const api = {
    queue: vi.fn(async (limit: number) => ({ today, cards: due.slice(0, limit).map((i) => item(i)) })),
    review: vi.fn(async (b: { card: number; rating: number; client_review_id: string; duration_ms?: number }) => {
      reviews.push(b);
      due = due.filter((i) => i !== b.card);
      return { id: reviews.length, card: b.card, rating: b.rating, reviewed_at: "", client_review_id: b.client_review_id, state_after: {}, due: null };
    }),
    undo: vi.fn(async () => {
      const last = reviews.pop()!;
      due = [last.card, ...due];
      return { id: 1, card: last.card, rating: last.rating, reviewed_at: "", client_review_id: last.client_review_id, state_after: {}, due: null };
    }),
    cardAction: vi.fn(async () => ({}) as never),
    extraNew: vi.fn(async () => ({ cards: [item(900)] })),
    exercise: vi.fn(async (id: number) => ({ attempt: id, family: "f", title: "t", prompt: "p", parts: [], result: null })),
  };
  return { api: api as unknown as SessionApi & typeof api, reviews };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("mergeQueue", () => {
  it("appends only cards not queued and not excluded", () => {
    const merged = mergeQueue([item(1), item(2)], [item(2), item(3), item(4), item(3)], new Set([4]));
    expect(merged.map((i) => i.card.id)).toEqual([1, 2, 3]);
  });
});

describe("StudySession", () => {
  it("shows the next card at once and posts each rating with a fresh id and a duration", async () => {
    const { api, reviews } = fakeApi([1, 2, 3]);
    const s = new StudySession(api, { batch: 20, low: 1 });
    await s.start();
    expect(s.current?.card.id).toBe(1);
    s.reveal();
    s.rate(3);
    expect(s.current?.card.id).toBe(2); // synchronously: no waiting for the server
    expect(s.revealed).toBe(false);
    s.rate(1);
    await flush();
    expect(reviews.map((r) => [r.card, r.rating])).toEqual([[1, 3], [2, 1]]);
    expect(new Set(reviews.map((r) => r.client_review_id)).size).toBe(2);
    expect(reviews.every((r) => typeof r.duration_ms === "number" && r.duration_ms >= 0)).toBe(true);
  });

  it("refills before the queue runs dry, after the ratings in flight are saved", async () => {
    const { api } = fakeApi(Array.from({ length: 30 }, (_, i) => i + 1));
    const s = new StudySession(api, { batch: 10, low: 3 });
    await s.start();
    expect(s.queue).toHaveLength(10);
    for (let i = 0; i < 7; i++) s.rate(3);
    await flush();
    await flush();
    expect(api.queue).toHaveBeenCalledTimes(2);
    // Cards already rated never come back; the queue holds the rest in order.
    expect(s.queue.map((q) => q.card.id).slice(0, 5)).toEqual([8, 9, 10, 11, 12]);
  });

  it("ends when the server has nothing more", async () => {
    const { api } = fakeApi([1]);
    const s = new StudySession(api);
    await s.start();
    s.rate(4);
    expect(s.phase).toBe("refilling");
    await flush();
    await flush();
    expect(s.phase).toBe("done");
    expect(s.reviewedCount).toBe(1);
  });

  it("undo puts the last card back in front, unrevealed, and forgets its rating", async () => {
    const { api, reviews } = fakeApi([1, 2, 3]);
    const s = new StudySession(api);
    await s.start();
    s.rate(2);
    s.reveal();
    expect(await s.undo()).toBe(true);
    expect(s.current?.card.id).toBe(1);
    expect(s.queue.map((q) => q.card.id)).toEqual([1, 2, 3]);
    expect(s.revealed).toBe(false);
    expect(s.counts[2]).toBe(0);
    expect(reviews).toHaveLength(0);
  });

  it("retries a failed rating with the same client_review_id", async () => {
    const { api, reviews } = fakeApi([1, 2]);
    api.review.mockRejectedValueOnce(Object.assign(new Error("down"), { status: 503 }));
    const s = new StudySession(api, { retryDelays: [1] });
    await s.start();
    s.rate(3);
    await new Promise((r) => setTimeout(r, 20));
    expect(api.review).toHaveBeenCalledTimes(2);
    const ids = api.review.mock.calls.map((c) => c[0].client_review_id);
    expect(ids[0]).toBe(ids[1]);
    expect(reviews).toHaveLength(1);
    expect(s.saveState).toBe("ok");
  });

  it("prefetches the exercise of an upcoming exercise card", async () => {
    const { api } = fakeApi([]);
    api.queue.mockResolvedValueOnce({ today, cards: [item(1), item(2, "exercise")] });
    const s = new StudySession(api);
    await s.start();
    expect(api.exercise).toHaveBeenCalledWith(2);
    await s.exercise(2);
    expect(api.exercise).toHaveBeenCalledTimes(1);
  });
});
