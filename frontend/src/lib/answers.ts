/** Helpers for the answer inputs of exercise cards (pure functions, unit-tested). */
import type { Schemas } from "../api/client";

export type Part = Schemas["PartOut"];
export type PartKind = Part["kind"];

/** The on-screen keyboard a phone should offer for a part. */
export function inputModeFor(kind: PartKind): "numeric" | "decimal" | "text" {
  if (kind === "int") return "numeric";
  if (kind === "real") return "decimal";
  return "text";
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
