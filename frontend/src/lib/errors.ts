/** API errors as messages in the interface language (never the other language's half). */
import { ApiError } from "../api/client";
import type { I18n, Key } from "../i18n";

const KNOWN_FIELD_MESSAGES: Record<string, Key> = {
  "already taken": "err.usernameTaken",
  "wrong password": "err.wrongPassword",
  "unknown time zone": "err.timezone",
  "a list of up to 10 whole minutes, each 1..10080": "set.stepsInvalid",
};

const HAS_CJK = /[\u3400-\u9fff]/;

/** "中文 / english" messages from the API: the half in the interface language. */
export function pickLanguage(message: string, lang: "zh" | "en"): string | null {
  const i = message.indexOf(" / ");
  if (i >= 0) return lang === "zh" ? message.slice(0, i) : message.slice(i + 3);
  const cjk = HAS_CJK.test(message);
  return (lang === "zh") === cjk ? message : null;
}

export function errorMessage(e: unknown, { t, lang }: Pick<I18n, "t" | "lang">): string {
  if (!(e instanceof ApiError)) return t("common.error");
  if (e.status === 0) return t("err.network");
  if (e.code === "bad_credentials") return t("err.badCredentials");
  if (e.status === 429) return t("err.throttled");
  if (e.status === 401 || e.status === 403) return t("err.forbidden");
  if (e.status >= 500) return t("err.server");
  if (e.code === "invalid" && Object.keys(e.fields).length) return t("err.invalid");
  const picked = pickLanguage(e.message, lang);
  if (picked) return picked;
  if (e.status === 404) return t("err.notFound");
  if (e.status === 409) return t("err.conflict");
  return t("common.error");
}

/** Per-field messages (first message of each field) in the interface language. */
export function fieldErrors(e: unknown, { t, lang }: Pick<I18n, "t" | "lang">): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(e instanceof ApiError)) return out;
  for (const [name, msgs] of Object.entries(e.fields)) {
    const first = msgs[0];
    if (first === undefined) continue;
    const known = KNOWN_FIELD_MESSAGES[first];
    if (known) {
      out[name] = t(known);
    } else {
      out[name] = pickLanguage(first, lang) ?? t("err.invalid");
    }
  }
  return out;
}

/** A status line kept as a key or an error (not as text), so it follows a language switch. */
export type Note = { key: Key } | { error: unknown } | null;

export function noteText(note: Note, i18n: Pick<I18n, "t" | "lang">): string {
  if (!note) return "";
  return "key" in note ? i18n.t(note.key) : errorMessage(note.error, i18n);
}
