import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";

import { CardPreview, shadowSheetText, VariantsPreview } from "../../src/admin/preview";
import { renderRoot } from "./helpers";

const root = renderRoot();

describe("the admin's card preview", () => {
  it("is the study screen's card with the answer shown: cloze hidden in the front, then revealed", () => {
    act(() =>
      render(<CardPreview card={{ kind: "cloze", front: "BN 有 {{c1::两个}} 参数 $\\gamma$", back: "见 $\\beta$" }} />, root),
    );
    const face = root.querySelector<HTMLElement>(".card-face")!;
    expect(face.querySelector(".front .cloze-hidden")!.textContent).toBe("[…]");
    expect(face.querySelector(".answer")!.className).toBe("answer shown");
    expect(face.querySelector(".answer .cloze-full mark.cloze-shown")!.textContent).toBe("两个");
    expect(face.querySelectorAll(".katex").length).toBe(3); // γ in the front and the full text, β in the back
  });

  it("sanitises what an editor types, like the learner's screen", () => {
    act(() => render(<CardPreview card={{ kind: "basic", front: '<img src=x onerror="alert(1)">问', back: "<script>x()</script>答" }} />, root));
    expect([...root.querySelectorAll("*")].filter((el) => el.hasAttribute("onerror"))).toEqual([]);
    expect(root.querySelector("script")).toBeNull();
    expect(root.querySelector(".answer .back")!.textContent).toContain("答"); // shown as text, never run
  });

  it("renders an exercise's variants: prompt, typed answers and solution", () => {
    const variants = [
      { seed: 1, params: { size: 14 }, prompt: "输入 $14\\times14$", answers: [{ label: "边长 $H$", text: "8" }], solution: "$$H=8$$" },
      { seed: 2, params: {}, prompt: "", answers: [], solution: "", error: "unknown engine family 'x'" },
    ];
    act(() => render(<VariantsPreview variants={variants} />, root));
    const items = root.querySelectorAll<HTMLElement>(".variant-preview");
    expect([...items].map((li) => li.dataset.seed)).toEqual(["1", "2"]);
    expect(items[0]!.querySelector(".variant-answers code")!.textContent).toBe("8");
    expect(items[0]!.querySelector(".variant-solution .katex-display")).not.toBeNull();
    expect(items[1]!.querySelector(".variant-error")!.textContent).toBe("unknown engine family 'x'");
  });

  it("moves the app sheet's document rules onto the shadow host", () => {
    expect(shadowSheetText(":root { --a: 1 }\nbody { margin: 0 }\n.x body2 {}")).toBe(":host { --a: 1 }\n:host { margin: 0 }\n.x body2 {}");
  });
});
