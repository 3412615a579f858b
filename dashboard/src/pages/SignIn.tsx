import { type FormEvent, useState } from 'react';
import { ErrorNote } from '../components/common';
import { field } from '../form-field';
import { signInOperator, signInWithApiKey } from '../session';

/** `notice` says why a session ended (expired, or the key behind it revoked); it goes away at the next attempt. */
export function SignInPage({ notice }: { notice?: string }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [attempted, setAttempted] = useState(false);

  const attempt = (event: FormEvent<HTMLFormElement>, signIn: (form: FormData) => Promise<void>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setAttempted(true);
    setError(undefined);
    signIn(form)
      .catch(setError)
      .finally(() => setBusy(false));
  };

  return (
    <main className="signin">
      <h1>NextMavens WhatsApp Gateway</h1>
      {notice && !attempted && (
        <p role="alert" className="notice">
          {notice}
        </p>
      )}
      <ErrorNote error={error} />
      <div className="signin-forms">
        <form
          aria-label="Operator sign in"
          onSubmit={(e) => attempt(e, (form) => signInOperator(field(form, 'username'), field(form, 'password')))}
        >
          <h2>Operator</h2>
          <label>
            Username
            <input name="username" autoComplete="username" required />
          </label>
          <label>
            Password
            <input name="password" type="password" autoComplete="current-password" required />
          </label>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
        <form
          aria-label="Client sign in"
          onSubmit={(e) => attempt(e, (form) => signInWithApiKey(field(form, 'apikey')))}
        >
          <h2>Client</h2>
          <label>
            API key
            <input name="apikey" type="password" autoComplete="off" required />
          </label>
          <p className="hint">The key is exchanged for a session token and not stored.</p>
          <button type="submit" disabled={busy}>
            Sign in with API key
          </button>
        </form>
      </div>
    </main>
  );
}
