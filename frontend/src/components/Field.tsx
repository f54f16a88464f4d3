import type { ComponentChildren } from "preact";

interface Props {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | undefined;
  type?: "text" | "password" | "email" | "number" | "time" | "search";
  value: string;
  onInput: (e: Event & { currentTarget: HTMLInputElement }) => void;
  autoComplete?: string;
  required?: boolean;
  min?: number;
  max?: number;
  inputMode?: "text" | "numeric" | "decimal" | "email";
}

/** A labelled input with its hint and error wired to aria-describedby. */
export function Field({ id, label, hint, error, type = "text", ...input }: Props) {
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field${error ? " has-error" : ""}`}>
      <label for={id}>{label}</label>
      {/* Preact types <input> as a union keyed on a literal `type`; any of ours is a plain text-like input. */}
      <input id={id} name={id} type={type as "text"} aria-describedby={described} aria-invalid={error ? true : undefined} {...input} />
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
