/** Shared helpers for the unit tests. */
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach } from "vitest";

/** HTML parsed into a detached element, to query. */
export function dom(html: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div;
}

/** An element in the document to render components into; what was rendered is unmounted after each test. */
export function renderRoot(): HTMLElement {
  const root = document.createElement("div");
  document.body.append(root);
  afterEach(() => act(() => render(null, root)));
  return root;
}
