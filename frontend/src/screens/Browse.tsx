import { useEffect, useState } from "preact/hooks";

import { api, type CardFilters } from "../api/client";
import { Link } from "../components/Link";
import { Highlight } from "../components/Highlight";
import { Markdown } from "../components/Markdown";
import { useI18n } from "../i18n";
import { errorMessage } from "../lib/errors";
import { formatDate } from "../lib/format";
import { kindKey, stateKey, stateName } from "../lib/labels";
import { useAsync } from "../lib/useAsync";
import { navigate, type Route } from "../router";

const PAGE_SIZE = 25;
const STATES = ["new", "learning", "review", "suspended", "leech"] as const;
type StateFilter = (typeof STATES)[number];

export interface BrowseQuery {
  q: string;
  deck: string;
  tag: string;
  state: "" | StateFilter;
  topic: string;
  due: string;
  page: number;
}

export function parseBrowseQuery(query: URLSearchParams): BrowseQuery {
  const state = query.get("state") ?? "";
  return {
    q: query.get("q") ?? "",
    deck: query.get("deck") ?? "",
    tag: query.get("tag") ?? "",
    state: (STATES as readonly string[]).includes(state) ? (state as StateFilter) : "",
    topic: query.get("topic") ?? "",
    due: query.get("due") ?? "",
    page: Math.max(1, Number(query.get("page")) || 1),
  };
}

export function browseUrl(q: BrowseQuery): string {
  const p = new URLSearchParams();
  for (const k of ["q", "deck", "tag", "state", "topic", "due"] as const) if (q[k]) p.set(k, q[k]);
  if (q.page > 1) p.set("page", String(q.page));
  const s = p.toString();
  return s ? `/browse?${s}` : "/browse";
}

function toFilters(q: BrowseQuery): CardFilters {
  const f: CardFilters = { page: q.page, page_size: PAGE_SIZE };
  if (q.q.trim()) f.q = q.q.trim();
  if (q.deck) f.deck = Number(q.deck);
  if (q.tag) f.tag = q.tag;
  if (q.state) f.state = q.state;
  if (q.topic) f.topic = q.topic;
  if (q.due) f.due_before = new Date(`${q.due}T00:00:00`).toISOString();
  return f;
}

interface FilterSelectProps {
  id: string;
  label: string;
  value: string;
  /** [value, text] pairs, after "all". */
  options: Array<[string, string]>;
  onPick: (value: string) => void;
  /** A box above the list that narrows it to the options whose text holds what is typed (long lists). */
  searchable?: boolean;
}

/** The options whose text holds ``needle`` (any case), and always the one picked now. */
export function narrowOptions(options: Array<[string, string]>, needle: string, picked: string): Array<[string, string]> {
  const n = needle.trim().toLowerCase();
  if (!n) return options;
  return options.filter(([v, text]) => v === picked || text.toLowerCase().includes(n) || v.toLowerCase().includes(n));
}

