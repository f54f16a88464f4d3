import { useState } from "preact/hooks";

import { api, type NotesImport as Planned } from "../api/client";
import { Field } from "../components/Field";
import { Link } from "../components/Link";
import { Markdown } from "../components/Markdown";
import { type Key, useI18n } from "../i18n";
import { useSubmit } from "../lib/useSubmit";

interface NoteFile {
  name: string;
  text: string;
}

/** "新建 2，更新 0，不变 1，停用 0" in the interface language. */
function counts(p: Planned, t: (k: Key, v?: Record<string, number>) => string): string {
  const n = (a: string) => p.cards.filter((c) => c.action === a).length;
  return t("imp.counts", { create: n("create"), update: n("update"), unchanged: n("unchanged"), retired: p.retired });
}

const ACTION: Record<string, Key> = {
  create: "imp.action.create",
  update: "imp.action.update",
  unchanged: "imp.action.unchanged",
};

/**
 * Markdown notes into one of the learner's decks through the server's notes import: upload, preview the
 * cards it would make (rendered as studied), then create them.
 */
export function NotesImport() {
  const { t } = useI18n();
  const [deckName, setDeckName] = useState("");
  const [files, setFiles] = useState<NoteFile[]>([]);
  const [plan, setPlan] = useState<Planned | null>(null);
  const [done, setDone] = useState<Planned | null>(null);
  const [noFiles, setNoFiles] = useState(false);

  async function choose(list: FileList | null) {
    setPlan(null);
    setDone(null);
    const chosen = [...(list ?? [])];
    setFiles(await Promise.all(chosen.map(async (f) => ({ name: f.name, text: await f.text() }))));
  }

  const preview = useSubmit(async () => {
    setDone(null);
    setNoFiles(!files.length);
    if (!files.length) return;
    setPlan(await api.myNotesImport({ deck_name: deckName, files, dry_run: true }));
  });
  const create = useSubmit(async () => {
    const result = await api.myNotesImport({ deck_name: deckName, files, dry_run: false });
    setPlan(null);
    setDone(result);
  });
  const failed = create.failure ? create : preview;
  const fileErrors = failed.failure ? (failed.fields.files ?? "") : "";

  return (
    <section class="notes-import" aria-labelledby="import-title">
      <p>
        <Link href="/my">← {t("my.back")}</Link>
      </p>
      <h1 id="import-title" tabIndex={-1}>
        {t("imp.title")}
      </h1>
      <p class="muted">{t("imp.intro")}</p>
      <form class="panel" onSubmit={preview.onSubmit} noValidate>
        <Field
          id="import-deck"
          label={t("imp.deck")}
          value={deckName}
          onInput={(e) => {
            setDeckName(e.currentTarget.value);
            setPlan(null);
          }}
          error={failed.fields.deck_name}
        />
        <div class={`field${fileErrors || noFiles ? " has-error" : ""}`}>
          <label for="import-files">{t("imp.files")}</label>
          <input
            id="import-files"
            type="file"
            multiple
            accept=".md,.markdown,.txt,text/markdown,text/plain"
            onChange={(e) => void choose(e.currentTarget.files)}
          />
          {fileErrors || noFiles ? (
            <p class="error" role="alert">
              {noFiles ? t("imp.noFiles") : fileErrors}
            </p>
          ) : null}
        </div>
        <div class="actions">
          <button type="submit" class={plan ? undefined : "primary"} disabled={preview.busy || !deckName.trim()}>
            {t("imp.preview")}
          </button>
          {plan ? (
            <button type="button" class="primary" disabled={create.busy} onClick={() => create.run()}>
              {t("imp.create")}
            </button>
          ) : null}
        </div>
        {failed.error && !fileErrors && !Object.keys(failed.fields).length ? (
          <p class="error" role="alert">
            {failed.error}
          </p>
        ) : null}
      </form>
      {done ? (
        <p role="status">
          {t("imp.done", { summary: counts(done, t) })}{" "}
          {done.deck ? <Link href={`/my/decks/${done.deck}`}>{t("imp.open")}</Link> : null}
        </p>
      ) : null}
      {plan ? (
        <>
          <p role="status">{t("imp.planned", { summary: counts(plan, t) })}</p>
          <ol class="own-cards import-plan">
            {plan.cards.map((c) => (
              <li key={`${c.file}:${c.line}`}>
                <p class="muted">
                  {c.file}:{c.line} · {t(ACTION[c.action] ?? "imp.action.create")}
                </p>
                <Markdown text={c.front} class="own-front" />
                <Markdown text={c.back} class="back" />
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </section>
  );
}
