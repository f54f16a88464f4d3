import { describe, expect, it } from "vitest";

import { hasCloze, renderMarkdown, scanCloze } from "../../src/render/markdown";
import { dom } from "./helpers";

describe("markdown + KaTeX", () => {
  it("renders inline math with KaTeX (HTML and MathML)", () => {
    const el = dom(renderMarkdown("参数量是 $K^2 C_{in} C_{out}$ 个"));
    const katex = el.querySelector(".katex");
    expect(katex).not.toBeNull();
    expect(el.querySelector(".katex-display")).toBeNull();
    expect(el.querySelector("math annotation")?.textContent).toBe("K^2 C_{in} C_{out}");
    expect(el.textContent).toContain("参数量是");
  });

  it("renders $$...$$ as display math, inside a paragraph or as its own block", () => {
    const block = dom(renderMarkdown("$$H_{out}=\\left\\lfloor\\frac{H+2p-k}{s}\\right\\rfloor+1$$\n\n$$=59$$"));
    expect(block.querySelectorAll(".katex-display")).toHaveLength(2);
    const inline = dom(renderMarkdown("公式 $$a+b$$ 如上"));
    expect(inline.querySelectorAll(".katex-display")).toHaveLength(1);
  });

  it("keeps inline styles from KaTeX (sizes) but not from content", () => {
    const el = dom(renderMarkdown("$\\frac{a}{b}$ <span style=\"color:red\">x</span>"));
    expect(el.querySelector(".katex [style]")).not.toBeNull();
    // the content's own HTML is text: no element, so no style, comes from it
    expect([...el.querySelectorAll("span")].some((s) => s.textContent === "x")).toBe(false);
    expect(el.querySelector(":not(.katex, .katex *)[style]")).toBeNull();
    expect(el.textContent).toContain('<span style="color:red">x</span>');
  });

  it("does not treat dollars in code or prices as math", () => {
    const el = dom(renderMarkdown("`$x$` costs $5 and $6"));
    expect(el.querySelector("code")?.textContent).toBe("$x$");
    expect(el.querySelector(".katex")).toBeNull();
    expect(el.textContent).toContain("$5 and $6");
  });

  it("renders markdown: emphasis, lists, line breaks", () => {
    const el = dom(renderMarkdown("**逐位置相加**\n- a\n- b"));
    expect(el.querySelector("strong")?.textContent).toBe("逐位置相加");
    expect(el.querySelectorAll("li")).toHaveLength(2);
    expect(dom(renderMarkdown("第一行\n第二行")).querySelector("br")).not.toBeNull();
  });

  it("shows a formula KaTeX cannot parse as its source instead of failing", () => {
    const el = dom(renderMarkdown("$\\frac{a}{$ 与 $x$"));
    expect(el.textContent).toContain("与");
  });
});

describe("cloze", () => {
  const front = "bias 按{{c1::输出通道}}设置：每个通道{{c2::一个::几个？}}标量";

  it("hides every deletion until reveal, showing the hint when there is one", () => {
    const el = dom(renderMarkdown(front, { cloze: "hide" }));
    const hidden = el.querySelectorAll(".cloze-hidden");
    expect(hidden).toHaveLength(2);
    expect(hidden[0]!.textContent).toBe("[…]");
    expect(hidden[1]!.textContent).toBe("[几个？]");
    expect(el.textContent).not.toContain("输出通道");
    expect(el.textContent).not.toContain("一个");
  });

  it("reveals the answers highlighted", () => {
    const el = dom(renderMarkdown(front, { cloze: "show" }));
    const shown = [...el.querySelectorAll("mark.cloze-shown")].map((m) => m.textContent);
    expect(shown).toEqual(["输出通道", "一个"]);
    expect(el.textContent).not.toContain("几个？");
    expect(el.querySelector(".cloze-hidden")).toBeNull();
  });

  it("allows math and nested braces inside a deletion", () => {
    const src = "输出尺寸 {{c1::$\\lfloor\\frac{H+2P-K}{S}\\rfloor+1$::公式}} 成立";
    expect(scanCloze(src.slice(src.indexOf("{{")))?.answer).toBe("$\\lfloor\\frac{H+2P-K}{S}\\rfloor+1$");
    const hidden = dom(renderMarkdown(src, { cloze: "hide" }));
    expect(hidden.querySelector(".katex")).toBeNull();
    expect(hidden.textContent).toContain("[公式]");
    const shown = dom(renderMarkdown(src, { cloze: "show" }));
    expect(shown.querySelector("mark.cloze-shown .katex")).not.toBeNull();
  });

  it("scans {{cN::answer::hint}} and rejects malformed deletions", () => {
    expect(scanCloze("{{c3::a{b}c::h}} rest")).toEqual({ raw: "{{c3::a{b}c::h}}", n: 3, answer: "a{b}c", hint: "h" });
    expect(scanCloze("{{c1::unterminated")).toBeNull();
    expect(scanCloze("{{c1::}}")).toBeNull();
    expect(scanCloze("{{x::y}}")).toBeNull();
    expect(hasCloze("a {{c1::b}}")).toBe(true);
    expect(hasCloze("a {b}")).toBe(false);
  });

  it("leaves a non-cloze card untouched in either mode", () => {
    expect(renderMarkdown("plain $x$", { cloze: "hide" })).toBe(renderMarkdown("plain $x$", { cloze: "show" }));
  });
});
