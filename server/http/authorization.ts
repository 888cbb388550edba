// Reading an HTTP request's Authorization header: Basic (user:password) or Bearer (token), the
// two schemes that map onto a one-step logon. Shared by the admin listener and HTTP publish.
// Messages never echo the header, which holds secrets.
import type { LogonMechanism } from '../security/module-types.js';

export interface HttpCredentials {
  readonly user: string;
  readonly password: string | undefined;
  readonly token: string | undefined;
  readonly mechanism: LogonMechanism;
}

/** A malformed header; the message says what form was expected, never what was sent. */
export class AuthorizationError extends Error {
  override readonly name = 'AuthorizationError';
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// RFC 6750 b64token: what a Bearer token (a JWT, an opaque key) is made of.
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The credentials in a present, non-empty `header`; throws AuthorizationError when it is malformed. */
export function parseAuthorizationHeader(header: string): HttpCredentials {
  const match = /^(\S+)[ ]+(\S+)$/.exec(header.trim());
  if (match === null)
    throw new AuthorizationError('malformed Authorization header: expected "Basic <base64>" or "Bearer <token>"');
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === 'basic') return parseBasic(value);
  if (scheme === 'bearer') return parseBearer(value);
  throw new AuthorizationError('unsupported Authorization scheme: use Basic or Bearer');
}

function parseBasic(encoded: string): HttpCredentials {
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0)
    throw new AuthorizationError('malformed Basic credentials: not base64');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new AuthorizationError('malformed Basic credentials: expected "user:password"');
  const user = decoded.slice(0, colon);
  // An empty name means an implicit logon to authentication modules; a request that sends credentials names someone.
  if (user === '') throw new AuthorizationError('malformed Basic credentials: the user name is empty');
  return { user, password: decoded.slice(colon + 1), token: undefined, mechanism: 'password' };
}

function parseBearer(token: string): HttpCredentials {
  if (!BEARER_TOKEN.test(token)) throw new AuthorizationError('malformed Bearer token');
  return { user: '', password: undefined, token, mechanism: 'token' };
}
