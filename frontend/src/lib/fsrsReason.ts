import type { OptimizeRun } from "../api/client";
import type { Key, Vars } from "../i18n";

/** Why an optimisation run ended as it did, in the learner's language: the server's reason code (its English
 * ``reason`` text is for the admin) and the values it names, worded by the ``fsrs.reason.*`` strings. */
export function runReason(run: Pick<OptimizeRun, "reason_code" | "reason_args">, t: (key: Key, vars?: Vars) => string): string {
  if (!run.reason_code) return "";
  const vars: Vars = {};
  for (const [k, v] of Object.entries(run.reason_args ?? {})) {
    if (typeof v === "string" || typeof v === "number") vars[k] = v;
  }
  return t(`fsrs.reason.${run.reason_code}` as Key, vars);
}
