import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

import { api, type User } from "../api/client";
import { Field } from "../components/Field";
import { Link } from "../components/Link";
import { useI18n } from "../i18n";
import { type Submit, useSubmit } from "../lib/useSubmit";

function browserTimezone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

interface AuthFormProps {
  titleId: string;
  title: string;
  intro?: string;
  submit: Submit;
  button: string;
  /** The fields. */
  children: ComponentChildren;
  /** A success line, above the button. */
  status?: ComponentChildren;
  /** Below the form (the link to the other form). */
  footer?: ComponentChildren;
}

/** The frame the account forms share: heading, the form with its error line and button. */
function AuthForm({ titleId, title, intro, submit, button, children, status, footer }: AuthFormProps) {
  return (
    <section class="auth panel" aria-labelledby={titleId}>
      <h1 id={titleId} tabIndex={-1}>
        {title}
      </h1>
      {intro ? <p class="muted">{intro}</p> : null}
      <form onSubmit={submit.onSubmit} noValidate>
        {children}
        {submit.error ? <p class="error" role="alert">{submit.error}</p> : null}
        {status}
        <button type="submit" class="primary" disabled={submit.busy}>
          {button}
        </button>
      </form>
      {footer}
    </section>
  );
}

export function SignIn({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const submit = useSubmit(async () => onSignedIn(await api.login({ username, password })));
  const fields = submit.fields;

  return (
    <AuthForm
      titleId="signin-title"
      title={t("auth.signInTitle")}
      intro={t("auth.intro")}
      submit={submit}
      button={t("auth.signIn")}
      footer={
        <p>
          {t("auth.noAccount")} <Link href="/signup">{t("auth.signUp")}</Link>
        </p>
      }
    >
      <Field id="username" label={t("auth.username")} autoComplete="username" required value={username}
        onInput={(e) => setUsername(e.currentTarget.value)} error={fields.username} />
      <Field id="password" type="password" label={t("auth.password")} autoComplete="current-password" required
        value={password} onInput={(e) => setPassword(e.currentTarget.value)} error={fields.password} />
    </AuthForm>
  );
}

export function SignUp({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const { t, lang } = useI18n();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [email, setEmail] = useState("");
  const submit = useSubmit(async () => {
    const tz = browserTimezone();
    onSignedIn(await api.signup({ username, password, email, language: lang, ...(tz ? { timezone: tz } : {}) }));
  });
  const fields = submit.fields;

  return (
    <AuthForm
      titleId="signup-title"
      title={t("auth.signUpTitle")}
      intro={t("auth.intro")}
      submit={submit}
      button={t("auth.signUp")}
      footer={
        <p>
          {t("auth.haveAccount")} <Link href="/login">{t("auth.signIn")}</Link>
        </p>
      }
    >
      <Field id="username" label={t("auth.username")} hint={t("auth.usernameHint")} autoComplete="username"
        required value={username} onInput={(e) => setUsername(e.currentTarget.value)} error={fields.username} />
      <Field id="password" type="password" label={t("auth.password")} hint={t("auth.passwordHint")}
        autoComplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)}
        error={fields.password} />
      <Field id="email" type="email" label={t("auth.email")} autoComplete="email" value={email}
        onInput={(e) => setEmail(e.currentTarget.value)} error={fields.email} />
    </AuthForm>
  );
}

export function PasswordChange() {
  const { t } = useI18n();
  const [oldPassword, setOld] = useState("");
  const [newPassword, setNew] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const submit = useSubmit(async () => {
    setDone(false);
    setMismatch(newPassword !== confirm);
    if (newPassword !== confirm) return;
    await api.passwordChange({ old_password: oldPassword, new_password: newPassword });
    setDone(true);
    setOld("");
    setNew("");
    setConfirm("");
  });
  const fields = mismatch ? { ...submit.fields, confirm: t("pw.mismatch") } : submit.fields;

  return (
    <AuthForm
      titleId="pw-title"
      title={t("pw.title")}
      submit={submit}
      button={t("pw.submit")}
      status={done ? <p class="success" role="status">{t("pw.done")}</p> : null}
    >
      <Field id="old_password" type="password" label={t("pw.old")} autoComplete="current-password" required
        value={oldPassword} onInput={(e) => setOld(e.currentTarget.value)} error={fields.old_password} />
      <Field id="new_password" type="password" label={t("pw.new")} hint={t("auth.passwordHint")}
        autoComplete="new-password" required value={newPassword} onInput={(e) => setNew(e.currentTarget.value)}
        error={fields.new_password} />
      <Field id="confirm" type="password" label={t("pw.confirm")} autoComplete="new-password" required
        value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} error={fields.confirm} />
    </AuthForm>
  );
}
