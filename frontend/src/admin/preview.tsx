/**
 * The admin's card preview (the card change form, dlquiz/decks/templates/admin/decks/card/change_form.html).
 *
 * The learner's own components and renderer: `CardFace` (front with cloze gaps hidden, then the full
 * cloze text and the back) and `Markdown` (marked + KaTeX + DOMPurify, render/markdown.ts), so the preview
 * is the study screen's card, not a second renderer. It is redrawn on every keystroke in the form's
 * front, back and kind fields. The app's style sheet is applied inside a shadow root, so it styles the
 * preview without touching the admin's own page, and so is KaTeX's (whose fonts are declared by the same
 * sheet in the document: a shadow root's @font-face rules are ignored).
 *
 * An exercise card's variants (prompt, reference answers, worked solution), computed by the server for a
 * few seeds within the card's params, arrive as JSON in `<script type="application/json"
 * id="exercise-variants">` (no inline script: the Content-Security-Policy allows scripts from our origin
 * only) and are rendered here the same way.
 */
import "katex/dist/katex.min.css";

import { render } from "preact";

import katexCss from "katex/dist/katex.min.css?inline";

import appCss from "../styles.css?inline";
import { CardFace } from "../components/CardFace";
import { Markdown } from "../components/Markdown";

export interface PreviewCard {
  kind: string;
  front: string;
  back: string;
}

export interface VariantPreview {
  seed: number;
  params: Record<string, unknown>;
  prompt: string;
  answers: { label: string; text: string }[];
  solution: string;
  error?: string;
}

/** The card as the learner studies it, answer revealed. */
export function CardPreview({ card }: { card: PreviewCard }) {
  return (
    <div class="card-preview">
      <CardFace
        card={{ id: 0, kind: card.kind as "basic", front: card.front, back: card.back }}
        revealed={true}
        onReveal={() => undefined}
        afterAnswer={null}
        exercisePanel={null}
      />
    </div>
  );
}

/** An exercise card's variants: prompt, reference answers and worked solution of each seed. */
export function VariantsPreview({ variants }: { variants: VariantPreview[] }) {
  return (
    <ol class="variant-previews">
      {variants.map((v) => (
        <li key={v.seed} class="variant-preview" data-seed={v.seed}>
          <p class="variant-seed">
            seed {v.seed} · <code>{JSON.stringify(v.params)}</code>
          </p>
          {v.error ? (
            <p class="variant-error">{v.error}</p>
          ) : (
            <>
              <Markdown text={v.prompt} class="variant-prompt" />
              <ul class="variant-answers">
                {v.answers.map((a) => (
                  <li key={a.label}>
                    <Markdown text={a.label} inline /> = <code>{a.text}</code>
                  </li>
                ))}
              </ul>
              <details open>
                <summary>solution</summary>
                <Markdown text={v.solution} class="variant-solution" />
              </details>
            </>
          )}
        </li>
      ))}
    </ol>
  );
}

/** The app's style sheet for a shadow root: its document-level rules (:root, body) apply to the host. */
export function shadowSheetText(css: string): string {
  return css.replace(/:root\b/g, ":host").replace(/(^|[\s,}])body(?=[\s,{])/g, "$1:host");
}

function shadowMount(host: HTMLElement): HTMLElement {
  const root = host.shadowRoot ?? host.attachShadow({ mode: "open" });
  const sheet = new CSSStyleSheet();
  // the answer bar (rating buttons in the study screen) has nothing to show here
  sheet.replaceSync(`${katexCss}\n${shadowSheetText(appCss)}\n.answer-bar { display: none; }`);
  root.adoptedStyleSheets = [sheet];
  const mount = document.createElement("div");
  root.replaceChildren(mount);
  return mount;
}

function fieldValue(id: string): string {
  const el = document.getElementById(id) as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | null;
  if (el) return el.value;
  // a read-only field (a reverse card's sides) is shown as text by the admin
  const shown = document.querySelector<HTMLElement>(`.field-${id.replace(/^id_/, "")} .readonly`);
  return shown?.innerText ?? "";
}

/** Wire the preview to the change form: redraw on input in front, back and kind. */
export function startPreview(doc: Document = document): void {
  const host = doc.getElementById("card-preview");
  if (host) {
    const mount = shadowMount(host);
    const draw = () =>
      render(
        <CardPreview card={{ kind: fieldValue("id_kind"), front: fieldValue("id_front"), back: fieldValue("id_back") }} />,
        mount,
      );
    for (const id of ["id_front", "id_back", "id_kind"]) {
      doc.getElementById(id)?.addEventListener("input", draw);
      doc.getElementById(id)?.addEventListener("change", draw);
    }
    draw();
  }
  const data = doc.getElementById("exercise-variants");
  const target = doc.getElementById("exercise-variants-preview");
  if (data && target) {
    const variants = JSON.parse(data.textContent ?? "[]") as VariantPreview[];
    render(<VariantsPreview variants={variants} />, shadowMount(target));
  }
}

if (typeof document !== "undefined" && document.getElementById("card-preview")) startPreview();
