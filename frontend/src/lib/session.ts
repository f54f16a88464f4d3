/**
 * One study session: a local queue refilled from the server before it runs dry, so the next card is
 * always on hand. Ratings are sent in the background (each with a fresh client_review_id, retried on
 * failure: the server is idempotent on that id); a refill waits for them so the server's queue is current.
 */
import type { api as apiClient, Exercise, QueueItem } from "../api/client";
import type { StudyScope } from "./scope";
import { intervalFor, LEARNING_HORIZON_S, mergeQueue, newReviewId, type Rating } from "./queue";

export type SessionApi = Pick<typeof apiClient, "queue" | "review" | "undo" | "cardAction" | "extraNew" | "exercise">;

export type Phase = "loading" | "card" | "refilling" | "done" | "error";
export type SaveState = "ok" | "retrying" | "failed";

interface Rated {
  item: QueueItem;
  rating: Rating;
  clientId: string;
}

/** A suspend or bury of this session, undone like a rating (the same U key and button). */
interface Acted {
  item: QueueItem;
  action: "suspend" | "bury";
}

/** Learning cards waiting for their step, as the server last said (the end screen's "3 cards in 4 min"). */
export interface LearningLater {
  count: number;
  /** when the first is due (ms since the epoch), or null */
  due: number | null;
}

export interface SessionOptions {
  batch: number;
  low: number;
  retryDelays: number[];
  /** custom study: one deck, tag, topic or kind */
  scope: StudyScope;
}

const DEFAULTS: SessionOptions = { batch: 20, low: 5, retryDelays: [300, 1000, 3000], scope: {} };
const MAX_DURATION_MS = 86_400_000;

export class StudySession {
  queue: QueueItem[] = [];
  phase: Phase = "loading";
  revealed = false;
  saveState: SaveState = "ok";
  error: unknown = null;
  counts: Record<Rating, number> = { 1: 0, 2: 0, 3: 0, 4: 0 };
  readonly startedAt = Date.now();
  /** performance.now() when the current card was shown (duration_ms of its review). */
  shownAt = 0;
  private rated: Rated[] = [];
  /** Ratings and card actions in order: what undo takes back, the newest first. */
  private history: Array<Rated | Acted> = [];
  /** Cards rated into a learning step this session: card id -> when the step is due (ms). */
  private learning = new Map<number, number>();
  private learningTimer: ReturnType<typeof setTimeout> | null = null;
  later: LearningLater = { count: 0, due: null };
  private pending = new Set<Promise<unknown>>();
  private failed: Array<Parameters<SessionApi["review"]>[0]> = [];
  private seq = 0;
  private ratedSeq = new Map<number, number>();
  private refilling: Promise<void> | null = null;
  /** The rating count (``seq``) when the fetch in flight started: a later rating needs a fresh one. */
  private refillMark = -1;
  /** The rating count the last completed fetch reflects (the end screen waits for one that has them all). */
  private fetchedMark = 0;
  private exercises = new Map<number, Promise<Exercise>>();
  private listeners = new Set<() => void>();
  private readonly opts: SessionOptions;

