import { type ComponentChildren, render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it, vi } from "vitest";

import { type CardKeys, cardKeyAction, useCardKeys } from "../../src/lib/useCardKeys";
import { renderRoot } from "./helpers";

function keys(over: Partial<CardKeys> = {}): CardKeys {
  return { active: true, exercise: false, revealed: false, onReveal: vi.fn(), ...over };
}

const study = (over: Partial<CardKeys> = {}) =>
  keys({ onRate: vi.fn(), onUndo: vi.fn(), onSuspend: vi.fn(), onBury: vi.fn(), ...over });

describe("cardKeyAction", () => {
  it("reveals a card with Space or Enter, an exercise goes to its answer box", () => {
    expect(cardKeyAction(" ", keys())).toBe("reveal");
    expect(cardKeyAction("Enter", keys())).toBe("reveal");
    expect(cardKeyAction(" ", keys({ exercise: true }))).toBe("answer");
    expect(cardKeyAction(" ", keys({ revealed: true }))).toBeNull();
  });

  it("maps 1 to 4 to ratings once revealed, and nothing else", () => {
    for (const r of [1, 2, 3, 4]) expect(cardKeyAction(String(r), study({ revealed: true }))).toBe(r);
    expect(cardKeyAction("3", study())).toBeNull();
    for (const k of ["0", "5", "12", " "]) expect(cardKeyAction(k, study({ revealed: true }))).toBeNull();
    expect(cardKeyAction("3", keys({ revealed: true }))).toBeNull(); // practice: no ratings
    expect(cardKeyAction("2", study({ revealed: true, exercise: true }))).toBe(2);
  });

  it("goes to the next card with Enter, N or the right arrow, but not on an exercise", () => {
    const practice = keys({ revealed: true, onNext: vi.fn() });
    for (const k of ["Enter", "n", "N", "ArrowRight"]) expect(cardKeyAction(k, practice)).toBe("next");
    expect(cardKeyAction("Enter", { ...practice, exercise: true })).toBeNull();
    expect(cardKeyAction("Enter", study({ revealed: true }))).toBeNull(); // study: Enter confirms the focused rating
  });

  it("undoes, suspends and buries only where the screen offers it", () => {
    expect([cardKeyAction("u", study()), cardKeyAction("S", study()), cardKeyAction("b", study())]).toEqual(["undo", "suspend", "bury"]);
    expect([cardKeyAction("u", keys()), cardKeyAction("s", keys()), cardKeyAction("b", keys())]).toEqual([null, null, null]);
  });

  it("takes no key without a card", () => {
    expect(cardKeyAction(" ", study({ active: false }))).toBeNull();
    expect(cardKeyAction("u", study({ active: false }))).toBeNull();
  });
});

describe("useCardKeys", () => {
  const root = renderRoot();

  function mount(k: CardKeys, children: ComponentChildren = null) {
    function Screen() {
      useCardKeys(() => k);
      return <div>{children}</div>;
    }
    act(() => render(<Screen />, root));
  }

  function press(key: string, init: KeyboardEventInit = {}, target: EventTarget = document.body): KeyboardEvent {
    const e = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init });
    target.dispatchEvent(e);
    return e;
  }

  it("calls the rating for a digit on a revealed card and takes the key", () => {
    const k = study({ revealed: true });
    mount(k);
    const e = press("4");
    expect(k.onRate).toHaveBeenCalledWith(4);
    expect(e.defaultPrevented).toBe(true);
  });

  it("leaves keys typed into a field or with a modifier alone", () => {
    const k = study();
    mount(k, <input id="box" />);
    expect(press(" ", {}, root.querySelector("#box")!).defaultPrevented).toBe(false);
    expect(press("u", { ctrlKey: true }).defaultPrevented).toBe(false);
    expect(k.onReveal).not.toHaveBeenCalled();
    expect(k.onUndo).not.toHaveBeenCalled();
  });

  it("moves into the exercise's first answer box instead of revealing", () => {
    const k = study({ exercise: true });
    mount(
      k,
      <form class="exercise-form">
        <input id="part-a" />
      </form>,
    );
    expect(press("Enter").defaultPrevented).toBe(true);
    expect(document.activeElement?.id).toBe("part-a");
    expect(k.onReveal).not.toHaveBeenCalled();
  });

  it("stops listening when the screen goes", () => {
    const k = study();
    mount(k);
    act(() => render(null, root));
    expect(press(" ").defaultPrevented).toBe(false);
    expect(k.onReveal).not.toHaveBeenCalled();
  });
});
