import { useEffect, useState } from "preact/hooks";

import { type AnkiImport as ImportRow, api } from "../api/client";
import { useI18n } from "../i18n";
import { formatPercent } from "../lib/format";
import { useSubmit } from "../lib/useSubmit";
import { Link } from "./Link";

const POLL_MS = 1000;

/**
 * Upload an .apkg, then poll its import row (a worker does the import) until it is done or failed.
 * `onDone` runs once the import has finished (the dashboard reloads its decks).
 */
export function AnkiImport({ onDone }: { onDone: () => void }) {
  const { t, locale } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [deckName, setDeckName] = useState("");
  const [row, setRow] = useState<ImportRow | null>(null);
  const submit = useSubmit(async () => {
    if (!file) return;
    setRow(await api.ankiImport(file, deckName.trim()));
  });

  const active = row !== null && (row.status === "queued" || row.status === "running");
  useEffect(() => {
    if (!row || !active) return undefined;
    const timer = window.setTimeout(() => {
      api.ankiImportGet(row.id).then(
        (next) => {
          setRow(next);
          if (next.status === "done") onDone();
        },
        () => setRow({ ...row }), // try again at the next tick
      );
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [row, active]);

  return (
    <form class="anki-import" onSubmit={submit.onSubmit} aria-labelledby="anki-import-title">
      <h3 id="anki-import-title">{t("anki.import")}</h3>
      <p class="hint">{t("anki.importIntro")}</p>
      <div class={`field${submit.fields.file ? " has-error" : ""}`}>
        <label for="anki-file">{t("anki.file")}</label>
        <input
          id="anki-file"
          name="file"
          type="file"
          accept=".apkg,application/octet-stream,application/zip"
          aria-invalid={submit.fields.file ? true : undefined}
          aria-describedby={submit.fields.file ? "anki-file-error" : undefined}
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
        />
        {submit.fields.file ? (
          <p class="error" id="anki-file-error" role="alert">
            {submit.fields.file}
          </p>
        ) : null}
      </div>
      <div class={`field${submit.fields.deck_name ? " has-error" : ""}`}>
        <label for="anki-deck">{t("anki.deckName")}</label>
        <input id="anki-deck" name="deck_name" type="text" maxLength={200} value={deckName} onInput={(e) => setDeckName(e.currentTarget.value)} />
      </div>
      <button type="submit" class="primary" disabled={submit.busy || active || !file}>
        {submit.busy ? t("anki.uploading") : t("anki.start")}
      </button>
      {submit.error && !submit.fields.file ? (
        <p class="error" role="alert">
          {submit.error}
        </p>
      ) : null}
      {row ? <ImportStatus row={row} locale={locale} /> : null}
    </form>
  );
}

function ImportStatus({ row, locale }: { row: ImportRow; locale: string }) {
  const { t } = useI18n();
  const text =
    row.status === "done"
      ? t("anki.status.done", { created: row.cards_created, updated: row.cards_updated, reviews: row.reviews_imported })
      : row.status === "failed"
        ? t("anki.status.failed", { error: row.error })
        : row.status === "running"
          ? t("anki.status.running", { pct: formatPercent(row.progress, locale) })
          : t("anki.status.queued");
  return (
    <div class="anki-status" data-status={row.status}>
      {row.status === "done" || row.status === "failed" ? null : (
        <progress max={1} value={row.progress} aria-label={t("anki.progress")} />
      )}
      <p role="status" class={row.status === "failed" ? "error" : undefined}>
        {text}
      </p>
      {row.status === "done" && row.deck !== null ? <Link href={`/browse?deck=${row.deck}`}>{t("anki.openDeck")}</Link> : null}
      {row.notes.length ? (
        <details>
          <summary>{t("anki.skipped")}</summary>
          <ul>
            {row.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
