import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it, vi } from "vitest";

import type { GradeResult } from "../../src/api/client";
import { type ExerciseData, ExercisePanel } from "../../src/components/ExercisePanel";
import { translate } from "../../src/i18n";
import { renderRoot } from "./helpers";

const root = renderRoot();

const graded: GradeResult = {
  parts: [{ name: "out", status: "correct", correct: true, parsed: 59, credit: 1, feedback: "", expected: 59 }],
  score: 1,
  readable: true,
  correct: true,
  mistake: null,
  solution: "",
  suggested_rating: 3,
};

const exact = { mode: "exact", digits: 0, fraction: false, percent: false, text: "" } as const;

function exercise(result: GradeResult | null = null): ExerciseData {
  return {
    title: "t",
    prompt: "p",
    parts: [{ name: "out", label: "out", kind: "int", unit: "", hint: "", precision: exact }],
    result,
  };
}

const fiveSig = { mode: "sig", digits: 5, fraction: true, percent: false, text: "保留 5 位有效数字（可写分数）" } as const;

function realExercise(): ExerciseData {
  return {
    title: "t",
    prompt: "p",
    parts: [
      { name: "v", label: "v", kind: "vector", unit: "", hint: "", precision: fiveSig },
      { name: "x", label: "x", kind: "real", unit: "", hint: "", precision: fiveSig },
    ],
    result: null,
  };
}

async function typeInto(name: string, value: string) {
  const input = root.querySelector<HTMLInputElement>(`#part-${name}`)!;
  await act(async () => {
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

async function mount(data: ExerciseData, submit = vi.fn(async () => graded)) {
  const onGraded = vi.fn();
  await act(async () => {
    render(
      <ExercisePanel load={async () => data} submit={submit} onGraded={onGraded}>
        {() => <p class="after">next</p>}
      </ExercisePanel>,
      root,
    );
  });
  await settle();
  return { onGraded, submit };
}

/** Let the load (started by an effect when `act` ends) finish and its render happen. */
async function settle() {
  await act(() => new Promise((r) => setTimeout(r, 0)));
}

describe("ExercisePanel", () => {
  it("shows an exercise graded before with its result and tells the caller once", async () => {
    const { onGraded } = await mount(exercise(graded));
    expect(onGraded).toHaveBeenCalledTimes(1);
    expect(onGraded).toHaveBeenCalledWith(graded);
    expect(root.querySelector(".verdict.ok")).not.toBeNull();
    expect(root.querySelector(".after")).not.toBeNull();
    expect(root.querySelector("button[type=submit]")).toBeNull();
  });

  it("asks for a blank answer before sending, then grades it", async () => {
    const { onGraded, submit } = await mount(exercise());
    await act(async () => root.querySelector("form")!.requestSubmit());
    expect(submit).not.toHaveBeenCalled();
    expect(root.querySelector("#part-out-problem")!.textContent).toBe(translate("zh", "err.required"));
    const input = root.querySelector<HTMLInputElement>("#part-out")!;
    await act(async () => {
      input.value = "59";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(async () => root.querySelector("form")!.requestSubmit());
    expect(submit).toHaveBeenCalledWith({ out: "59" });
    expect(onGraded).toHaveBeenCalledWith(graded);
    expect(root.querySelector("#part-out-result")).not.toBeNull();
  });

  it("shows each part's precision, and an imprecise answer as a correction that costs nothing", async () => {
    const imprecise: GradeResult = {
      parts: [
        { name: "v", status: "correct", correct: true, parsed: [0.1, 0.2], credit: 1, feedback: "正确", expected: [0.1, 0.2] },
        { name: "x", status: "imprecise", correct: false, parsed: 0.46, credit: 0, feedback: "不够精确：本题要求保留 5 位有效数字", expected: null },
      ],
      score: 0.5,
      readable: false,
      correct: false,
      mistake: null,
      mistakes: [],
      near_miss: false,
      solution: "",
      suggested_rating: null,
    };
    const { onGraded, submit } = await mount(realExercise(), vi.fn(async () => imprecise));
    expect(root.querySelector("#part-x-hint .precision")!.textContent).toBe("保留 5 位有效数字（可写分数）");
    expect(root.querySelector<HTMLInputElement>("#part-x")!.inputMode).toBe("text");
    await typeInto("v", "0.1, 0.2");
    await typeInto("x", "0.46");
    await act(async () => root.querySelector("form")!.requestSubmit());
    expect(submit).toHaveBeenCalledTimes(1);
    expect(onGraded).not.toHaveBeenCalled(); // no verdict: nothing to rate
    expect(root.querySelector("#part-x-problem")!.textContent).toContain("5 位有效数字");
    expect(root.querySelector(".notice")!.textContent).toBe(translate("zh", "ex.unreadableNote"));
    expect(root.querySelector("button[type=submit]")).not.toBeNull();
  });

  it("names every mistake that explains the answer, the elements that are off and a near miss", async () => {
    const near: GradeResult = {
      parts: [
        { name: "v", status: "wrong", correct: false, parsed: [0.1, 0.3], credit: 0.25, feedback: "不正确：第 2 个元素不对", expected: [0.1, 0.2], off: [1] },
        { name: "x", status: "correct", correct: true, parsed: 0.5, credit: 1, feedback: "正确", expected: 0.5 },
      ],
      score: 0.625,
      readable: true,
      correct: false,
      mistake: { id: "a", title: "错误甲" },
      mistakes: [
        { id: "a", title: "错误甲" },
        { id: "b", title: "错误乙" },
      ],
      near_miss: true,
      solution: "",
      suggested_rating: 2,
    };
    const { onGraded } = await mount(realExercise(), vi.fn(async () => near));
    await typeInto("v", "0.1, 0.3");
    await typeInto("x", "0.5");
    await act(async () => root.querySelector("form")!.requestSubmit());
    expect(onGraded).toHaveBeenCalledWith(near);
    expect(root.querySelector(".mistake")!.textContent).toContain("错误甲 或 错误乙");
    expect(root.querySelector(".near-miss")!.textContent).toBe(translate("zh", "ex.nearMiss"));
    expect(root.querySelector("#part-v-result .off")!.textContent).toBe(translate("zh", "ex.off", { list: "2" }));
  });

  it("shows a failed load", async () => {
    await act(async () => {
      render(<ExercisePanel load={() => Promise.reject(new Error("down"))} submit={vi.fn()} />, root);
    });
    await settle();
    expect(root.querySelector("p.error")!.textContent).toBe(translate("zh", "common.error"));
  });
});