/** One filter: "all" or one of its values. */
function FilterSelect({ id, label, value, options, onPick, searchable = false }: FilterSelectProps) {
  const { t } = useI18n();
  const [needle, setNeedle] = useState("");
  const shown = searchable ? narrowOptions(options, needle, value) : options;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {searchable ? (
        <input id={`${id}-find`} type="search" class="filter-find" value={needle} placeholder={t("browse.findOption")}
          aria-label={`${label}: ${t("browse.findOption")}`} autoComplete="off"
          onInput={(e) => {
            const next = e.currentTarget.value;
            setNeedle(next);
            const hits = narrowOptions(options, next, "");
            const only = hits.length === 1 ? hits[0] : undefined;
            if (next.trim() && only) onPick(only[0]); // one match: picked at once
          }} />
      ) : null}
      <select id={id} value={value} onChange={(e) => onPick(e.currentTarget.value)}>
        <option value="">{t("browse.all")}</option>
        {shown.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

export function Browse({ route }: { route: Route }) {
  const i18n = useI18n();
  const { t, locale } = i18n;
  const query = parseBrowseQuery(route.query);
  const [text, setText] = useState(query.q);
  const decks = useAsync(() => api.decks(), []);
  const facets = useAsync(() => api.facets(), []);
  const key = browseUrl(query);
  const results = useAsync(() => api.cards(toFilters(query)), [key]);

  useEffect(() => setText(query.q), [query.q]);

  // Search as you type (debounced); the URL holds the filters so Back works.
  useEffect(() => {
    if (text === query.q) return;
    const h = setTimeout(() => navigate(browseUrl({ ...query, q: text, page: 1 }), { replace: true }), 300);
    return () => clearTimeout(h);
  }, [text]);

  const set = (patch: Partial<BrowseQuery>) => navigate(browseUrl({ ...query, page: 1, ...patch }));
  const page = results.data;
  const pages = page ? Math.max(1, Math.ceil(page.count / PAGE_SIZE)) : 1;

  return (
    <section class="browse" aria-labelledby="browse-title">
      <h1 id="browse-title" tabIndex={-1}>
        {t("browse.title")}
      </h1>
      <form
        class="filters panel"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          set({ q: text });
        }}
      >
        <div class="field search">
          <label for="browse-q">{t("browse.search")}</label>
          <div class="inline">
            <input id="browse-q" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} autoComplete="off" />
            <button type="submit">{t("browse.searchButton")}</button>
          </div>
        </div>
        <div class="filter-grid">
          <FilterSelect id="browse-deck" label={t("browse.deck")} value={query.deck} onPick={(deck) => set({ deck })}
            options={(decks.data ?? []).map((d) => [String(d.id), d.name])} />
          <FilterSelect id="browse-state" label={t("browse.state")} value={query.state}
            onPick={(state) => set({ state: state as BrowseQuery["state"] })} options={STATES.map((s) => [s, t(stateKey(s))])} />
          <FilterSelect id="browse-tag" label={t("browse.tag")} value={query.tag} onPick={(tag) => set({ tag })}
            options={(facets.data?.tags ?? []).map((tag) => [tag, tag])} searchable />
          <FilterSelect id="browse-topic" label={t("browse.topic")} value={query.topic} onPick={(topic) => set({ topic })}
            options={(facets.data?.topics ?? []).map((tp) => [tp.id, tp.title ? `${tp.title} (${tp.id})` : tp.id])} searchable />
          <div class="field">
            <label for="browse-due">{t("browse.dueBefore")}</label>
            <input id="browse-due" type="date" value={query.due} onChange={(e) => set({ due: e.currentTarget.value })} />
          </div>
        </div>
        <button type="button" class="link-button" onClick={() => { setText(""); navigate("/browse"); }}>
          {t("browse.clear")}
        </button>
      </form>
      {results.error ? (
        <p class="error" role="alert">
          {errorMessage(results.error, i18n)}
        </p>
      ) : null}
      <p class="result-count" role="status" aria-live="polite">
        {page ? (page.count ? t("browse.results", { n: page.count }) : t("browse.none")) : t("common.loading")}
      </p>
      {page ? (
        <ol class={`results${results.loading ? " stale" : ""}`}>
          {page.results.map(({ card, state }) => (
            <li key={card.id} class="result">
              <Link href={`/cards/${card.id}`} class="result-link">
                <Highlight terms={page.highlight ?? []} watch={card.front}>
                  <Markdown text={card.front} class="result-front" />
                </Highlight>
              </Link>
              <p class="result-meta">
                <span class={`badge state-${stateName(state.state, state.suspended)}`}>{t(stateKey(state.state, state.suspended))}</span>
                <span>{card.deck_name}</span>
                <span>{t(kindKey(card.kind))}</span>
                {state.due ? (
                  <span>
                    {t("browse.due")} {formatDate(state.due, locale)}
                  </span>
                ) : null}
                {card.tags.length ? <span class="tags">{card.tags.join(" · ")}</span> : null}
              </p>
            </li>
          ))}
        </ol>
      ) : null}
      {page && pages > 1 ? (
        <nav class="pager" aria-label={t("browse.page", { p: query.page, n: pages })}>
          <button type="button" disabled={!page.previous} onClick={() => navigate(browseUrl({ ...query, page: query.page - 1 }))}>
            {t("browse.prev")}
          </button>
          <span>{t("browse.page", { p: query.page, n: pages })}</span>
          <button type="button" disabled={!page.next} onClick={() => navigate(browseUrl({ ...query, page: query.page + 1 }))}>
            {t("browse.next")}
          </button>
        </nav>
      ) : null}
    </section>
  );
}
