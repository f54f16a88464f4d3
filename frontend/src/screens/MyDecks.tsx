import { useState } from "preact/hooks";

import { api, type OwnCard } from "../api/client";
import { Field } from "../components/Field";
import { Link } from "../components/Link";
import { Markdown } from "../components/Markdown";
import { Pending } from "../components/Pending";
import { useI18n } from "../i18n";
import { navigate } from "../router";
import { useAsync } from "../lib/useAsync";
import { useAction, useSubmit } from "../lib/useSubmit";
import { kindKey } from "./CardEditor";

/** The learner's own decks: the list, a new deck, and the way to the notes import. */
export function MyDecks() {
  const { t } = useI18n();
  const decks = useAsync(() => api.myDecks(), []);
  const [name, setName] = useState("");
  const create = useSubmit(async () => {
    const deck = await api.myDeckCreate(name);
    navigate(`/my/decks/${deck.id}`);
  });

  if (decks.error || !decks.data) return <Pending title={t("my.title")} error={decks.error} />;
  return (
    <section class="my-decks" aria-labelledby="my-title">
      <h1 id="my-title" tabIndex={-1}>
        {t("my.title")}
      </h1>
      <p class="muted">{t("my.intro")}</p>
      {decks.data.length ? (
        <ul class="own-list" aria-label={t("my.title")}>
          {decks.data.map((d) => (
            <li key={d.id}>
              <Link href={`/my/decks/${d.id}`}>{d.name}</Link>
              <span class="muted"> · {t("my.counts", { active: d.active, retired: d.retired })}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p>{t("my.none")}</p>
      )}
      <form class="panel" onSubmit={create.onSubmit} noValidate>
        <Field
          id="deck-name"
          label={t("my.newDeck")}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          error={create.fields.name}
          required
        />
        <div class="actions">
          <button type="submit" class="primary" disabled={create.busy || !name.trim()}>
            {t("my.createDeck")}
          </button>
          <Link href="/my/import" class="button">
            {t("my.import")}
          </Link>
        </div>
        {create.error && !create.fields.name ? (
          <p class="error" role="alert">
            {create.error}
          </p>
        ) : null}
      </form>
    </section>
  );
}

/** One of the learner's decks: rename it, its cards (rendered as studied) with edit and retire/restore. */
export function MyDeck({ id }: { id: number }) {
  const { t } = useI18n();
  const loaded = useAsync(() => api.myDeck(id), [id]);
  const [name, setName] = useState<string | null>(null);
  const [renamed, setRenamed] = useState(false);
  const rename = useSubmit(async () => {
    setRenamed(false);
    const deck = await api.myDeckRename(id, name ?? "");
    if (loaded.data) loaded.set({ ...loaded.data, deck });
    setName(null);
    setRenamed(true);
  });
  const retire = useAction(async (card: OwnCard) => {
    const changed = await api.myCardRetire(card.id, !card.retired);
    if (loaded.data)
      loaded.set({ ...loaded.data, cards: loaded.data.cards.map((c) => (c.id === changed.id ? changed : c)) });
  });

  if (loaded.error || !loaded.data) return <Pending title={t("my.title")} error={loaded.error} />;
  const { deck, cards } = loaded.data;
  return (
    <section class="my-deck" aria-labelledby="deck-title">
      <p>
        <Link href="/my">← {t("my.back")}</Link>
      </p>
      <h1 id="deck-title" tabIndex={-1}>
        {deck.name}
      </h1>
      <form class="inline-form" onSubmit={rename.onSubmit} noValidate>
        <Field
          id="deck-rename"
          label={t("my.deckName")}
          value={name ?? deck.name}
          onInput={(e) => setName(e.currentTarget.value)}
          error={rename.fields.name ?? (rename.error || undefined)}
        />
        <button type="submit" disabled={rename.busy || name === null || name.trim() === deck.name}>
          {t("my.rename")}
        </button>
        <span role="status" class="muted">
          {renamed ? t("my.renamed") : ""}
        </span>
      </form>
      <div class="actions">
        <Link href={`/my/decks/${deck.id}/new`} class="button primary">
          {t("my.addCard")}
        </Link>
      </div>
      <h2>{t("my.cards")}</h2>
      {cards.length ? (
        <ul class="own-cards">
          {cards.map((c) => (
            <li key={c.id} class={c.retired ? "retired" : undefined} data-card-id={c.id}>
              <Markdown text={c.front} class="own-front" />
              <p class="muted">
                {t(kindKey(c.kind))}
                {c.tags.length ? ` · ${c.tags.join(" ")}` : ""}
                {c.draft ? ` · ${t("my.draft")}` : ""}
                {c.retired ? ` · ${t("my.retired")}` : ""}
              </p>
              <div class="actions">
                <Link href={`/my/cards/${c.id}`} class="button">
                  {t("my.edit")}
                </Link>
                <button type="button" onClick={() => retire.run(c)} disabled={retire.busy}>
                  {c.retired ? t("my.restore") : t("my.retire")}
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : (
        <p>{t("my.noCards")}</p>
      )}
      {retire.error ? (
        <p class="error" role="alert">
          {retire.error}
        </p>
      ) : null}
    </section>
  );
}
