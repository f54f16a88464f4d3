/**
 * The API client. Every type here comes from the generated schema (src/api/schema.d.ts, produced by
 * `npm run gen:api` from drf-spectacular's OpenAPI document); nothing about the wire format is
 * written by hand. Session auth: the `csrftoken` cookie (set by the page view) goes back as X-CSRFToken.
 */
import type { components, operations } from "./schema";
import type { StudyScope } from "../lib/scope";

export type Schemas = components["schemas"];
type Json<O extends keyof operations, S extends number = 200> = operations[O]["responses"] extends Record<
  S,
  { content: { "application/json": infer R } }
>
  ? R
  : never;
type Body<O extends keyof operations> = operations[O] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;

export type User = Json<"me">;
export type QueueItem = Schemas["QueueItemOut"];
export type Queue = Json<"study_queue">;
export type Review = Json<"reviews_create">;
export type Dashboard = Json<"dashboard">;
export type StudySettings = Json<"settings_get">;
export type SettingsPatch = Body<"settings_update">;
export type Exercise = Json<"exercise_get">;
export type GradeResult = Json<"exercise_answer">;
export type BrowsePage = Json<"cards_list">;
export type CardDetail = Json<"cards_retrieve">;
export type HistoryPage = Json<"cards_history">;
export type Deck = Schemas["DeckCounts"];
export type CardOut = Schemas["CardOut"];
export type CardState = Schemas["StateOut"];
export type PracticeExercise = Json<"practice_exercise_draw">;
export type Facets = Json<"browse_facets">;
export type CardFilters = NonNullable<operations["cards_list"]["parameters"]["query"]>;
export type OwnDeck = Schemas["OwnDeckOut"];
export type OwnCard = Schemas["OwnCardOut"];
export type OwnDeckDetail = Json<"my_decks_retrieve">;
export type OwnCardInput = Body<"my_cards_create">;
export type CardProblem = Schemas["ProblemOut"];
export type NotesImport = Json<"my_notes_import">;
export type FsrsParameters = Json<"scheduler_parameters">;
export type OptimizeRun = Json<"scheduler_run_latest">;
export type RetentionAdvice = Json<"scheduler_retention_advice">;
export type AnkiImport = Json<"anki_import_get">;
export type DemoList = Json<"demos_list">;
export type Demo = DemoList["results"][number];
export type DemoSetting = Demo["schema"][string];
export type DemoDetail = Json<"demos_retrieve">;
export type DemoRun = Json<"demo_runs_retrieve">;
export type DemoRunPage = Json<"demo_runs_list">;

export interface ErrorBody {
  error: { code: string; message: string; fields: Record<string, string[]> };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

let acceptLanguage = "zh-hans";

/** The interface language, sent as Accept-Language so Django answers validation errors in it. */
export function setApiLanguage(lang: "zh" | "en"): void {
  acceptLanguage = lang === "zh" ? "zh-hans" : "en";
}

export function readCookie(name: string, cookies: string = document.cookie): string {
  for (const part of cookies.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return "";
}

function isErrorBody(x: unknown): x is ErrorBody {
  return typeof x === "object" && x !== null && "error" in x && typeof (x as ErrorBody).error === "object";
}

type Method = "GET" | "POST" | "PATCH";

async function call<T>(method: Method, path: string, body?: unknown, query?: Record<string, unknown>): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", "Accept-Language": acceptLanguage };
  const form = body instanceof FormData; // multipart: the browser writes the Content-Type with its boundary
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = readCookie("csrftoken");
  let url = `/api/v1/${path}`;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") qs.set(k, String(v));
    const s = qs.toString();
    if (s) url += `?${s}`;
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : form ? body : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "network error");
  }
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    if (isErrorBody(data)) throw new ApiError(res.status, data.error.code, data.error.message, data.error.fields ?? {});
    throw new ApiError(res.status, `http_${res.status}`, res.statusText);
  }
  return data as T;
}

