/**
 * Markdown + LaTeX for cards, prompts and worked solutions.
 *
 * `$...$` is inline math, `$$...$$` display math (KaTeX); cloze deletions `{{c1::text}}` and
 * `{{c1::text::hint}}` are shown as `[…]` / `[hint]` until revealed. Pipeline: marked tokenizes (math
 * and clozes are marked extensions, so code spans stay literal) and renders math as empty placeholders;
 * the HTML is sanitized strictly; KaTeX's output replaces the placeholders; a final MathML-aware
 * sanitize pass runs over the whole. Raw HTML in the text is escaped (shown as text); the sanitizers stay as a
 * second line of defence. Results are cached (cards come round again).
 */
import katex from "katex";
import { Marked, type Tokens, type TokenizerAndRendererExtension } from "marked";

import { sanitizeContent, sanitizeFinal } from "./sanitize";

export type ClozeMode = "hide" | "show";

export interface RenderOptions {
  /** How cloze deletions appear: hidden ("[…]") or revealed (highlighted). Default: revealed. */
  cloze?: ClozeMode;
  /** Inline markdown only (no paragraphs): for labels and short texts. */
  inline?: boolean;
}

interface Ctx {
  maths: string[];
  cloze: ClozeMode;
}

let ctx: Ctx = { maths: [], cloze: "show" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** KaTeX's HTML for one formula; a formula KaTeX cannot read is shown as its source, in red. */
export function renderTex(tex: string, display: boolean): string {
  try {
    return katex.renderToString(tex, {
      displayMode: display,
      throwOnError: false,
      strict: "ignore",
      trust: false,
      maxSize: 20,
      maxExpand: 500,
      output: "htmlAndMathml",
    });
  } catch {
    return `<code class="tex-error">${escapeHtml(tex)}</code>`;
  }
}

function mathPlaceholder(tex: string, display: boolean): string {
  const i = ctx.maths.push(display ? `<span class="math-display">${renderTex(tex, true)}</span>` : renderTex(tex, false)) - 1;
  return `<span data-math="${i}"></span>`;
}

interface MathToken extends Tokens.Generic {
  text: string;
  display: boolean;
}

const blockMath: TokenizerAndRendererExtension = {
  name: "blockMath",
  level: "block",
  start(src) {
    const i = src.search(/(^|\n)\$\$/);
    return i < 0 ? undefined : i + (src[i] === "\n" ? 1 : 0);
  },
  tokenizer(src) {
    const m = /^\$\$([\s\S]+?)\$\$[ \t]*(?:\n+|$)/.exec(src);
    if (!m) return undefined;
    return { type: "blockMath", raw: m[0], text: m[1]!.trim(), display: true };
  },
  renderer(token) {
    const t = token as MathToken;
    return `<div class="math-block">${mathPlaceholder(t.text, true)}</div>\n`;
  },
};

const inlineMath: TokenizerAndRendererExtension = {
  name: "inlineMath",
  level: "inline",
  start(src) {
    const i = src.indexOf("$");
    return i < 0 ? undefined : i;
  },
  tokenizer(src) {
    let m = /^\$\$((?:\\[\s\S]|[^\\])+?)\$\$/.exec(src);
    if (m) return { type: "inlineMath", raw: m[0], text: m[1]!.trim(), display: true };
    // $...$: no space just inside the dollars, and no digit right after the closing one ("$5 and $6").
    m = /^\$(?=\S)((?:\\[\s\S]|[^\\$\n])*?[^\s\\])\$(?!\d)/.exec(src) ?? /^\$([^\s\\$])\$(?!\d)/.exec(src);
    if (m) return { type: "inlineMath", raw: m[0], text: m[1]!, display: false };
    return undefined;
  },
  renderer(token) {
    const t = token as MathToken;
    return mathPlaceholder(t.text, t.display);
  },
};

export interface ClozeMatch {
  raw: string;
  n: number;
  answer: string;
  hint: string | null;
}

/**
 * Reads a cloze deletion at the start of `src`: `{{cN::answer}}` or `{{cN::answer::hint}}`. Braces and
 * `::` inside math (`$\frac{a}{b}$`) or nested braces do not end it.
 */
export function scanCloze(src: string): ClozeMatch | null {
  const head = /^\{\{c(\d+)::/.exec(src);
  if (!head) return null;
  let i = head[0].length;
  let depth = 0;
  let math: "" | "$" | "$$" = "";
  let split = -1;
  while (i < src.length) {
    const ch = src[i];
    if (ch === "\\") {
      i += 2;
      continue;
    }
    if (ch === "$") {
      const double = src.startsWith("$$", i);
      if (math === "") {
        math = double ? "$$" : "$";
        i += double ? 2 : 1;
      } else if (math === "$$") {
        if (double) math = "";
        i += double ? 2 : 1;
      } else {
        math = "";
        i += 1;
      }
      continue;
    }
    if (math === "") {
      if (ch === "{") depth++;
      else if (ch === "}") {
        if (depth === 0 && src[i + 1] === "}") {
          const body = src.slice(head[0].length, i);
          const answer = split < 0 ? body : body.slice(0, split - head[0].length);
          const hint = split < 0 ? null : body.slice(split - head[0].length + 2);
          if (answer.trim() === "") return null;
          return { raw: src.slice(0, i + 2), n: Number(head[1]), answer, hint };
        }
        if (depth > 0) depth--;
      } else if (ch === ":" && src[i + 1] === ":" && depth === 0 && split < 0) {
        split = i;
        i += 2;
        continue;
      }
    }
    i++;
  }
  return null;
}

interface ClozeToken extends Tokens.Generic {
  n: number;
  tokens: Tokens.Generic[];
  hintTokens: Tokens.Generic[] | null;
}

const cloze: TokenizerAndRendererExtension = {
  name: "cloze",
  level: "inline",
  start(src) {
    const i = src.search(/\{\{c\d+::/);
    return i < 0 ? undefined : i;
  },
  tokenizer(src) {
    const m = scanCloze(src);
    if (!m) return undefined;
    return {
      type: "cloze",
      raw: m.raw,
      n: m.n,
      tokens: this.lexer.inlineTokens(m.answer),
      hintTokens: m.hint === null ? null : this.lexer.inlineTokens(m.hint),
    };
  },
  renderer(token) {
    const t = token as ClozeToken;
    if (ctx.cloze === "hide") {
      const hint = t.hintTokens ? this.parser.parseInline(t.hintTokens) : "…";
      return `<span class="cloze cloze-hidden" data-cloze="${t.n}">[${hint}]</span>`;
    }
    return `<mark class="cloze cloze-shown" data-cloze="${t.n}">${this.parser.parseInline(t.tokens)}</mark>`;
  },
};

const marked = new Marked({ gfm: true, breaks: true, async: false });
marked.use({ extensions: [blockMath, inlineMath, cloze] });
// HTML written in a card (a learner's own cards, imported notes) is shown as the text it is, never parsed:
// no card needs raw HTML (markdown covers images, links, tables), and text cannot inject elements.
marked.use({ renderer: { html: ({ text }) => escapeHtml(text) } });

const cache = new Map<string, string>();
const CACHE_MAX = 400;

/** Markdown + KaTeX + cloze → sanitized HTML, safe for innerHTML. */
export function renderMarkdown(src: string, opts: RenderOptions = {}): string {
  const mode: ClozeMode = opts.cloze ?? "show";
  const key = `${mode}${opts.inline ? "i" : "b"}\u0000${src}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const previous = ctx;
  ctx = { maths: [], cloze: mode };
  let html: string;
  try {
    const raw = opts.inline ? (marked.parseInline(src) as string) : (marked.parse(src) as string);
    const maths = ctx.maths;
    const clean = sanitizeContent(raw).replace(/<span data-math="(\d+)"><\/span>/g, (_, i: string) => maths[Number(i)] ?? "");
    html = sanitizeFinal(clean);
  } finally {
    ctx = previous;
  }
  cache.set(key, html);
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  return html;
}

/** True when the text has at least one cloze deletion. */
export function hasCloze(src: string): boolean {
  return /\{\{c\d+::/.test(src);
}
