import { describe, expect, it } from "vitest";

import { renderMarkdown } from "../../src/render/markdown";
import { sanitizeContent } from "../../src/render/sanitize";
import { dom } from "./helpers";

function allAttributes(el: HTMLElement): string[] {
  return [...el.querySelectorAll("*")].flatMap((n) => [...n.attributes].map((a) => `${a.name}=${a.value}`));
}

const ATTACKS = [
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  "<a href=\"javascript:alert(1)\">x</a>",
  "[click](javascript:alert(1))",
  "[click](JaVaScRiPt:alert(1))",
  "<svg onload=alert(1)><circle/></svg>",
  "<iframe src=\"javascript:alert(1)\"></iframe>",
  "<div onclick=\"alert(1)\" onmouseover=alert(2)>hi</div>",
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
  "<form action=javascript:alert(1)><button>go</button></form>",
  "<details open ontoggle=alert(1)>",
  "<object data=\"javascript:alert(1)\"></object>",
  "![x](javascript:alert(1))",
  "<a href=\"data:text/html,<script>alert(1)</script>\">d</a>",
];

describe("sanitizing card content", () => {
  it.each(ATTACKS)("removes script and event-handler injection: %s", (attack) => {
    for (const mode of ["hide", "show"] as const) {
      const html = renderMarkdown(`前文 ${attack} 后文`, { cloze: mode });
      const el = dom(html);
      expect(el.querySelector("script, iframe, object, embed, form, svg, style")).toBeNull();
      for (const attr of allAttributes(el)) {
        expect(attr).not.toMatch(/^on/i);
        expect(attr).not.toMatch(/javascript:/i);
        expect(attr).not.toMatch(/^(href|src)=data:text\/html/i);
      }
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/<[^>]*\sonerror=/i); // as text (escaped) it is harmless
    }
  });

  it("shows a script tag as text, never as an element", () => {
    const el = dom(renderMarkdown("a<script>document.cookie</script>b"));
    expect(el.querySelector("script")).toBeNull();
    expect(el.textContent?.trim()).toBe("a<script>document.cookie</script>b");
  });

  it("shows raw HTML (an image with onerror=) as text: no element is made from it", () => {
    const src = '<img src="https://example.org/a.png" onerror="alert(1)" alt="a">';
    for (const text of [src, `前文 ${src} 后文`, `- ${src}`]) {
      const el = dom(renderMarkdown(text));
      expect(el.querySelector("img")).toBeNull();
      expect(el.textContent).toContain(src);
    }
    // markdown's own image syntax still makes an image
    const md = dom(renderMarkdown("![a](https://example.org/a.png)")).querySelector("img");
    expect(md?.getAttribute("src")).toBe("https://example.org/a.png");
  });

  it("removes javascript: URLs from markdown and HTML links, keeping the text", () => {
    const el = dom(renderMarkdown("[点我](javascript:alert(1)) <a href='javascript:void(0)'>也点我</a>"));
    for (const a of el.querySelectorAll("a")) expect(a.getAttribute("href") ?? "").not.toMatch(/javascript/i);
    expect(el.textContent).toContain("点我");
    expect(el.textContent).toContain("也点我");
  });

  it("keeps safe links and opens them in a new tab without an opener", () => {
    const a = dom(renderMarkdown("[paper](https://arxiv.org/abs/1512.03385)")).querySelector("a");
    expect(a?.getAttribute("href")).toBe("https://arxiv.org/abs/1512.03385");
    expect(a?.getAttribute("rel")).toBe("noopener noreferrer");
    expect(a?.getAttribute("target")).toBe("_blank");
  });

  it("escapes HTML written inside math and inside cloze hints", () => {
    const math = dom(renderMarkdown("$<img src=x onerror=alert(1)>$"));
    expect(math.querySelector("img")).toBeNull();
    const hint = dom(renderMarkdown("{{c1::答案::<img src=x onerror=alert(1)>}}", { cloze: "hide" }));
    for (const attr of allAttributes(hint)) expect(attr).not.toMatch(/^on/i);
  });

  it("does not let KaTeX commands produce links or HTML (trust is off)", () => {
    const el = dom(renderMarkdown("$\\href{javascript:alert(1)}{x}$ $\\htmlData{onclick=alert(1)}{y}$"));
    expect(el.querySelector("a")).toBeNull();
    for (const attr of allAttributes(el)) expect(attr).not.toMatch(/javascript:|^on/i);
  });

  it("a forged math placeholder in content cannot inject anything", () => {
    const el = dom(renderMarkdown('<span data-math="99"></span><span data-math="0" onclick="x()"></span> $a$'));
    for (const attr of allAttributes(el)) expect(attr).not.toMatch(/^on/i);
  });

  it("strips inline styles from content", () => {
    expect(sanitizeContent('<p style="background:url(https://t.example/x)">x</p>')).toBe("<p>x</p>");
  });
});
