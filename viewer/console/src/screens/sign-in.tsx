import { useState } from "preact/hooks";
import { api } from "../api.js";
import { useT } from "../i18n.js";
import type { User } from "../types.js";
import { ErrorNotice, Field } from "../ui.js";

/** Sign in with the account the school or Diskominfo gave you; the gateway sets the session cookie. */
export function SignInScreen(props: { onSignedIn: (u: User) => void }) {
  const t = useT();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  return (
    <section class="page sign-in" aria-labelledby="page-title">
      <h2 id="page-title">{t("Masuk", "Sign in")}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          api
            .post<{ user: User }>("/api/auth/login", { username, password })
            .then((r) => {
              props.onSignedIn(r.user);
            })
            .catch((err: unknown) => {
              setError(err);
              setBusy(false);
            });
        }}
      >
        <Field label={t("Nama pengguna", "Username")}>
          <input
            name="username"
            autocomplete="username"
            required
            value={username}
            onInput={(e) => {
              setUsername(e.currentTarget.value);
            }}
          />
        </Field>
        <Field label={t("Kata sandi", "Password")}>
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => {
              setPassword(e.currentTarget.value);
            }}
          />
        </Field>
        <ErrorNotice error={error} />
        <button type="submit" class="btn primary" disabled={busy}>
          {t("Masuk", "Sign in")}
        </button>
      </form>
    </section>
  );
}
