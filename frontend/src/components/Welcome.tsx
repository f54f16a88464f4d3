import { useState } from "preact/hooks";

import { useI18n } from "../i18n";

export const WELCOME_STORAGE_KEY = "dlquiz.welcomed";

function dismissed(): boolean {
  try {
    return localStorage.getItem(WELCOME_STORAGE_KEY) === "1";
  } catch {
    return false;
  }
}

/** A new learner's first visit: what the four ratings mean, that exercises exist, where the settings are. */
export function Welcome({ newLearner }: { newLearner: boolean }) {
  const { t } = useI18n();
  const [hidden, setHidden] = useState(dismissed);
  if (!newLearner || hidden) return null;
  const close = () => {
    try {
      localStorage.setItem(WELCOME_STORAGE_KEY, "1");
    } catch {
      /* private mode: hidden on this page only */
    }
    setHidden(true);
  };
  return (
    <section class="panel welcome" aria-labelledby="welcome-title" data-testid="welcome">
      <h2 id="welcome-title">{t("welcome.title")}</h2>
      <ul>
        <li>{t("welcome.ratings")}</li>
        <li>{t("welcome.exercises")}</li>
        <li>{t("welcome.settings")}</li>
      </ul>
      <button type="button" onClick={close}>
        {t("welcome.close")}
      </button>
    </section>
  );
}
