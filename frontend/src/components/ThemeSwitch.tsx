import { useState } from "preact/hooks";

import { useI18n } from "../i18n";
import { nextTheme, setTheme, storedTheme, type ThemeChoice } from "../lib/theme";

const LABEL = { system: "theme.system", dark: "theme.dark", light: "theme.light" } as const;

/** The header's theme switch: follows the system, or dark, or light (each click the next). */
export function ThemeSwitch() {
  const { t } = useI18n();
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  return (
    <button
      type="button"
      class="theme-switch"
      data-theme-choice={choice}
      aria-label={t("theme.switch", { current: t(LABEL[choice]) })}
      title={t("theme.switch", { current: t(LABEL[choice]) })}
      onClick={() => {
        const next = nextTheme(choice);
        setTheme(next);
        setChoice(next);
      }}
    >
      {t(LABEL[choice])}
    </button>
  );
}
