/** Helpers for the answer inputs of exercise cards (pure functions, unit-tested). */
import type { Schemas } from "../api/client";

export type Part = Schemas["PartOut"];
export type PartKind = Part["kind"];
export type Precision = Schemas["PrecisionOut"];

/**
 * The on-screen keyboard a phone should offer for a part: always the text keyboard. Every kind may need
 * "-", "/", "e" or "%": a real number (-0.25, 1/8, 1e-3), and a count too, typed in scientific form
 * (8.51968e5, 8.5×10^5), which the engine reads exactly; the numeric and decimal pads lack those keys.
 * Phones open the text keyboard on its numbers-and-symbols layer when the field's placeholder is numeric.
 */
export function inputModeFor(_kind: PartKind): "text" {
  return "text";
}

/**
 * What a numeric part asks for, next to its input: "4 significant digits (fractions allowed)". The
 * Chinese text is the engine's own (the prompt ends with the same statement); English is built here.
 */
export function precisionText(precision: Precision | undefined, lang: "zh" | "en"): string {
  if (!precision || precision.mode === "exact") return "";
  if (lang === "zh") return precision.text;
  const n = precision.digits;
  const what =
    precision.mode === "sig"
      ? `${n} significant digit${n === 1 ? "" : "s"}`
      : `${n} decimal place${n === 1 ? "" : "s"}`;
  const extras = [precision.fraction ? "fractions allowed" : "", precision.percent ? "percent allowed" : ""].filter(Boolean);
  return extras.length ? `${what} (${extras.join(", ")})` : what;
}

/** The 1-based positions of a wrong vector's or list's elements that are off ("2, 4"), or "". */
export function offPositions(off: readonly number[] | null | undefined): string {
  return off && off.length ? off.map((i) => String(i + 1)).join(", ") : "";
}

/** An example of the expected format, shown as the input's placeholder. */
export function placeholderFor(kind: PartKind): string {
  switch (kind) {
    case "int":
      return "42";
    case "real":
      return "0.25";
    case "vector":
      return "[0.1, 0.2, 0.7]";
    case "matrix":
      return "[[1, 2], [3, 4]]";
    case "shape":
      return "(64, 56, 56)";
    case "set":
    case "list":
      return "0, 2, 3";
    case "choice":
      return "";
  }
}

/** The answers to send: one entry per part, trimmed; parts left blank are sent as "". */
export function collectAnswers(parts: readonly Part[], values: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of parts) out[p.name] = (values[p.name] ?? "").trim();
  return out;
}

/** Names of the parts still blank. */
export function blankParts(parts: readonly Part[], values: Readonly<Record<string, string>>): string[] {
  return parts.filter((p) => (values[p.name] ?? "").trim() === "").map((p) => p.name);
}

function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e7)) return x.toExponential(4).replace(/\.?0+e/, "e");
  return String(Number(x.toPrecision(6)));
}

/** A parsed (or expected) value as the grader read it, echoed back to the learner. */
export function formatValue(value: unknown, kind?: PartKind): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) {
    if (kind === "shape") return `(${value.map((v) => formatValue(v)).join(", ")})`;
    if (kind === "set") return `{${value.map((v) => formatValue(v)).join(", ")}}`;
    return `[${value.map((v) => formatValue(v)).join(", ")}]`;
  }
  return JSON.stringify(value);
}

/** Whether a key press in the answer form should submit it (Enter without modifiers, not in a textarea). */
export function isSubmitKey(e: Pick<KeyboardEvent, "key" | "shiftKey" | "isComposing">, tag: string): boolean {
  return e.key === "Enter" && !e.shiftKey && !e.isComposing && tag !== "TEXTAREA" && tag !== "BUTTON";
}
