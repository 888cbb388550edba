// Reading an admin request's Authorization header: Basic (user:password) or Bearer (token), the
// two schemes that map onto a one-step logon. Messages never echo the header, which holds secrets.
import type { LogonMechanism } from '../security/module-types.js';
import { unauthorized } from './admin-http-error.js';

export interface AdminCredentials {
  readonly user: string;
  readonly password: string | undefined;
  readonly token: string | undefined;
  readonly mechanism: LogonMechanism;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// RFC 6750 b64token: what a Bearer token (a JWT, an opaque key) is made of.
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The credentials in `header`; throws a 401 AdminHttpError when it is missing or malformed. */
export function parseAuthorization(header: string | undefined): AdminCredentials {
  if (header === undefined || header.trim() === '') {
    throw unauthorized('missing Authorization header: use Basic (user name and password) or Bearer (token)');
  }
  const match = /^(\S+)[ ]+(\S+)$/.exec(header.trim());
  if (match === null)
    throw unauthorized('malformed Authorization header: expected "Basic <base64>" or "Bearer <token>"');
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === 'basic') return parseBasic(value);
  if (scheme === 'bearer') return parseBearer(value);
  throw unauthorized('unsupported Authorization scheme: use Basic or Bearer');
}

function parseBasic(encoded: string): AdminCredentials {
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) throw unauthorized('malformed Basic credentials: not base64');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw unauthorized('malformed Basic credentials: expected "user:password"');
  const user = decoded.slice(0, colon);
  // An empty name means an implicit logon to authentication modules; an admin must be someone.
  if (user === '') throw unauthorized('malformed Basic credentials: the user name is empty');
  return { user, password: decoded.slice(colon + 1), token: undefined, mechanism: 'password' };
}

function parseBearer(token: string): AdminCredentials {
  if (!BEARER_TOKEN.test(token)) throw unauthorized('malformed Bearer token');
  return { user: '', password: undefined, token, mechanism: 'token' };
}
