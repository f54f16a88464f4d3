import { describe, expect, it } from "vitest";

import { messages, translate } from "../../src/i18n";
import { errorMessage, fieldErrors, pickLanguage } from "../../src/lib/errors";
import { ApiError } from "../../src/api/client";

const CJK = /[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]/;

describe("interface strings", () => {
  it("has every key in both languages, none empty", () => {
    expect(Object.keys(messages.en).sort()).toEqual(Object.keys(messages.zh).sort());
    for (const lang of ["zh", "en"] as const) for (const v of Object.values(messages[lang])) expect(v.trim()).not.toBe("");
  });

  it("keeps Chinese out of the English interface", () => {
    for (const [k, v] of Object.entries(messages.en)) expect(CJK.test(v), `${k}: ${v}`).toBe(false);
  });

  it("interpolates variables", () => {
    expect(translate("zh", "study.count", { n: 3, left: 7 })).toBe("本次已复习 3 张 · 队列中 7 张");
    expect(translate("en", "empty.moreNew", { n: 10 })).toBe("Learn 10 more new cards");
  });
});

describe("API error messages", () => {
  const zh = { lang: "zh" as const, t: (k: Parameters<typeof translate>[1]) => translate("zh", k) };
  const en = { lang: "en" as const, t: (k: Parameters<typeof translate>[1]) => translate("en", k) };

  it("picks the half of a bilingual message in the interface language", () => {
    expect(pickLanguage("卡片已暂停 / card is suspended", "zh")).toBe("卡片已暂停");
    expect(pickLanguage("卡片已暂停 / card is suspended", "en")).toBe("card is suspended");
    expect(pickLanguage("仅中文", "en")).toBeNull();
  });

  it("maps known codes and fields", () => {
    const bad = new ApiError(400, "bad_credentials", "用户名或密码错误 / wrong username or password");
    expect(errorMessage(bad, en)).toBe("Wrong username or password");
    const taken = new ApiError(400, "invalid", "用户名已存在 / username taken", { username: ["already taken"] });
    expect(fieldErrors(taken, zh)).toEqual({ username: "该用户名已被占用" });
    expect(errorMessage(new ApiError(0, "network", "x"), zh)).toBe("网络错误，请检查连接后重试");
  });
});
