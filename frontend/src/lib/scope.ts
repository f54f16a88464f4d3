/** Custom study: one deck, one tag, one topic or one kind of card (exercises only), from the URL's query
 * (`/study?deck=3`, `/study?kind=exercise`, `/practice?tag=pool`): the API's deck / tag / topic / kind. */
export interface StudyScope {
  deck?: number;
  tag?: string;
  topic?: string;
  kind?: "exercise" | "basic" | "reverse" | "cloze";
}

const KINDS = new Set(["exercise", "basic", "reverse", "cloze"]);

export function scopeFromQuery(q: URLSearchParams): StudyScope {
  const s: StudyScope = {};
  const deck = Number(q.get("deck"));
  if (Number.isInteger(deck) && deck > 0) s.deck = deck;
  const tag = q.get("tag");
  if (tag) s.tag = tag;
  const topic = q.get("topic");
  if (topic) s.topic = topic;
  const kind = q.get("kind");
  if (kind && KINDS.has(kind)) s.kind = kind as StudyScope["kind"];
  return s;
}

export function scopeQuery(s: StudyScope): string {
  const p = new URLSearchParams();
  if (s.deck) p.set("deck", String(s.deck));
  if (s.tag) p.set("tag", s.tag);
  if (s.topic) p.set("topic", s.topic);
  if (s.kind) p.set("kind", s.kind);
  const q = p.toString();
  return q ? `?${q}` : "";
}

export function isScoped(s: StudyScope): boolean {
  return !!(s.deck || s.tag || s.topic || s.kind);
}
