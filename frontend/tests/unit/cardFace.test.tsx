import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it, vi } from "vitest";

import { CardFace } from "../../src/components/CardFace";
import { translate } from "../../src/i18n";
import { renderRoot } from "./helpers";

const root = renderRoot();

function show(card: { kind: string; front: string; back: string }, revealed: boolean, onReveal = () => undefined) {
  const next = <button type="button" class="next">next</button>;
  const panel = <p class="panel-here">panel</p>;
  act(() =>
    render(<CardFace card={{ id: 7, ...card }} revealed={revealed} onReveal={onReveal} afterAnswer={next} exercisePanel={panel} />, root),
  );
  return root.querySelector<HTMLElement>(".card-face")!;
}

describe("CardFace", () => {
  it("keeps the answer in the page, hidden until revealed", () => {
    let face = show({ kind: "basic", front: "Q?", back: "A." }, false);
    expect(face.dataset.cardId).toBe("7");
    expect(face.className).toBe("card-face kind-basic");
    expect(face.querySelector(".front")!.textContent).toContain("Q?");
    expect(face.querySelector(".answer")!.getAttribute("aria-hidden")).toBe("true");
    expect(face.querySelector(".answer .back")!.textContent).toContain("A.");
    face = show({ kind: "basic", front: "Q?", back: "A." }, true);
    expect(face.querySelector(".answer")!.className).toBe("answer shown");
    expect(face.querySelector(".answer")!.hasAttribute("aria-hidden")).toBe(false);
  });

  it("hides a cloze gap on the front and shows the full text in the answer", () => {
    const face = show({ kind: "cloze", front: "A conv has {{c1::output channels}}.", back: "" }, false);
    expect(face.querySelector(".front")!.textContent).not.toContain("output channels");
    expect(face.querySelector(".answer .cloze-full mark.cloze-shown")!.textContent).toBe("output channels");
    expect(face.querySelector(".answer .back")).toBeNull();
  });

  it("shows an exercise's front over the caller's panel, with no answer area", () => {
    const face = show({ kind: "exercise", front: "Compute it.", back: "" }, false);
    expect(face.querySelector(".front.exercise-front")!.textContent).toContain("Compute it.");
    expect(face.querySelector(".panel-here")).not.toBeNull();
    expect(face.querySelector(".answer")).toBeNull();
    expect(root.querySelector(".answer-bar")).toBeNull();
    expect(face.querySelector(".next")).toBeNull();
  });
});

describe("the answer bar under a card", () => {
  it("offers to show the answer, then what follows it in the same place", () => {
    const onReveal = vi.fn();
    const card = { kind: "basic", front: "Q?", back: "A." };
    show(card, false, onReveal);
    const button = root.querySelector<HTMLButtonElement>(".card-face + .answer-bar > button.show-answer")!;
    expect(button.textContent).toContain(translate("zh", "study.show"));
    expect(root.querySelector(".next")).toBeNull();
    button.click();
    expect(onReveal).toHaveBeenCalledTimes(1);
    show(card, true, onReveal);
    expect(root.querySelector(".answer-bar > .next")).not.toBeNull();
    expect(root.querySelector(".show-answer")).toBeNull();
    expect(root.querySelector(".panel-here")).toBeNull();
  });
});
