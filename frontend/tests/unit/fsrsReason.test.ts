import { describe, expect, it } from "vitest";

import type { OptimizeRun } from "../../src/api/client";
import { runReason } from "../../src/lib/fsrsReason";
import { type Lang, translate } from "../../src/i18n";

const CODES = ["no_new_reviews", "too_few_reviews", "not_adopted", "adopted", "failed"] as const;

const run = (reason_code: OptimizeRun["reason_code"], reason_args: Record<string, unknown>) =>
  ({ reason_code, reason_args, reason: "English text from the server" }) as unknown as OptimizeRun;

const tr = (lang: Lang) => (key: Parameters<typeof translate>[1], vars?: Parameters<typeof translate>[2]) =>
  translate(lang, key, vars);

describe("the optimisation run's reason", () => {
  it("is worded in Chinese and in English from the code, with the values it names", () => {
    const adopted = run("adopted", { reviews: 2093, before: "0.3512", after: "0.3327", total: 12580 });
    const zh = runReason(adopted, tr("zh"));
    expect(zh).toBe("在较晚的 20%（2093 条复习）上对数损失从 0.3512 降到 0.3327；已用全部 12580 条复习重新拟合");
    expect(runReason(adopted, tr("en"))).toBe(
      "on the later 20% (2093 reviews) log loss went from 0.3512 to 0.3327; refitted on all 12580 reviews",
    );
    const few = run("too_few_reviews", { scored: 40, needed: 512 });
    expect(runReason(few, tr("zh"))).toContain("只有 40 条");
    expect(runReason(few, tr("zh"))).toContain("至少需要 512 条");
    expect(runReason(run("no_new_reviews", { run: 7 }), tr("en"))).toBe("no new reviews since run 7: nothing to do");
  });

  it("has both languages for every code the server sends, and names every value", () => {
    const args = { run: 1, scored: 2, needed: 3, reviews: 4, before: "0.5", after: "0.6", total: 5 };
    for (const code of CODES) {
      for (const lang of ["zh", "en"] as const) {
        const text = runReason(run(code, args), tr(lang));
        expect(text).not.toMatch(/[{}]|fsrs\.reason/);
        expect(text).not.toContain("English text from the server");
        if (lang === "zh") expect(text).toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  it("is empty for a run without a code (queued or running)", () => {
    expect(runReason(run("", {}), tr("zh"))).toBe("");
  });
});
