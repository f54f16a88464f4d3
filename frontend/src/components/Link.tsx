import type { ComponentChildren } from "preact";

import { onLinkClick } from "../router";

interface Props {
  href: string;
  class?: string;
  children: ComponentChildren;
  "aria-current"?: "page" | undefined;
}

export function Link({ href, children, ...rest }: Props) {
  return (
    <a href={href} onClick={onLinkClick} {...rest}>
      {children}
    </a>
  );
}
