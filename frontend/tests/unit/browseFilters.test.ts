import { describe, expect, it } from "vitest";

import { narrowOptions } from "../../src/screens/Browse";

const TOPICS: Array<[string, string]> = [
  ["002-0329", "Batch Normalization (002-0329)"],
  ["001-1657", "NMS 非极大值抑制 (001-1657)"],
  ["003-0044", "感受野 (003-0044)"],
];

describe("searchable filter pickers", () => {
  it("narrow a long list to the options whose title or id holds what is typed, in any case", () => {
    expect(narrowOptions(TOPICS, "batch", "")).toEqual([TOPICS[0]]);
    expect(narrowOptions(TOPICS, "非极大", "")).toEqual([TOPICS[1]]);
    expect(narrowOptions(TOPICS, "003-", "")).toEqual([TOPICS[2]]);
    expect(narrowOptions(TOPICS, "  ", "")).toEqual(TOPICS);
    expect(narrowOptions(TOPICS, "xyz", "")).toEqual([]);
  });

  it("keep the option picked now, so the list never hides the current choice", () => {
    expect(narrowOptions(TOPICS, "batch", "003-0044")).toEqual([TOPICS[0], TOPICS[2]]);
  });
});
