// The sign-in form. The server sets an HttpOnly cookie and answers the CSRF token; a refusal's
// message (wrong credentials, not entitled, too many attempts) is shown as the server words it.
import { useState } from 'preact/hooks';
import { ApiError } from './http.js';
import { signIn } from './session.js';
import type { Session } from './types.js';

interface Props {
  /** Why the form is shown again ("Your session ended…"), if it is. */
  readonly notice: string;
  readonly onSignedIn: (session: Session) => void;
}

export function SignInPage({ notice, onSignedIn }: Props) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const session = await signIn(user, password);
      setPassword('');
      onSignedIn(session);
    } catch (failure) {
      setPassword('');
      if (failure instanceof ApiError) setError(failure.message);
      else setError('The broker did not answer. Try again.');
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in" tabIndex={-1}>
      <h1>Sign in to Warden</h1>
      {notice !== '' && <p class="notice">{notice}</p>}
      {error !== '' && (
        <p role="alert" class="form-error">
          {error}
        </p>
      )}
      <form onSubmit={(event) => void submit(event)}>
        <div class="field">
          <label for="sign-in-user">User</label>
          <input
            id="sign-in-user"
            name="username"
            autoComplete="username"
            required
            value={user}
            onInput={(event) => setUser(event.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="sign-in-password">Password</label>
          <input
            id="sign-in-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
          />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
