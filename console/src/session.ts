// The console's session: a cookie the page never sees, plus the CSRF token it sends on every call.
import { ApiError, call } from './http.js';
import type { Session } from './types.js';

/** The current session, or null when not signed in. */
export async function currentSession(): Promise<Session | null> {
  try {
    return await call<Session>('GET', '/console/session', undefined, { ends401: false });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Signs in; rejects with the server's ApiError (401 wrong credentials, 403 not entitled, 429 throttled). */
export function signIn(user: string, password: string): Promise<Session> {
  return call<Session>('POST', '/console/session', { user, password }, { ends401: false });
}

export async function signOut(): Promise<void> {
  await call<undefined>('DELETE', '/console/session', undefined, { ends401: false });
}
