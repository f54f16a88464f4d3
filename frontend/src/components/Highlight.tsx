import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";

/** Wrap every occurrence of `terms` (case-insensitive) in the text of `root` in <mark class="hit">, outside
 * rendered math and code. Returns how many were marked. */
export function markTerms(root: HTMLElement, terms: readonly string[]): number {
  const wanted = [...new Set(terms.filter((t) => t.trim()))].sort((a, b) => b.length - a.length);
  if (!wanted.length) return 0;
  const pattern = new RegExp(wanted.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gi");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) =>
      n.parentElement?.closest(".katex, code, pre, mark.hit") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const nodes: Text[] = [];
  while (walker.nextNode()) nodes.push(walker.currentNode as Text);
  let marked = 0;
  for (const node of nodes) {
    const text = node.data;
    pattern.lastIndex = 0;
    if (!pattern.test(text)) continue;
    pattern.lastIndex = 0;
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const m of text.matchAll(pattern)) {
      const i = m.index ?? 0;
      if (i > last) frag.append(text.slice(last, i));
      const mark = document.createElement("mark");
      mark.className = "hit";
      mark.textContent = m[0];
      frag.append(mark);
      last = i + m[0].length;
      marked++;
    }
    if (last < text.length) frag.append(text.slice(last));
    node.replaceWith(frag);
  }
  return marked;
}

/** Its children with the search's terms marked (re-marked whenever the content or the terms change). */
export function Highlight({ terms, watch, children }: { terms: readonly string[]; watch: string; children: ComponentChildren }) {
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (box.current) markTerms(box.current, terms);
  }, [watch, terms.join("\u0000")]);
  return (
    <div ref={box} class="highlight">
      {children}
    </div>
  );
}
