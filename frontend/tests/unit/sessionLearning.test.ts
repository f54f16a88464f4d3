import { afterEach, describe, expect, it, vi } from "vitest";

import type { QueueItem } from "../../src/api/client";
import { mergeQueue } from "../../src/lib/queue";
import { type SessionApi, StudySession } from "../../src/lib/session";

function item(id: number, queue: "new" | "learning" | "review" = "new"): QueueItem {
  return {
    card: { id, uid: `c${id}`, deck: 1, deck_name: "d", kind: "basic", front: `front ${id}`, back: "", tags: [], topics: [], family: "" },
    state: { state: "new", step: null, stability: null, difficulty: null, due: null, last_review: null, reps: 0, lapses: 0, suspended: false, buried_until: null },
    queue,
    intervals: { again: 60, hard: 360, good: 600, easy: 86400 * 3 },
  };
}

/** A fake server with a clock: new cards, and cards in a learning step until their due time. */
function fakeServer(ids: number[]) {
  let fresh = [...ids];
  const learning = new Map<number, number>();
  const actions: Array<[number, string]> = [];
  const api = {
    queue: vi.fn(async (limit: number) => {
      const now = Date.now();
      const due = [...learning].filter(([, at]) => at <= now).map(([id]) => item(id, "learning"));
      const waiting = [...learning.values()].filter((at) => at > now);
      const today = {
        new_done: 0, reviews_done: 0, total_done: 0, new_left: 20, reviews_left: 200,
        learning_later: waiting.length,
        learning_next_due: waiting.length ? new Date(Math.min(...waiting)).toISOString() : null,
      };
      return { today, cards: [...due, ...fresh.map((i) => item(i))].slice(0, limit) };
    }),
    review: vi.fn(async (b: { card: number; rating: number; client_review_id: string }) => {
      fresh = fresh.filter((i) => i !== b.card);
      learning.delete(b.card);
      if (b.rating === 1) learning.set(b.card, Date.now() + 60_000);
      return { id: 1, card: b.card, rating: b.rating, reviewed_at: "", client_review_id: b.client_review_id, state_after: {}, due: null, leech: false };
    }),
    undo: vi.fn(async () => ({}) as never),
    cardAction: vi.fn(async (id: number, action: string) => {
      actions.push([id, action]);
      return {} as never;
    }),
    extraNew: vi.fn(async () => ({ cards: [] })),
    exercise: vi.fn(async () => ({}) as never),
  };
  return { api: api as unknown as SessionApi & typeof api, actions };
}

afterEach(() => vi.useRealTimers());

describe("mergeQueue with learning cards", () => {
  it("puts learning cards after the card on screen, the rest at the end", () => {
    const merged = mergeQueue([item(1), item(2)], [item(7, "learning"), item(3), item(2), item(8, "learning")], new Set(), 1);
    expect(merged.map((i) => i.card.id)).toEqual([1, 7, 8, 2, 3]);
    expect(mergeQueue([], [item(3), item(7, "learning")], new Set()).map((i) => i.card.id)).toEqual([7, 3]);
  });
});

describe("learning cards in a session", () => {
  it("a card rated Again comes back right after the card on screen once its step is due", async () => {
    vi.useFakeTimers({ now: new Date("2026-03-10T02:00:00Z"), toFake: ["Date", "setTimeout", "clearTimeout"] });
    const { api } = fakeServer([1, 2, 3, 4, 5, 6, 7, 8]);
    const s = new StudySession(api, { batch: 20, low: 2 });
    await s.start();
    s.rate(1); // card 1: Again, one minute
    s.rate(3);
    expect(s.current?.card.id).toBe(3);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(s.queue.map((q) => q.card.id)).not.toContain(1); // its step is not due yet
    await vi.advanceTimersByTimeAsync(31_000);
    expect(s.queue.map((q) => q.card.id).slice(0, 3)).toEqual([3, 1, 4]); // not after the other 5 new cards
    expect(s.queue[1]!.queue).toBe("learning");
    s.close();
  });

  it("the end of the queue says how many learning cards wait and when the first is due", async () => {
    vi.useFakeTimers({ now: new Date("2026-03-10T02:00:00Z"), toFake: ["Date", "setTimeout", "clearTimeout"] });
    const { api } = fakeServer([1]);
    const s = new StudySession(api, { batch: 20, low: 2 });
    await s.start();
    s.rate(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(s.phase).toBe("done");
    expect(s.later).toEqual({ count: 1, due: Date.parse("2026-03-10T02:01:00Z") });
    await vi.advanceTimersByTimeAsync(61_000); // the session's own timer asks again: the card is back
    expect(s.phase).toBe("card");
    expect(s.current?.card.id).toBe(1);
    s.close();
  });
});

describe("refills", () => {
  it("a rating made while a fetch is in flight gets a fresh fetch: the end screen counts every card", async () => {
    vi.useFakeTimers({ now: new Date("2026-03-10T02:00:00Z"), toFake: ["Date", "setTimeout", "clearTimeout"] });
    const { api } = fakeServer([1, 2]);
    // each review takes 50 ms to save, so the refill started after the first rating is still in flight
    // (waiting for that save) when the second rating comes
    const review = api.review.getMockImplementation()!;
    api.review.mockImplementation(async (b) => {
      await new Promise((r) => setTimeout(r, 50));
      return review(b);
    });
    const s = new StudySession(api, { batch: 20, low: 2 });
    await s.start();
    const ends: number[] = []; // the count of learning cards each time the end screen is shown
    s.subscribe(() => {
      if (s.phase === "done") ends.push(s.later.count);
    });
    s.rate(1); // Again: one minute
    s.rate(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(s.phase).toBe("done");
    expect(s.later.count).toBe(2); // the stale fetch would say 1
    expect(ends.length).toBeGreaterThan(0);
    expect(new Set(ends)).toEqual(new Set([2])); // never shown with the stale count first
    s.close();
  });
});

describe("undo of card actions", () => {
  it("undoes a suspend and a bury like a rating, newest first, the card back in front", async () => {
    const { api, actions } = fakeServer([1, 2, 3, 4]);
    const s = new StudySession(api, { batch: 20, low: 0 });
    await s.start();
    await s.act("suspend"); // card 1
    s.rate(3); // card 2
    await s.act("bury"); // card 3
    expect(s.current?.card.id).toBe(4);
    expect(s.lastUndoable).toBe("bury");
    expect(await s.undo()).toBe(true);
    expect(s.current?.card.id).toBe(3);
    expect(actions).toEqual([[1, "suspend"], [3, "bury"], [3, "unbury"]]);
    expect(s.lastUndoable).toBe("rating");
  });

  it("a suspend undone right away brings the card back", async () => {
    const { api, actions } = fakeServer([5, 6]);
    const s = new StudySession(api, { batch: 20, low: 0 });
    await s.start();
    await s.act("suspend");
    expect(s.current?.card.id).toBe(6);
    await s.undo();
    expect(s.current?.card.id).toBe(5);
    expect(s.queue.map((q) => q.card.id)).toEqual([5, 6]);
    expect(actions).toEqual([[5, "suspend"], [5, "unsuspend"]]);
    expect(s.canUndo).toBe(false);
  });
});
