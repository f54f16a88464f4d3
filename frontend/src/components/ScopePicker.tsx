import { useState } from "preact/hooks";

import { api } from "../api/client";
import { useI18n } from "../i18n";
import { type StudyScope, scopeQuery } from "../lib/scope";
import { useAsync } from "../lib/useAsync";
import { navigate } from "../router";

/** Choose what to study or practise: everything, one deck, one tag, one topic, exercises only. */
export function ScopePicker({ path, scope }: { path: "/study" | "/practice"; scope: StudyScope }) {
  const { t } = useI18n();
  const decks = useAsync(() => api.decks(), []);
  const facets = useAsync(() => api.facets(), []);
  const [pick, setPick] = useState<StudyScope>(scope);
  const go = (e: Event) => {
    e.preventDefault();
    navigate(`${path}${scopeQuery(pick)}`);
  };
  return (
    <form class="panel scope-picker" onSubmit={go} aria-label={t("scope.title")}>
      <div class="field">
        <label for={`${path}-deck`}>{t("scope.deck")}</label>
        <select id={`${path}-deck`} value={String(pick.deck ?? "")}
          onChange={(e) => setPick({ ...pick, deck: Number(e.currentTarget.value) || undefined })}>
          <option value="">{t("scope.all")}</option>
          {(decks.data ?? []).map((d) => (
            <option key={d.id} value={String(d.id)}>
              {d.name}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={`${path}-tag`}>{t("scope.tag")}</label>
        <input id={`${path}-tag`} list={`${path}-tags`} value={pick.tag ?? ""} autoComplete="off"
          onInput={(e) => setPick({ ...pick, tag: e.currentTarget.value.trim() || undefined })} />
        <datalist id={`${path}-tags`}>
          {(facets.data?.tags ?? []).map((tag) => (
            <option key={tag} value={tag} />
          ))}
        </datalist>
      </div>
      <div class="field">
        <label for={`${path}-topic`}>{t("scope.topic")}</label>
        <select id={`${path}-topic`} value={pick.topic ?? ""}
          onChange={(e) => setPick({ ...pick, topic: e.currentTarget.value || undefined })}>
          <option value="">{t("scope.all")}</option>
          {(facets.data?.topics ?? []).map((tp) => (
            <option key={tp.id} value={tp.id}>
              {tp.title ? `${tp.title} (${tp.id})` : tp.id}
            </option>
          ))}
        </select>
      </div>
      <div class="field checkbox">
        <input id={`${path}-exercises`} type="checkbox" checked={pick.kind === "exercise"}
          onChange={(e) => setPick({ ...pick, kind: e.currentTarget.checked ? "exercise" : undefined })} />
        <label for={`${path}-exercises`}>{t("scope.exercisesOnly")}</label>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary">
          {t(path === "/study" ? "scope.study" : "scope.practise")}
        </button>
      </div>
    </form>
  );
}
