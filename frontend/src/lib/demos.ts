/**
 * Demonstrations without the DOM: the parameter schema as form controls, a demonstration's parameters and
 * seed in its shareable URL (and back), which demonstrations a card's topics lead to, and how often a run
 * in progress is asked about.
 *
 * A schema entry is the engine's `Setting.to_dict()` (docs/demos.md): `kind` int | real | choice, the
 * bounds `low`/`high` of a number, the `choices` of a choice, the `default` and a label.
 */

import type { DemoSetting as Setting } from "../api/client";

export type { Demo, DemoDetail, DemoRun } from "../api/client";
export type { Setting };

export type ParamValue = number | string;

export type DemoSchema = Record<string, Setting>;
export type Params = Record<string, ParamValue>;

/** The largest seed the engine accepts (2³¹ − 1). */
export const MAX_SEED = 2 ** 31 - 1;

/** Integer parameters whose whole range fits a slider (every value a distinct stop). */
const RANGE_STOPS = 40;

export interface Control {
  name: string;
  label: string;
  setting: Setting;
  /** range: a slider with its value beside it; number: a number box; select: a list of the choices. */
  widget: "range" | "number" | "select";
  min?: number;
  max?: number;
  /** "any" for real numbers (no step check by the browser), 1 for integers. */
  step?: number | "any";
  options?: Array<{ value: string; label: string }>;
}

/** One control per schema entry, in the schema's order. */
export function controlsOf(schema: DemoSchema): Control[] {
  return Object.entries(schema).map(([name, s]): Control => {
    if (s.kind === "choice") {
      const options = (s.choices ?? []).map((c) => ({ value: String(c), label: String(c) }));
      return { name, label: s.label, setting: s, widget: "select", options };
    }
    const min = s.low ?? undefined;
    const max = s.high ?? undefined;
    const slider = s.kind === "int" && min !== undefined && max !== undefined && max - min <= RANGE_STOPS;
    return { name, label: s.label, setting: s, widget: slider ? "range" : "number", min, max, step: s.kind === "int" ? 1 : "any" };
  });
}

export type ParseError = "integer" | "number" | "range" | "choice";

/** A control's text as the parameter's value, or why it is not one. */
export function parseValue(s: Setting, raw: string): { value: ParamValue } | { error: ParseError } {
  const text = raw.trim();
  if (s.kind === "choice") {
    const hit = (s.choices ?? []).find((c) => String(c) === text);
    // The schema types a choice as any JSON value; the engine's choices are numbers or strings.
    return hit === undefined ? { error: "choice" } : { value: hit as ParamValue };
  }
  if (s.kind === "int" ? !/^[-+]?\d+$/.test(text) : !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    return { error: s.kind === "int" ? "integer" : "number" };
  }
  const value = Number(text);
  if (!Number.isFinite(value)) return { error: "number" };
  if ((s.low !== undefined && s.low !== null && value < s.low) || (s.high !== undefined && s.high !== null && value > s.high)) {
    return { error: "range" };
  }
  return { value };
}

/** A seed as the engine takes it: a whole number in [0, 2³¹ − 1]. */
export function parseSeed(raw: string): number | null {
  const text = raw.trim();
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n <= MAX_SEED ? n : null;
}

/**
 * A shareable URL's query as the controls' texts and the seed: every parameter the query names with a
 * readable value, the default otherwise (a stale or hand-edited link still opens the demonstration).
 */
export function fromQuery(schema: DemoSchema, query: URLSearchParams): { values: Record<string, string>; seed: number } {
  const values: Record<string, string> = {};
  for (const [name, s] of Object.entries(schema)) {
    const raw = query.get(name);
    const parsed = raw === null ? null : parseValue(s, raw);
    values[name] = parsed && "value" in parsed ? String(parsed.value) : String(s.default);
  }
  const seed = parseSeed(query.get("seed") ?? "");
  return { values, seed: seed ?? 0 };
}

/** The query of the shareable URL: the seed, then each parameter in the schema's order. */
export function toQuery(schema: DemoSchema, params: Readonly<Record<string, unknown>>, seed: number): string {
  const q = new URLSearchParams();
  q.set("seed", String(seed));
  for (const name of Object.keys(schema)) {
    const v = params[name];
    if (v !== undefined) q.set(name, String(v));
  }
  return q.toString();
}

/** The controls' texts as parameters, with the name of each one that is not readable. */
export function paramsOf(schema: DemoSchema, values: Record<string, string>): { params: Params; errors: Record<string, ParseError> } {
  const params: Params = {};
  const errors: Record<string, ParseError> = {};
  for (const [name, s] of Object.entries(schema)) {
    const r = parseValue(s, values[name] ?? String(s.default));
    if ("value" in r) params[name] = r.value;
    else errors[name] = r.error;
  }
  return { params, errors };
}

/** The demonstrations that share a topic with a card (in the demonstrations' order). */
export function demosForTopics<D extends { topics: Array<{ id: string }> }>(demos: readonly D[], topics: readonly string[]): D[] {
  if (!topics.length) return [];
  const wanted = new Set(topics);
  return demos.filter((d) => d.topics.some((t) => wanted.has(t.id)));
}

/** A run that will not change any more. */
export function isFinished(status: string): boolean {
  return status === "done" || status === "failed" || status === "cancelled";
}

/** The wait before the n-th look at a run in progress (n from 0): quick at first, then backing off. */
export function pollDelay(n: number): number {
  // at most 1 s: a default run lasts a second or two, and a slower poll would jump from 0 to 100
  return Math.min(1000, Math.round(250 * 1.5 ** n));
}

