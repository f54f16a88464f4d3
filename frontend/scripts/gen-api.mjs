// Generates src/api/schema.yml (the OpenAPI schema, from drf-spectacular) and src/api/schema.d.ts
// (TypeScript types, from openapi-typescript). Both are committed so a build needs no Python.
//   npm run gen:api     regenerate both files
//   npm run check:api   fail if the committed files differ from a fresh generation
// PYTHON (default ../.venv/bin/python, then python3) runs ../manage.py.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const frontend = resolve(here, "..");
const root = resolve(frontend, "..");
const schemaFile = join(frontend, "src/api/schema.yml");
const typesFile = join(frontend, "src/api/schema.d.ts");
const check = process.argv.includes("--check");

function python() {
  if (process.env.PYTHON) return process.env.PYTHON;
  const venv = join(root, ".venv/bin/python");
  return existsSync(venv) ? venv : "python3";
}

const tmp = mkdtempSync(join(tmpdir(), "dlquiz-api-"));
try {
  const freshSchema = join(tmp, "schema.yml");
  const freshTypes = join(tmp, "schema.d.ts");
  execFileSync(python(), [join(root, "manage.py"), "spectacular", "--validate", "--fail-on-warn", "--file", freshSchema],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  execFileSync(join(frontend, "node_modules/.bin/openapi-typescript"), [freshSchema, "-o", freshTypes],
    { cwd: frontend, stdio: ["ignore", "ignore", "inherit"] });
  const pairs = [[schemaFile, freshSchema], [typesFile, freshTypes]];
  if (check) {
    const stale = pairs.filter(([committed, fresh]) =>
      !existsSync(committed) || readFileSync(committed, "utf8") !== readFileSync(fresh, "utf8"));
    if (stale.length) {
      for (const [committed] of stale) console.error(`check:api: ${committed} differs from a fresh generation`);
      console.error("check:api: the API changed; run `npm run gen:api` and commit the result");
      process.exit(1);
    }
    console.log("check:api: generated API types are up to date");
  } else {
    for (const [committed, fresh] of pairs) writeFileSync(committed, readFileSync(fresh, "utf8"));
    console.log(`gen:api: wrote ${schemaFile} and ${typesFile}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
