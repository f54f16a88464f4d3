import { useEffect, useMemo, useRef, useState } from "preact/hooks";

import { api, type SettingsPatch, type StudySettings } from "../api/client";
import { Devices } from "../components/Devices";
import { Field } from "../components/Field";
import { FsrsPanel, RetentionAdviceChart } from "../components/FsrsPanel";
import { Link } from "../components/Link";
import { Pending } from "../components/Pending";
import { type Key, type Lang, useI18n } from "../i18n";
import { useAsync } from "../lib/useAsync";
import { useAction, useSubmit } from "../lib/useSubmit";

/** "1 10" → [1, 10]; null when not 0–10 whole minutes in 1..10080. */
export function parseSteps(text: string): number[] | null {
  const parts = text.split(/[\s,，、]+/).filter(Boolean);
  if (parts.length > 10) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return null;
    const n = Number(p);
    if (n < 1 || n > 10080) return null;
    out.push(n);
  }
  return out;
}

function timezones(current: string): string[] {
  let list: string[];
  try {
    list = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  } catch {
    list = [];
  }
  if (!list.includes("UTC")) list = ["UTC", ...list];
  return list.includes(current) ? list : [current, ...list];
}

interface Form {
  desired_retention: string;
  new_per_day: string;
  max_reviews_per_day: string;
  learning_steps: string;
  relearning_steps: string;
  timezone: string;
  day_start_hour: string;
  reminder_time: string;
  email_reminders: boolean;
  language: Lang;
  leech_threshold: string;
  learn_ahead_minutes: string;
  new_card_order: NewCardOrder;
  /** deck id -> that deck's own cap of new cards a day ("" or absent: none) */
  deck_new_limits: Record<string, string>;
  /** deck id -> that deck's own cap of reviews a day ("" or absent: none) */
  deck_review_limits: Record<string, string>;
}

type NewCardOrder = StudySettings["new_card_order"];
const NEW_CARD_ORDERS: NewCardOrder[] = ["interleaved", "mixed", "deck"];

/** A deck's caps as the form edits them (text), and back ("" drops the deck's own cap). */
function capsToForm(caps: Record<string, number> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(caps ?? {}).map(([k, v]) => [k, String(v)]));
}

function capsFromForm(caps: Record<string, string>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(caps)
      .filter(([, v]) => v.trim() !== "")
      .map(([k, v]) => [k, Number(v)]),
  );
}

function toForm(s: StudySettings): Form {
  return {
    desired_retention: s.desired_retention.toFixed(2),
    new_per_day: String(s.new_per_day),
    max_reviews_per_day: String(s.max_reviews_per_day),
    learning_steps: s.learning_steps.join(" "),
    relearning_steps: s.relearning_steps.join(" "),
    timezone: s.timezone,
    day_start_hour: String(s.day_start_hour),
    reminder_time: s.reminder_time.slice(0, 5),
    email_reminders: s.email_reminders,
    language: s.language,
    leech_threshold: String(s.leech_threshold),
    learn_ahead_minutes: String(s.learn_ahead_minutes),
    new_card_order: s.new_card_order,
    deck_new_limits: capsToForm(s.deck_new_limits),
    deck_review_limits: capsToForm(s.deck_review_limits),
  };
}

