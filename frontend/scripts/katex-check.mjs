#!/usr/bin/env node
// Validate LaTeX formulas with KaTeX itself (the renderer the front end uses).
//
// stdin:  JSON array [{"id": any, "tex": string, "display": boolean}, ...]
// stdout: JSON array of the failures only, [{"id": any, "error": string}, ...] ("[]" when all parse)
// exit:   0 when the check ran (failures or not); 2 on unreadable input.
//
// Used by `manage.py check_content` (one run for the whole deck): `node frontend/scripts/katex-check.mjs`.
import katex from "katex";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function check(items) {
  const failures = [];
  for (const item of items) {
    const tex = typeof item.tex === "string" ? item.tex : "";
    try {
      // strict: "ignore" — only real parse errors fail; Unicode text in math renders fine in KaTeX.
      katex.renderToString(tex, { displayMode: Boolean(item.display), throwOnError: true, strict: "ignore" });
    } catch (err) {
      const message = err instanceof katex.ParseError ? err.message : `${err && err.message ? err.message : err}`;
      failures.push({ id: item.id, error: message });
    }
  }
  return failures;
}

let items;
try {
  items = JSON.parse((await readStdin()) || "[]");
  if (!Array.isArray(items)) throw new Error("expected a JSON array");
} catch (err) {
  process.stderr.write(`katex-check: unreadable input: ${err.message}\n`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(check(items)));
