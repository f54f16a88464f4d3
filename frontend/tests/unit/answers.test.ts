import { describe, expect, it } from "vitest";

import type { Part } from "../../src/lib/answers";
import {
  blankParts,
  collectAnswers,
  formatValue,
  inputModeFor,
  isSubmitKey,
  offPositions,
  placeholderFor,
  precisionText,
} from "../../src/lib/answers";

const exact = { mode: "exact", digits: 0, fraction: false, percent: false, text: "填精确值" } as const;
const fourSig = { mode: "sig", digits: 4, fraction: true, percent: true, text: "保留 4 位有效数字（可写分数，可写百分数）" } as const;
const parts: Part[] = [
  { name: "out", label: "输出边长", kind: "int", unit: "", hint: "一个整数", precision: exact },
  { name: "p", label: "概率", kind: "vector", unit: "", hint: "", precision: fourSig },
];

describe("answer-input helpers", () => {
  it("asks phones for a keyboard with - / e % for every part, counts included (8.5e5)", () => {
    expect(inputModeFor("int")).toBe("text"); // the numeric pad has no "e" or "-"
    expect(inputModeFor("real")).toBe("text"); // the decimal pad has no "-", "/" or "e"
    expect(inputModeFor("shape")).toBe("text");
    expect(inputModeFor("vector")).toBe("text");
  });

  it("states the precision a part asks for, in either language", () => {
    expect(precisionText(fourSig, "zh")).toBe("保留 4 位有效数字（可写分数，可写百分数）");
    expect(precisionText(fourSig, "en")).toBe("4 significant digits (fractions allowed, percent allowed)");
    expect(precisionText({ ...fourSig, mode: "dec", digits: 1, fraction: false, percent: false }, "en")).toBe(
      "1 decimal place",
    );
    expect(precisionText(exact, "en")).toBe("");
    expect(precisionText(undefined, "zh")).toBe("");
  });

  it("numbers the elements that are off from 1", () => {
    expect(offPositions([1, 3])).toBe("2, 4");
    expect(offPositions([])).toBe("");
    expect(offPositions(null)).toBe("");
  });

  it("gives an example of each format", () => {
    expect(placeholderFor("shape")).toBe("(64, 56, 56)");
    expect(placeholderFor("int")).toMatch(/^\d+$/);
    expect(placeholderFor("choice")).toBe("");
  });

  it("collects one trimmed answer per part, blank ones included", () => {
    expect(collectAnswers(parts, { out: "  59 ", extra: "x" })).toEqual({ out: "59", p: "" });
  });

  it("lists the parts left blank (whitespace counts as blank)", () => {
    expect(blankParts(parts, { out: "59", p: "   " })).toEqual(["p"]);
    expect(blankParts(parts, { out: "59", p: "[1]" })).toEqual([]);
    expect(blankParts(parts, {})).toEqual(["out", "p"]);
  });

  it("echoes parsed values readably", () => {
    expect(formatValue(59)).toBe("59");
    expect(formatValue(0.30000000000000004)).toBe("0.3");
    expect(formatValue(1.5e-7)).toBe("1.5e-7");
    expect(formatValue([64, 56, 56], "shape")).toBe("(64, 56, 56)");
    expect(formatValue([0, 2], "set")).toBe("{0, 2}");
    expect(formatValue([[1, 2], [3, 4]], "matrix")).toBe("[[1, 2], [3, 4]]");
    expect(formatValue(null)).toBe("—");
    expect(formatValue("B")).toBe("B");
  });

  it("submits on a plain Enter but not while composing Chinese, with Shift, or in a textarea", () => {
    const key = (k: string, extra: Partial<KeyboardEvent> = {}) => ({ key: k, shiftKey: false, isComposing: false, ...extra });
    expect(isSubmitKey(key("Enter"), "INPUT")).toBe(true);
    expect(isSubmitKey(key("Enter", { isComposing: true }), "INPUT")).toBe(false);
    expect(isSubmitKey(key("Enter", { shiftKey: true }), "INPUT")).toBe(false);
    expect(isSubmitKey(key("Enter"), "TEXTAREA")).toBe(false);
    expect(isSubmitKey(key("a"), "INPUT")).toBe(false);
  });
});
