import { describe, expect, it } from "vitest";

import { toInput } from "../../src/screens/CardEditor";

const base = { kind: "basic" as const, front: "问？", back: "答", tags: " a  b ", topics: "", family: "", params: "" };

describe("the card editor's form as the API's card", () => {
  it("splits tags and topics on spaces and leaves exercise fields out of other kinds", () => {
    expect(toInput({ ...base, family: "conv2d_output_size", params: "{\"dilation\": [2, 3]}" })).toEqual({
      kind: "basic",
      front: "问？",
      back: "答",
      tags: ["a", "b"],
      topics: [],
    });
  });

  it("sends an exercise's family and its params as a JSON object", () => {
    const got = toInput({ ...base, kind: "exercise", family: " conv2d_output_size ", params: "{\"dilation\": [2, 3]}" });
    expect(got).toMatchObject({ kind: "exercise", family: "conv2d_output_size", params: { dilation: [2, 3] } });
    expect(toInput({ ...base, kind: "exercise", family: "x", params: "" })).toMatchObject({ params: {} });
  });

  it("refuses params that are not a JSON object", () => {
    for (const params of ["[1, 2]", "3", "null", "{dilation: 2}", "\"x\""]) {
      expect(toInput({ ...base, kind: "exercise", family: "x", params })).toBeNull();
    }
  });
});
