// Signed in or not: asks the server once at start, then follows sign-in, sign-out and any 401.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError, setCsrfToken, setSessionEndedHandler } from './http.js';
import { SignInPage } from './page-sign-in.js';
import { currentSession, signOut } from './session.js';
import { Shell } from './shell.js';
import type { Session } from './types.js';

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'signed-out'; readonly notice: string }
  | { readonly kind: 'signed-in'; readonly session: Session };

const ENDED = 'Your session ended. Sign in again.';

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });

  const signedIn = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    setState({ kind: 'signed-in', session });
  }, []);

  const signedOut = useCallback((notice: string) => {
    setCsrfToken('');
    setState({ kind: 'signed-out', notice });
  }, []);

  const check = useCallback(() => {
    setState({ kind: 'loading' });
    currentSession().then(
      (session) => (session === null ? signedOut('') : signedIn(session)),
      (error: unknown) => setState({ kind: 'failed', message: describeError(error, 'reach the broker') }),
    );
  }, [signedIn, signedOut]);

  useEffect(() => {
    setSessionEndedHandler(() => signedOut(ENDED));
    check();
  }, [check, signedOut]);

  const leave = useCallback(() => {
    // Signed out here whatever the server says: at worst its session times out by itself.
    signOut().then(
      () => signedOut('You signed out.'),
      () => signedOut('You signed out.'),
    );
  }, [signedOut]);

  switch (state.kind) {
    case 'loading':
      return (
        <main id="main" class="sign-in" aria-busy="true">
          <p>Loading the Warden console…</p>
        </main>
      );
    case 'failed':
      return (
        <main id="main" class="sign-in">
          <h1>Warden console</h1>
          <p role="alert">{state.message}</p>
          <button type="button" onClick={check}>
            Try again
          </button>
        </main>
      );
    case 'signed-out':
      return <SignInPage notice={state.notice} onSignedIn={signedIn} />;
    case 'signed-in':
      return <Shell user={state.session.user} onSignOut={leave} onSessionEnded={() => signedOut(ENDED)} />;
  }
}
