import { useState } from "preact/hooks";

import { useI18n } from "../i18n";
import { errorMessage, fieldErrors } from "./errors";

export interface Submit {
  busy: boolean;
  /** What the last submit failed with (null: it did not fail). */
  failure: unknown;
  /** The failure as a message in the interface language ("" when none). */
  error: string;
  /** The error envelope's per-field messages, by field name. */
  fields: Record<string, string>;
  /** The form's onSubmit. */
  onSubmit: (e: Event) => void;
}

/**
 * A form's submit: no page load, one `send` at a time (busy meanwhile), and what it failed with kept as the
 * error itself (not its text), so the message and the field errors follow a language switch.
 */
export function useSubmit(send: () => Promise<void>): Submit {
  const i18n = useI18n();
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit() {
    setBusy(true);
    setFailure(null);
    try {
      await send();
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  }

  return {
    busy,
    failure,
    error: failure ? errorMessage(failure, i18n) : "",
    fields: fieldErrors(failure, i18n),
    onSubmit: (e) => {
      e.preventDefault();
      if (!busy) void submit();
    },
  };
}
