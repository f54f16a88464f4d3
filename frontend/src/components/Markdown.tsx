import { useMemo } from "preact/hooks";

import { type ClozeMode, renderMarkdown } from "../render/markdown";

interface Props {
  text: string;
  cloze?: ClozeMode;
  inline?: boolean;
  class?: string;
  id?: string;
}

/** Card text (markdown + KaTeX + cloze), sanitized. The bundled content is Chinese whatever the interface. */
export function Markdown({ text, cloze, inline, class: cls, id }: Props) {
  const html = useMemo(() => renderMarkdown(text, { cloze, inline }), [text, cloze, inline]);
  const className = `md${cls ? ` ${cls}` : ""}`;
  return inline ? (
    <span id={id} class={className} lang="zh-CN" dangerouslySetInnerHTML={{ __html: html }} />
  ) : (
    <div id={id} class={className} lang="zh-CN" dangerouslySetInnerHTML={{ __html: html }} />
  );
}
