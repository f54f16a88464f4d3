/**
 * HTML sanitizing. Two passes (see markdown.ts): user content (cards, imported notes, prompts) is
 * cleaned strictly — no scripts, no event handlers, no javascript: URLs, no inline styles, no forms;
 * KaTeX's output is then spliced in and the whole passes a second, MathML-aware sanitizer.
 */
import DOMPurify from "dompurify";

type Purifier = ReturnType<typeof DOMPurify>;

const FORBID_TAGS = ["style", "form", "input", "button", "textarea", "select", "option", "iframe", "object",
  "embed", "link", "meta", "base", "svg"];

function linkHook(node: Element): void {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("rel", "noopener noreferrer");
    node.setAttribute("target", "_blank");
  }
}

let content: Purifier | null = null;
let final: Purifier | null = null;

function contentPurifier(): Purifier {
  if (!content) {
    content = DOMPurify(window);
    content.addHook("afterSanitizeAttributes", linkHook);
  }
  return content;
}

function finalPurifier(): Purifier {
  if (!final) {
    final = DOMPurify(window);
    final.addHook("afterSanitizeAttributes", linkHook);
  }
  return final;
}

/** Strict: for HTML derived from user content (before any KaTeX output is added). */
export function sanitizeContent(html: string): string {
  return contentPurifier().sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS,
    FORBID_ATTR: ["style", "srcset", "formaction", "xlink:href"],
    ALLOW_DATA_ATTR: true,
  });
}

/** Final pass over content + KaTeX output: HTML and MathML, inline styles allowed (KaTeX sizes with them). */
export function sanitizeFinal(html: string): string {
  return finalPurifier().sanitize(html, {
    USE_PROFILES: { html: true, mathMl: true },
    ADD_TAGS: ["semantics", "annotation"],
    ADD_ATTR: ["encoding", "aria-hidden"],
    FORBID_TAGS,
    FORBID_ATTR: ["srcset", "formaction", "xlink:href"],
  });
}
