import { useEffect, useState } from "preact/hooks";

import { api, ApiError, type CardProblem, type OwnCard, type OwnCardInput } from "../api/client";
import { CardFace } from "../components/CardFace";
import { Link } from "../components/Link";
import { Pending } from "../components/Pending";
import { type Key, useI18n } from "../i18n";
import { navigate } from "../router";
import { useAsync } from "../lib/useAsync";
import { useSubmit } from "../lib/useSubmit";

type Kind = OwnCardInput["kind"];
const KINDS: Kind[] = ["basic", "cloze", "exercise"];

export function kindKey(kind: string): Key {
  if (kind === "cloze") return "ed.kind.cloze";
  if (kind === "exercise") return "ed.kind.exercise";
  return "ed.kind.basic";
}

interface Form {
  kind: Kind;
  front: string;
  back: string;
  tags: string;
  topics: string;
  family: string;
  params: string;
}

const EMPTY: Form = { kind: "basic", front: "", back: "", tags: "", topics: "", family: "", params: "" };

function toForm(c: OwnCard): Form {
  return {
    kind: c.kind === "reverse" ? "basic" : c.kind,
    front: c.front,
    back: c.back,
    tags: c.tags.join(" "),
    topics: c.topics.join(" "),
    family: c.family,
    params: Object.keys(c.params).length ? JSON.stringify(c.params) : "",
  };
}

const words = (s: string) => s.split(/\s+/).filter(Boolean);

/** The form as the API's card, or null when the params are not a JSON object. */
export function toInput(f: Form): OwnCardInput | null {
  let params: Record<string, unknown> = {};
  if (f.kind === "exercise" && f.params.trim()) {
    try {
      const parsed: unknown = JSON.parse(f.params);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
      params = parsed as Record<string, unknown>;
    } catch {
      return null;
    }
  }
  return {
    kind: f.kind,
    front: f.front,
    back: f.back,
    tags: words(f.tags),
    topics: words(f.topics),
    ...(f.kind === "exercise" ? { family: f.family.trim(), params } : {}),
  };
}

/**
 * A new card for one of the learner's decks (`deck`) or one of their cards (`card`): the fields, the card
 * as it will be studied (CardFace, the study screen's own renderer) and the server's check_content messages
 * next to each field, checked as the learner types and again on save.
 */
