import { useState } from "preact/hooks";

import { api, type User } from "../api/client";
import { Field } from "../components/Field";
import { Link } from "../components/Link";
import { useI18n } from "../i18n";
import { errorMessage, fieldErrors } from "../lib/errors";

function browserTimezone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

export function SignIn({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const error = err ? errorMessage(err, i18n) : "";
  const fields = fieldErrors(err, i18n);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      onSignedIn(await api.login({ username, password }));
    } catch (e2) {
      setErr(e2);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="auth panel" aria-labelledby="signin-title">
      <h1 id="signin-title" tabIndex={-1}>
        {t("auth.signInTitle")}
      </h1>
      <p class="muted">{t("auth.intro")}</p>
      <form onSubmit={submit} noValidate>
        <Field id="username" label={t("auth.username")} autoComplete="username" required value={username}
          onInput={(e) => setUsername(e.currentTarget.value)} error={fields.username} />
        <Field id="password" type="password" label={t("auth.password")} autoComplete="current-password" required
          value={password} onInput={(e) => setPassword(e.currentTarget.value)} error={fields.password} />
        {error ? <p class="error" role="alert">{error}</p> : null}
        <button type="submit" class="primary" disabled={busy}>
          {t("auth.signIn")}
        </button>
      </form>
      <p>
        {t("auth.noAccount")} <Link href="/signup">{t("auth.signUp")}</Link>
      </p>
    </section>
  );
}

export function SignUp({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [email, setEmail] = useState("");
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const error = err ? errorMessage(err, i18n) : "";
  const fields = fieldErrors(err, i18n);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      const tz = browserTimezone();
      onSignedIn(await api.signup({ username, password, email, language: lang, ...(tz ? { timezone: tz } : {}) }));
    } catch (e2) {
      setErr(e2);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="auth panel" aria-labelledby="signup-title">
      <h1 id="signup-title" tabIndex={-1}>
        {t("auth.signUpTitle")}
      </h1>
      <p class="muted">{t("auth.intro")}</p>
      <form onSubmit={submit} noValidate>
        <Field id="username" label={t("auth.username")} hint={t("auth.usernameHint")} autoComplete="username"
          required value={username} onInput={(e) => setUsername(e.currentTarget.value)} error={fields.username} />
        <Field id="password" type="password" label={t("auth.password")} hint={t("auth.passwordHint")}
          autoComplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)}
          error={fields.password} />
        <Field id="email" type="email" label={t("auth.email")} autoComplete="email" value={email}
          onInput={(e) => setEmail(e.currentTarget.value)} error={fields.email} />
        {error ? <p class="error" role="alert">{error}</p> : null}
        <button type="submit" class="primary" disabled={busy}>
          {t("auth.signUp")}
        </button>
      </form>
      <p>
        {t("auth.haveAccount")} <Link href="/login">{t("auth.signIn")}</Link>
      </p>
    </section>
  );
}

export function PasswordChange() {
  const i18n = useI18n();
  const { t } = i18n;
  const [oldPassword, setOld] = useState("");
  const [newPassword, setNew] = useState("");
  const [confirm, setConfirm] = useState("");
  const [err, setErr] = useState<unknown>(null);
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const error = err ? errorMessage(err, i18n) : "";
  const fields = fieldErrors(err, i18n);
  if (mismatch) fields.confirm = t("pw.mismatch");

  async function submit(e: Event) {
    e.preventDefault();
    setDone(false);
    setErr(null);
    setMismatch(newPassword !== confirm);
    if (newPassword !== confirm) return;
    setBusy(true);
    try {
      await api.passwordChange({ old_password: oldPassword, new_password: newPassword });
      setDone(true);
      setOld("");
      setNew("");
      setConfirm("");
    } catch (e2) {
      setErr(e2);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="auth panel" aria-labelledby="pw-title">
      <h1 id="pw-title" tabIndex={-1}>
        {t("pw.title")}
      </h1>
      <form onSubmit={submit} noValidate>
        <Field id="old_password" type="password" label={t("pw.old")} autoComplete="current-password" required
          value={oldPassword} onInput={(e) => setOld(e.currentTarget.value)} error={fields.old_password} />
        <Field id="new_password" type="password" label={t("pw.new")} hint={t("auth.passwordHint")}
          autoComplete="new-password" required value={newPassword} onInput={(e) => setNew(e.currentTarget.value)}
          error={fields.new_password} />
        <Field id="confirm" type="password" label={t("pw.confirm")} autoComplete="new-password" required
          value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} error={fields.confirm} />
        {error ? <p class="error" role="alert">{error}</p> : null}
        {done ? <p class="success" role="status">{t("pw.done")}</p> : null}
        <button type="submit" class="primary" disabled={busy}>
          {t("pw.submit")}
        </button>
      </form>
    </section>
  );
}
