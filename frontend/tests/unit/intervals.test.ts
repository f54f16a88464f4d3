import { describe, expect, it } from "vitest";

import { formatInterval } from "../../src/lib/intervals";

describe("formatInterval", () => {
  it.each([
    [30, "<1分钟", "<1 min"],
    [60, "1分钟", "1 min"],
    [600, "10分钟", "10 min"],
    [3599, "1小时", "1 h"],
    [5400, "1.5小时", "1.5 h"],
    [3600 * 13, "13小时", "13 h"],
    [86400, "1天", "1 d"],
    [3 * 86400, "3天", "3 d"],
    [3 * 86400 + 7000, "3天", "3 d"],
    [45 * 86400, "1.5个月", "1.5 mo"],
    [400 * 86400, "1.1年", "1.1 y"],
  ])("%i seconds → %s / %s", (seconds, zh, en) => {
    expect(formatInterval(seconds, "zh")).toBe(zh);
    expect(formatInterval(seconds, "en")).toBe(en);
  });
});
