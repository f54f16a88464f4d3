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

function exercise(result: GradeResult | null = null): ExerciseData {
  return { title: "t", prompt: "p", parts: [{ name: "out", label: "out", kind: "int", unit: "", hint: "" }], result };
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

  it("shows a failed load", async () => {
    await act(async () => {
      render(<ExercisePanel load={() => Promise.reject(new Error("down"))} submit={vi.fn()} />, root);
    });
    await settle();
    expect(root.querySelector("p.error")!.textContent).toBe(translate("zh", "common.error"));
  });
});