export function CardEditor({ deck, card }: { deck?: number; card?: number }) {
  const { t } = useI18n();
  const loaded = useAsync<{ form: Form; deck: number }>(
    () => (card ? api.myCard(card).then((c) => ({ form: toForm(c), deck: c.deck })) : Promise.resolve({ form: EMPTY, deck: deck! })),
    [card, deck],
  );
  const [form, setForm] = useState<Form | null>(null);
  const [problems, setProblems] = useState<CardProblem[] | null>(null);
  const [saved, setSaved] = useState(false);
  const [sent, setSent] = useState("");
  const current = form ?? loaded.data?.form ?? null;
  const input = current ? toInput(current) : null;

  // The server's check, a moment after the last keystroke (nothing is saved).
  useEffect(() => {
    if (!input || !current?.front.trim()) {
      setProblems(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      api
        .myCardCheck(input)
        .then((r) => live && setProblems(r.problems))
        .catch((e: unknown) => {
          if (!live) return;
          if (e instanceof ApiError && e.status === 400) setProblems(fieldProblems(e.fields));
          else setProblems(null);
        });
    }, 400);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [JSON.stringify(input)]);

  const submit = useSubmit(async () => {
    if (!input || !loaded.data) return;
    setSaved(false);
    setSent(JSON.stringify(input));
    if (card) {
      const c = await api.myCardUpdate(card, input);
      setForm(toForm(c));
      setSaved(true);
    } else {
      await api.myCardCreate(loaded.data.deck, input);
      navigate(`/my/decks/${loaded.data.deck}`);
    }
  });

  const title = card ? t("ed.editTitle") : t("ed.newTitle");
  if (loaded.error || !current || !loaded.data) return <Pending title={title} error={loaded.error} />;

  const up = (patch: Partial<Form>) => {
    setSaved(false);
    setForm({ ...current, ...patch });
  };
  // Messages by field: the save's answer (while the card is as it was sent), else the live check's.
  const live = problems ?? [];
  const unchanged = sent === JSON.stringify(input);
  const messages = (name: string): string[] => {
    const saving = unchanged ? submit.fields[name] : undefined;
    if (saving) return [saving];
    return live.filter((p) => p.field === name).map((p) => (p.error ? p.message : `${t("ed.warning")}: ${p.message}`));
  };
  const paramsBad = current.kind === "exercise" && input === null;

  return (
    <section class="card-editor" aria-labelledby="editor-title">
      <p>
        <Link href={`/my/decks/${loaded.data.deck}`}>← {t("my.back")}</Link>
      </p>
      <h1 id="editor-title" tabIndex={-1}>
        {title}
      </h1>
      <div class="editor-grid">
        <form onSubmit={submit.onSubmit} noValidate class="editor-form">
          <div class="field">
            <label for="card-kind">{t("ed.kind")}</label>
            <select id="card-kind" value={current.kind} onChange={(e) => up({ kind: e.currentTarget.value as Kind })}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(kindKey(k))}
                </option>
              ))}
            </select>
          </div>
          <TextArea id="card-front" label={t("ed.front")} value={current.front} rows={4} errors={messages("front")} onInput={(v) => up({ front: v })} />
          <TextArea id="card-back" label={t("ed.back")} value={current.back} rows={5} errors={messages("back")} onInput={(v) => up({ back: v })} />
          <TextInput id="card-tags" label={t("ed.tags")} value={current.tags} errors={messages("tags")} onInput={(v) => up({ tags: v })} />
          <TextInput id="card-topics" label={t("ed.topics")} value={current.topics} errors={messages("topics")} onInput={(v) => up({ topics: v })} />
          {current.kind === "exercise" ? (
            <>
              <TextInput id="card-family" label={t("ed.family")} value={current.family} errors={messages("family")} onInput={(v) => up({ family: v })} />
              <TextArea
                id="card-params"
                label={t("ed.params")}
                value={current.params}
                rows={2}
                errors={paramsBad ? [t("ed.paramsInvalid")] : messages("params")}
                onInput={(v) => up({ params: v })}
              />
            </>
          ) : null}
          {messages("non_field_errors").length || messages("").length ? (
            <p class="error" role="alert">
              {t("ed.card")}: {[...messages("non_field_errors"), ...messages("")].join("; ")}
            </p>
          ) : null}
          <div class="actions">
            <button type="submit" class="primary" disabled={submit.busy || paramsBad}>
              {t("ed.save")}
            </button>
            <span role="status" class="muted" data-testid="check-status">
              {saved ? t("ed.saved") : problems === null ? "" : live.some((p) => p.error) ? "" : t("ed.ok")}
            </span>
          </div>
          {submit.error && !Object.keys(submit.fields).length ? (
            <p class="error" role="alert">
              {submit.error}
            </p>
          ) : null}
        </form>
        <section class="editor-preview" aria-labelledby="preview-title">
          <h2 id="preview-title">{t("ed.preview")}</h2>
          {current.front.trim() ? (
            <CardFace
              card={{ id: card ?? 0, kind: current.kind, front: current.front, back: current.back }}
              revealed
              onReveal={() => undefined}
              afterAnswer={null}
              exercisePanel={null}
            />
          ) : null}
        </section>
      </div>
    </section>
  );
}

function fieldProblems(fields: Record<string, string[]>): CardProblem[] {
  return Object.entries(fields).flatMap(([field, list]) => list.map((message) => ({ field, message, error: true })));
}

interface TextProps {
  id: string;
  label: string;
  value: string;
  errors: string[];
  onInput: (v: string) => void;
}

function Errors({ id, errors }: { id: string; errors: string[] }) {
  return errors.length ? (
    <ul class="error field-errors" id={`${id}-error`} role="alert">
      {errors.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  ) : null;
}

function TextArea({ id, label, value, errors, onInput, rows }: TextProps & { rows: number }) {
  return (
    <div class={`field${errors.length ? " has-error" : ""}`}>
      <label for={id}>{label}</label>
      <textarea
        id={id}
        name={id}
        rows={rows}
        value={value}
        spellcheck={false}
        aria-invalid={errors.length ? true : undefined}
        aria-describedby={errors.length ? `${id}-error` : undefined}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      <Errors id={id} errors={errors} />
    </div>
  );
}

function TextInput({ id, label, value, errors, onInput }: TextProps) {
  return (
    <div class={`field${errors.length ? " has-error" : ""}`}>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={id}
        type="text"
        value={value}
        aria-invalid={errors.length ? true : undefined}
        aria-describedby={errors.length ? `${id}-error` : undefined}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      <Errors id={id} errors={errors} />
    </div>
  );
}
