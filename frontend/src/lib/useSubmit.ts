import { useState } from "preact/hooks";

import { useI18n } from "../i18n";
import { errorMessage, fieldErrors } from "./errors";

export interface Action<A extends unknown[]> {
  busy: boolean;
  /** What the last run failed with (null: it did not fail). */
  failure: unknown;
  /** The failure as a message in the interface language ("" when none). */
  error: string;
  /** Runs the action, unless it is still running. */
  run: (...args: A) => void;
}

export interface Submit extends Action<[]> {
  /** The error envelope's per-field messages, by field name. */
  fields: Record<string, string>;
  /** The form's onSubmit. */
  onSubmit: (e: Event) => void;
}

/**
 * A request the learner starts (a button): one at a time, busy meanwhile, and what it failed with kept as
 * the error itself (not its text), so the message follows a language switch.
 */
export function useAction<A extends unknown[]>(send: (...args: A) => Promise<void>): Action<A> {
  const i18n = useI18n();
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function go(args: A) {
    setBusy(true);
    setFailure(null);
    try {
      await send(...args);
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
    run: (...args) => {
      if (!busy) void go(args);
    },
  };
}

/** A form's submit: an action that keeps the page, with the error envelope's field messages. */
export function useSubmit(send: () => Promise<void>): Submit {
  const i18n = useI18n();
  const action = useAction(send);
  return {
    ...action,
    fields: fieldErrors(action.failure, i18n),
    onSubmit: (e) => {
      e.preventDefault();
      action.run();
    },
  };
}
