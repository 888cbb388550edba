// The one place the console talks HTTP to its server: the CSRF header, JSON bodies, the error
// shape, and the rule that a 401 from any call means the session ended.

/** An answer other than 2xx, with the server's `{ error: { code, message } }`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A call answered 401: the app is already back at the sign-in form, so nobody should report it. */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';
}

let csrfToken = '';
let onSessionEnded: () => void = () => {};

/** Set by the app at sign-in (and cleared at sign-out): every call sends it. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** What to do when a call answers 401. */
export function setSessionEndedHandler(handler: () => void): void {
  onSessionEnded = handler;
}

export type Method = 'GET' | 'POST' | 'DELETE';

export interface CallOptions {
  /** False for the session calls themselves, where a 401 is an answer (wrong password, not signed in). */
  readonly ends401?: boolean;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not JSON (a proxy's page, an empty body): the status line is all there is.
  }
  return new ApiError(response.status, code, message);
}

/** Calls the server; resolves to the JSON answer (undefined for 204), rejects with ApiError. */
export async function call<T>(method: Method, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  // Sent always, not only on writes: the server may ask for it on any admin call.
  if (csrfToken !== '') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 401 && options.ends401 !== false) {
    onSessionEnded();
    throw new SessionEndedError('The session ended');
  }
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** `?a=1&b=2` from the parameters that have a value (empty ones are left out), or ''. */
export function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** A sentence for an alert: what failed and the server's reason. `action` reads "to kick connection c1". */
export function describeError(error: unknown, action: string): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `Not entitled to ${action}: ${error.message}`;
    return `Could not ${action}: ${error.message}`;
  }
  // fetch rejects with a TypeError when the server cannot be reached at all.
  if (error instanceof TypeError) return `Could not ${action}: the broker did not answer.`;
  return `Could not ${action}: ${error instanceof Error ? error.message : String(error)}`;
}
