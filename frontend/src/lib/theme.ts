/** Light or dark: the system's choice (prefers-color-scheme, followed live) unless the learner picked one
 * (kept in localStorage). Applied as <html data-theme>, which theme.css reads. */
export type ThemeChoice = "system" | "light" | "dark";

export const THEME_STORAGE_KEY = "dlquiz.theme";
const CHOICES: readonly ThemeChoice[] = ["system", "dark", "light"];

export function storedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_STORAGE_KEY);
    return v === "light" || v === "dark" ? v : "system";
  } catch {
    return "system";
  }
}

function systemDark(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

export function effectiveTheme(choice: ThemeChoice): "light" | "dark" {
  return choice === "system" ? (systemDark() ? "dark" : "light") : choice;
}

export function applyTheme(choice: ThemeChoice): void {
  document.documentElement.dataset.theme = effectiveTheme(choice);
}

export function setTheme(choice: ThemeChoice): void {
  try {
    if (choice === "system") localStorage.removeItem(THEME_STORAGE_KEY);
    else localStorage.setItem(THEME_STORAGE_KEY, choice);
  } catch {
    /* private mode: this page only */
  }
  applyTheme(choice);
}

/** The next choice of the header's switch: system, then dark, then light. */
export function nextTheme(choice: ThemeChoice): ThemeChoice {
  return CHOICES[(CHOICES.indexOf(choice) + 1) % CHOICES.length]!;
}

/** At start-up: apply the stored choice and follow the system while the choice is "system". */
export function initTheme(): void {
  applyTheme(storedTheme());
  if (typeof matchMedia === "function") {
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => applyTheme(storedTheme()));
  }
}
