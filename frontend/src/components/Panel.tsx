import type { ComponentChildren } from "preact";

interface Props {
  /** Names the heading `${id}-title`, which labels the panel (and can label what is inside). */
  id: string;
  title: ComponentChildren;
  children: ComponentChildren;
}

/** A titled panel of a screen: a section labelled by its heading. */
export function Panel({ id, title, children }: Props) {
  return (
    <section class="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}