export function Settings({ onLanguage }: { onLanguage: (l: Lang) => void }) {
  const { t, lang } = useI18n();
  // The form's values live in the loaded data: an edit replaces it, a save replaces it with the answer.
  const loaded = useAsync(() => api.settings().then(toForm), []);
  const decks = useAsync(() => api.decks(), []);
  const form = loaded.data;
  const setForm = loaded.set;
  const [localErrors, setLocalErrors] = useState<Record<string, Key>>({});
  const [saved, setSaved] = useState(false);
  const [advice, setAdvice] = useState(false);
  const [offerReschedule, setOfferReschedule] = useState(false);
  const reschedule = useAction(async () => {
    await api.fsrsReschedule();
    setOfferReschedule(false);
    setRescheduled(true);
  });
  const [rescheduled, setRescheduled] = useState(false);
  const savedRetention = useRef<string | null>(null); // the desired retention the server holds
  if (form && savedRetention.current === null) savedRetention.current = form.desired_retention;
  const submit = useSubmit(save);

  useEffect(() => {
    if (form && form.language !== lang) setForm({ ...form, language: lang });
  }, [lang]);

  const zones = useMemo(() => timezones(form?.timezone ?? "UTC"), [form?.timezone]);

  async function save() {
    if (!form) return;
    setSaved(false);
    const local: Record<string, Key> = {};
    const learning = parseSteps(form.learning_steps);
    const relearning = parseSteps(form.relearning_steps);
    if (!learning) local.learning_steps = "set.stepsInvalid";
    if (!relearning) local.relearning_steps = "set.stepsInvalid";
    setLocalErrors(local);
    if (Object.keys(local).length) return;
    const body: SettingsPatch = {
      desired_retention: Number(form.desired_retention),
      new_per_day: Number(form.new_per_day),
      max_reviews_per_day: Number(form.max_reviews_per_day),
      learning_steps: learning!,
      relearning_steps: relearning!,
      timezone: form.timezone,
      day_start_hour: Number(form.day_start_hour),
      reminder_time: form.reminder_time.length === 5 ? `${form.reminder_time}:00` : form.reminder_time,
      email_reminders: form.email_reminders,
      language: form.language,
      leech_threshold: Number(form.leech_threshold),
      learn_ahead_minutes: Number(form.learn_ahead_minutes),
      new_card_order: form.new_card_order,
      deck_new_limits: capsFromForm(form.deck_new_limits),
      deck_review_limits: capsFromForm(form.deck_review_limits),
    };
    const answer = await api.settingsUpdate(body);
    // Anki's "reschedule cards on change": a new desired retention offers to reschedule every card
    const retentionNow = toForm(answer).desired_retention;
    setOfferReschedule(retentionNow !== savedRetention.current || offerReschedule);
    savedRetention.current = retentionNow;
    setRescheduled(false);
    setForm(toForm(answer));
    if (answer.language !== lang) onLanguage(answer.language);
    setSaved(true);
  }

  if (loaded.error || !form) return <Pending title={t("set.title")} error={loaded.error} />;

  const up = (patch: Partial<Form>) => setForm({ ...form, ...patch });
  const errors: Record<string, string> = {
    ...submit.fields,
    ...Object.fromEntries(Object.entries(localErrors).map(([k, v]) => [k, t(v)])),
  };
  const status = saved ? t("set.saved") : submit.error;
  const retention = Number(form.desired_retention);
  return (
    <section class="settings" aria-labelledby="settings-title">
      <h1 id="settings-title" tabIndex={-1}>
        {t("set.title")}
      </h1>
      <form onSubmit={submit.onSubmit} noValidate class="settings-form">
        <fieldset class="panel">
          <legend>{t("set.scheduling")}</legend>
          <div class={`field${errors.desired_retention ? " has-error" : ""}`}>
            <label for="desired_retention">{t("set.retention")}</label>
            <div class="inline">
              <input
                id="desired_retention-range"
                type="range"
                min={0.7}
                max={0.99}
                step={0.01}
                value={form.desired_retention}
                aria-hidden="true"
                tabIndex={-1}
                onInput={(e) => up({ desired_retention: Number(e.currentTarget.value).toFixed(2) })}
              />
              <input
                id="desired_retention"
                type="number"
                min={0.7}
                max={0.99}
                step={0.01}
                inputMode="decimal"
                value={form.desired_retention}
                aria-describedby="retention-help"
                aria-invalid={errors.desired_retention ? true : undefined}
                onInput={(e) => up({ desired_retention: e.currentTarget.value })}
                class="narrow"
              />
              <output for="desired_retention">{Number.isFinite(retention) ? `${Math.round(retention * 100)}%` : ""}</output>
            </div>
            <p class="hint" id="retention-help">
              {t("set.retentionHelp")}
            </p>
            <button type="button" class="link" aria-expanded={advice} aria-controls="retention-advice-box"
              onClick={() => setAdvice(!advice)}>
              {advice ? t("fsrs.hideHelp") : t("fsrs.help")}
            </button>
            {advice ? (
              <div id="retention-advice-box">
                <RetentionAdviceChart retention={Number.isFinite(retention) ? retention : 0.9} />
              </div>
            ) : null}
            {errors.desired_retention ? <p class="error" role="alert">{errors.desired_retention}</p> : null}
          </div>
          <Field id="learning_steps" label={t("set.learningSteps")} value={form.learning_steps} inputMode="text"
            onInput={(e) => up({ learning_steps: e.currentTarget.value })} error={errors.learning_steps} />
          <Field id="relearning_steps" label={t("set.relearningSteps")} value={form.relearning_steps}
            onInput={(e) => up({ relearning_steps: e.currentTarget.value })} error={errors.relearning_steps} />
        </fieldset>
        <fieldset class="panel">
          <legend>{t("set.limits")}</legend>
          <Field id="new_per_day" type="number" min={0} max={9999} inputMode="numeric" label={t("set.newPerDay")}
            value={form.new_per_day} onInput={(e) => up({ new_per_day: e.currentTarget.value })} error={errors.new_per_day} />
          <Field id="max_reviews_per_day" type="number" min={0} max={99999} inputMode="numeric" label={t("set.maxReviews")}
            value={form.max_reviews_per_day} onInput={(e) => up({ max_reviews_per_day: e.currentTarget.value })}
            error={errors.max_reviews_per_day} />
          <Field id="leech_threshold" type="number" min={1} max={99} inputMode="numeric" label={t("fsrs.leechThreshold")}
            value={form.leech_threshold} onInput={(e) => up({ leech_threshold: e.currentTarget.value })}
            error={errors.leech_threshold} />
          <div class="field">
            <label for="new_card_order">{t("set.newOrder")}</label>
            <select id="new_card_order" value={form.new_card_order}
              onChange={(e) => up({ new_card_order: e.currentTarget.value as NewCardOrder })}>
              {NEW_CARD_ORDERS.map((o) => (
                <option key={o} value={o}>
                  {t(`set.newOrder.${o}`)}
                </option>
              ))}
            </select>
          </div>
          {(decks.data ?? []).length ? (
            <div class="field deck-limits">
              <p class="muted">{t("set.deckLimits")}</p>
              {(decks.data ?? []).map((d) => (
                <Field key={d.id} id={`deck-limit-${d.id}`} type="number" min={0} max={9999} inputMode="numeric" label={d.name}
                  value={form.deck_new_limits[String(d.id)] ?? ""}
                  onInput={(e) => up({ deck_new_limits: { ...form.deck_new_limits, [String(d.id)]: e.currentTarget.value } })} />
              ))}
            </div>
          ) : null}
          {(decks.data ?? []).length ? (
            <div class="field deck-limits">
              <p class="muted">{t("set.deckReviewLimits")}</p>
              {(decks.data ?? []).map((d) => (
                <Field key={d.id} id={`deck-review-limit-${d.id}`} type="number" min={0} max={99999} inputMode="numeric" label={d.name}
                  value={form.deck_review_limits[String(d.id)] ?? ""}
                  onInput={(e) => up({ deck_review_limits: { ...form.deck_review_limits, [String(d.id)]: e.currentTarget.value } })} />
              ))}
            </div>
          ) : null}
          <Field id="learn_ahead_minutes" type="number" min={0} max={1440} inputMode="numeric" label={t("set.learnAhead")}
            value={form.learn_ahead_minutes} onInput={(e) => up({ learn_ahead_minutes: e.currentTarget.value })}
            error={errors.learn_ahead_minutes} hint={t("set.learnAheadHelp")} />
        </fieldset>
        <fieldset class="panel">
          <legend>{t("set.timeSection")}</legend>
          <div class={`field${errors.timezone ? " has-error" : ""}`}>
            <label for="timezone">{t("set.timezone")}</label>
            <select id="timezone" value={form.timezone} onChange={(e) => up({ timezone: e.currentTarget.value })}
              aria-invalid={errors.timezone ? true : undefined}>
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
            {errors.timezone ? <p class="error" role="alert">{errors.timezone}</p> : null}
          </div>
          <Field id="day_start_hour" type="number" min={0} max={23} inputMode="numeric" label={t("set.dayStart")}
            value={form.day_start_hour} onInput={(e) => up({ day_start_hour: e.currentTarget.value })} error={errors.day_start_hour} />
          <Field id="reminder_time" type="time" label={t("set.reminderTime")} value={form.reminder_time}
            onInput={(e) => up({ reminder_time: e.currentTarget.value })} error={errors.reminder_time} />
          <div class="field checkbox">
            <input id="email_reminders" type="checkbox" checked={form.email_reminders}
              onChange={(e) => up({ email_reminders: e.currentTarget.checked })} />
            <label for="email_reminders">{t("set.emailReminders")}</label>
          </div>
          <div class="field">
            <label for="language">{t("set.language")}</label>
            <select id="language" value={form.language} onChange={(e) => up({ language: e.currentTarget.value as Lang })}>
              <option value="zh" lang="zh-CN">中文</option>
              <option value="en" lang="en">English</option>
            </select>
          </div>
        </fieldset>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={submit.busy}>
            {submit.busy ? t("common.saving") : t("common.save")}
          </button>
          <span role="status" class="status" aria-live="polite">{status}</span>
        </div>
        {offerReschedule ? (
          <div class="panel reschedule-offer" role="status">
            <p>{t("fsrs.retentionChanged")}</p>
            <button type="button" disabled={reschedule.busy} onClick={() => reschedule.run()}>
              {t("fsrs.reschedule")}
            </button>
            {reschedule.error ? <p class="error" role="alert">{reschedule.error}</p> : null}
          </div>
        ) : null}
        {rescheduled ? <p role="status">{t("fsrs.rescheduled")}</p> : null}
      </form>
      <FsrsPanel />
      <section class="panel">
        <h2>{t("set.account")}</h2>
        <p>
          <Link href="/password">{t("nav.password")}</Link>
        </p>
      </section>
      <Devices />
    </section>
  );
}
