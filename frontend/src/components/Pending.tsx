import type { ComponentChildren } from "preact";

import { useI18n } from "../i18n";
import { errorMessage } from "../lib/errors";

interface Props {
  /** The screen's heading. */
  title: string;
  /** What the load failed with; none: it is still loading. */
  error: unknown;
  /** Shown under an error (a retry button, a way back). */
  children?: ComponentChildren;
}

/** A screen before its data is there: its heading over "loading" or the error. */
export function Pending({ title, error, children }: Props) {
  const i18n = useI18n();
  return (
    <section>
      <h1 tabIndex={-1}>{title}</h1>
      {error ? (
        <>
          <p class="error" role="alert">
            {errorMessage(error, i18n)}
          </p>
          {children}
        </>
      ) : (
        <p class="muted">{i18n.t("common.loading")}</p>
      )}
    </section>
  );
}