  constructor(
    private readonly api: SessionApi,
    opts: Partial<SessionOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  get current(): QueueItem | undefined {
    return this.queue[0];
  }

  get reviewedCount(): number {
    return this.rated.length;
  }

  get canUndo(): boolean {
    return this.history.length > 0;
  }

  /** Stop the timers (the screen is left). */
  close(): void {
    if (this.learningTimer !== null) clearTimeout(this.learningTimer);
    this.learningTimer = null;
  }

  async start(): Promise<void> {
    this.phase = "loading";
    this.emit();
    try {
      await this.refill();
      this.phase = this.current ? "card" : "done";
    } catch (e) {
      this.error = e;
      this.phase = "error";
    }
    this.prefetch();
    this.emit();
  }

  /** More new cards than today's limit ("learn more"). */
  async learnMore(n: number): Promise<number> {
    const data = await this.api.extraNew(n, this.opts.scope);
    const before = this.queue.length;
    this.queue = mergeQueue(this.queue, data.cards, new Set());
    if (this.current) this.phase = "card";
    this.prefetch();
    this.emit();
    return this.queue.length - before;
  }

  markShown(): void {
    this.shownAt = performance.now();
  }

  reveal(): void {
    if (!this.current || this.revealed) return;
    this.revealed = true;
    this.emit();
  }

  rate(rating: Rating): void {
    const item = this.queue.shift();
    if (!item) return;
    const clientId = newReviewId();
    const duration = Math.min(MAX_DURATION_MS, Math.max(0, Math.round(performance.now() - this.shownAt)));
    const rated = { item, rating, clientId };
    this.rated.push(rated);
    this.history.push(rated);
    const interval = intervalFor(item, rating);
    if (interval < LEARNING_HORIZON_S) this.learning.set(item.card.id, Date.now() + interval * 1000);
    else this.learning.delete(item.card.id);
    this.armLearningTimer();
    this.counts[rating]++;
    this.ratedSeq.set(item.card.id, ++this.seq);
    this.exercises.delete(item.card.id);
    this.send({ card: item.card.id, rating, client_review_id: clientId, duration_ms: duration });
    this.advance();
  }

  private send(body: Parameters<SessionApi["review"]>[0]): void {
    const p = this.withRetry(() => this.api.review(body)).catch(() => {
      this.failed.push(body);
      this.saveState = "failed";
      this.emit();
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await fn();
        if (this.saveState === "retrying" && this.failed.length === 0) {
          this.saveState = "ok";
          this.emit();
        }
        return r;
      } catch (e) {
        const status = (e as { status?: number }).status ?? 0;
        const transient = status === 0 || status === 429 || status >= 500;
        const delay = this.opts.retryDelays[attempt];
        if (!transient || delay === undefined) throw e;
        this.saveState = "retrying";
        this.emit();
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Resend the ratings that could not be saved (same client_review_id: no double counting). */
  retryFailed(): void {
    const again = this.failed.splice(0);
    this.saveState = "ok";
    for (const body of again) this.send(body);
    this.emit();
  }

  /** When the next learning step this session knows of is due, ask the server: the card comes back next. */
  private armLearningTimer(): void {
    if (this.learningTimer !== null) clearTimeout(this.learningTimer);
    this.learningTimer = null;
    if (!this.learning.size) return;
    const next = Math.min(...this.learning.values());
    this.learningTimer = setTimeout(() => this.learningDue(), Math.max(0, next - Date.now()) + 250);
  }

  private dueLearning(): boolean {
    const now = Date.now();
    let due = false;
    for (const [card, at] of this.learning) {
      if (at <= now) {
        this.learning.delete(card);
        due = true;
      }
    }
    return due;
  }

  private learningDue(): void {
    this.learningTimer = null;
    if (this.dueLearning() && this.phase !== "loading") {
      void this.refill()
        .catch(() => undefined)
        .then(() => {
          if (this.phase === "done" && this.current) this.phase = "card";
          this.afterRefill();
          this.emit();
        });
    }
    this.armLearningTimer();
  }

  private advance(): void {
    this.revealed = false;
    if (this.queue.length <= this.opts.low || this.dueLearning())
      void this.refill().catch(() => undefined).then(() => this.afterRefill());
    if (!this.current) this.phase = "refilling";
    this.prefetch();
    this.emit();
  }

  private afterRefill(): void {
    if (this.phase === "refilling") {
      // out of cards, but a fetch that includes the latest ratings is still coming: wait for it, or the end
      // screen would show a stale count of the learning cards waiting
      if (!this.current && this.fetchedMark < this.seq) return;
      this.phase = this.current ? "card" : "done";
      this.prefetch();
      this.emit();
    }
  }

  /** Fetch the server's queue (after the ratings in flight are saved) and append what is new to us. */
  refill(): Promise<void> {
    if (this.refilling) {
      if (this.refillMark === this.seq) return this.refilling;
      // rated since that fetch started: its answer is stale (e.g. the count of learning cards waiting), so
      // fetch again once it is done
      return this.refilling.catch(() => undefined).then(() => this.refill());
    }
    const mark = this.seq;
    this.refillMark = mark;
    this.refilling = (async () => {
      await Promise.allSettled([...this.pending]);
      const data = await this.api.queue(this.opts.batch, this.opts.scope);
      const exclude = new Set<number>();
      for (const [card, s] of this.ratedSeq) if (s > mark) exclude.add(card);
      const onScreen = this.phase === "card" && this.queue.length > 0 ? 1 : 0;
      this.queue = mergeQueue(this.queue, data.cards, exclude, onScreen);
      const due = data.today.learning_next_due;
      this.later = { count: data.today.learning_later ?? 0, due: due ? Date.parse(due) : null };
      this.fetchedMark = Math.max(this.fetchedMark, mark);
    })().finally(() => {
      this.refilling = null;
    });
    return this.refilling;
  }

  /** Check the server again (e.g. learning cards that have come due). */
  async checkAgain(): Promise<void> {
    this.phase = "refilling";
    this.emit();
    try {
      await this.refill();
    } catch (e) {
      this.error = e;
    }
    this.afterRefill();
  }

  /** Undo the last rating, suspend or bury of this session: the card comes back to the front, unrevealed. */
  async undo(): Promise<boolean> {
    const last = this.history[this.history.length - 1];
    if (!last) return false;
    if ("action" in last) return this.undoAction(last);
    await Promise.allSettled([...this.pending]);
    const log = await this.api.undo();
    const i = this.rated.map((r) => r.item.card.id).lastIndexOf(log.card);
    if (i < 0) return false;
    const [entry] = this.rated.splice(i, 1);
    this.history = this.history.filter((h) => h !== entry);
    this.learning.delete(log.card);
    this.armLearningTimer();
    this.counts[entry!.rating]--;
    this.ratedSeq.delete(log.card);
    this.exercises.delete(log.card);
    this.queue = [entry!.item, ...this.queue.filter((q) => q.card.id !== log.card)];
    this.revealed = false;
    this.phase = "card";
    this.emit();
    return true;
  }

  /** Suspend or bury the current card: it leaves the queue at once; on failure it comes back. */
  async act(action: "suspend" | "bury"): Promise<void> {
    const item = this.queue.shift();
    if (!item) return;
    const acted: Acted = { item, action };
    this.history.push(acted);
    this.advance();
    try {
      await this.api.cardAction(item.card.id, action);
    } catch (e) {
      this.history = this.history.filter((h) => h !== acted);
      this.queue = [item, ...this.queue.filter((q) => q.card.id !== item.card.id)];
      this.phase = "card";
      this.emit();
      throw e;
    }
  }

  private async undoAction(acted: Acted): Promise<boolean> {
    await this.api.cardAction(acted.item.card.id, acted.action === "suspend" ? "unsuspend" : "unbury");
    this.history = this.history.filter((h) => h !== acted);
    this.queue = [acted.item, ...this.queue.filter((q) => q.card.id !== acted.item.card.id)];
    this.revealed = false;
    this.phase = "card";
    this.emit();
    return true;
  }

  /** What the last undo took back (for its toast): a rating or a card action. */
  get lastUndoable(): "rating" | "suspend" | "bury" | null {
    const last = this.history[this.history.length - 1];
    return !last ? null : "action" in last ? last.action : "rating";
  }

  /** The current exercise of an exercise card (fetched once; the next ones are prefetched). */
  exercise(cardId: number): Promise<Exercise> {
    let p = this.exercises.get(cardId);
    if (!p) {
      p = this.api.exercise(cardId);
      p.catch(() => this.exercises.delete(cardId));
      this.exercises.set(cardId, p);
    }
    return p;
  }

  private prefetch(): void {
    for (const item of this.queue.slice(0, 2)) {
      if (item.card.kind === "exercise") void this.exercise(item.card.id).catch(() => undefined);
    }
  }

  /** The next few cards, for warming caches (rendered markdown). */
  upcoming(n = 2): QueueItem[] {
    return this.queue.slice(1, 1 + n);
  }
}