/** Fetch a `next` link from a paginated answer (same origin). */
function follow<T>(absoluteUrl: string): Promise<T> {
  const u = new URL(absoluteUrl, location.origin);
  return call<T>("GET", u.pathname.replace(/^\/api\/v1\//, "") + u.search);
}

export const api = {
  me: () => call<User>("GET", "me"),
  signup: (b: Body<"auth_signup">) => call<Json<"auth_signup", 201>>("POST", "auth/signup", b),
  login: (b: Body<"auth_login">) => call<Json<"auth_login">>("POST", "auth/login", b),
  logout: () => call<void>("POST", "auth/logout"),
  passwordChange: (b: Body<"auth_password_change">) => call<void>("POST", "auth/password", b),
  decks: () => call<Json<"decks_list">>("GET", "decks"),
  queue: (limit: number, scope: StudyScope = {}) => call<Queue>("GET", "study/queue", undefined, { limit, ...scope }),
  extraNew: (limit: number, scope: StudyScope = {}) =>
    call<Json<"study_extra_new">>("GET", "study/extra-new", undefined, { limit, ...scope }),
  review: (b: Body<"reviews_create">) => call<Review>("POST", "reviews", b),
  undo: () => call<Json<"reviews_undo">>("POST", "reviews/undo"),
  cardAction: (id: number, action: "suspend" | "unsuspend" | "bury" | "unbury" | "reset") =>
    call<CardState>("POST", `cards/${id}/${action}`),
  settings: () => call<StudySettings>("GET", "settings"),
  settingsUpdate: (b: SettingsPatch) => call<StudySettings>("PATCH", "settings", b),
  dashboard: () => call<Dashboard>("GET", "dashboard"),
  cards: (f: CardFilters) => call<BrowsePage>("GET", "cards", undefined, f),
  card: (id: number) => call<CardDetail>("GET", `cards/${id}`),
  history: (id: number) => call<HistoryPage>("GET", `cards/${id}/history`),
  historyNext: (next: string) => follow<HistoryPage>(next),
  exercise: (id: number) => call<Exercise>("GET", `cards/${id}/exercise`),
  answer: (id: number, b: Body<"exercise_answer">) => call<GradeResult>("POST", `cards/${id}/exercise`, b),
  facets: () => call<Facets>("GET", "browse/facets"),
  practiceCards: (limit: number, scope: StudyScope = {}) =>
    call<Json<"practice_cards">>("GET", "practice/cards", undefined, { limit, ...scope }),
  practiceExercise: (card: number) => call<PracticeExercise>("POST", "practice/exercise", { card }),
  practiceAnswer: (b: Body<"practice_exercise_answer">) => call<GradeResult>("POST", "practice/exercise/answer", b),
  myDecks: () => call<OwnDeck[]>("GET", "my/decks"),
  myDeckCreate: (name: string) => call<OwnDeck>("POST", "my/decks", { name }),
  myDeck: (id: number) => call<OwnDeckDetail>("GET", `my/decks/${id}`),
  myDeckRename: (id: number, name: string) => call<OwnDeck>("PATCH", `my/decks/${id}`, { name }),
  myCardCreate: (deck: number, b: OwnCardInput) => call<OwnCard>("POST", `my/decks/${deck}/cards`, b),
  myCard: (id: number) => call<OwnCard>("GET", `my/cards/${id}`),
  myCardUpdate: (id: number, b: Body<"my_cards_update">) => call<OwnCard>("PATCH", `my/cards/${id}`, b),
  myCardRetire: (id: number, retired: boolean) => call<OwnCard>("POST", `my/cards/${id}/${retired ? "retire" : "restore"}`),
  myCardCheck: (b: OwnCardInput) => call<{ problems: CardProblem[] }>("POST", "my/cards/check", b),
  myNotesImport: (b: Body<"my_notes_import">) => call<NotesImport>("POST", "my/notes-import", b),
  ankiImport: (file: File, deckName: string) => {
    const form = new FormData();
    form.append("file", file);
    form.append("deck_name", deckName);
    return call<AnkiImport>("POST", "anki/imports", form);
  },
  ankiImportGet: (id: number) => call<AnkiImport>("GET", `anki/imports/${id}`),
  /** The download link of a deck's .apkg (a plain link: the browser saves the attachment). */
  ankiExportUrl: (deck: number, scheduling: boolean) =>
    `/api/v1/anki/decks/${deck}/export${scheduling ? "?scheduling=true" : ""}`,
  demos: () => call<DemoList>("GET", "demos"),
  demo: (id: string) => call<DemoDetail>("GET", `demos/${encodeURIComponent(id)}`),
  demoStart: (id: string, b: Body<"demo_runs_create">) =>
    call<Json<"demo_runs_create", 202>>("POST", `demos/${encodeURIComponent(id)}/runs`, b),
  demoRun: (run: number) => call<DemoRun>("GET", `demo-runs/${run}`),
  demoRuns: () => call<DemoRunPage>("GET", "demo-runs"),
  demoCancel: (run: number) => call<Json<"demo_runs_cancel">>("POST", `demo-runs/${run}/cancel`),
  fsrsParameters: () => call<FsrsParameters>("GET", "scheduler/parameters"),
  fsrsOptimize: () => call<OptimizeRun>("POST", "scheduler/optimize"),
  fsrsRunLatest: () => call<OptimizeRun>("GET", "scheduler/runs/latest"),
  fsrsRetentionAdvice: () => call<RetentionAdvice>("GET", "scheduler/retention-advice"),
  fsrsReschedule: () => call<Json<"scheduler_reschedule", 202>>("POST", "scheduler/reschedule"),
  demoPredict: (run: number, choice: number) =>
    call<Json<"demo_runs_predict">>("POST", `demo-runs/${run}/prediction`, { choice } satisfies Body<"demo_runs_predict">),
};
