// Reading an admin request's Authorization header (http/authorization.ts), as a 401 when it is
// missing or malformed.
import { AuthorizationError, parseAuthorizationHeader, type HttpCredentials } from '../http/authorization.js';
import { unauthorized } from './admin-http-error.js';

export type AdminCredentials = HttpCredentials;

/** The credentials in `header`; throws a 401 AdminHttpError when it is missing or malformed. */
export function parseAuthorization(header: string | undefined): AdminCredentials {
  if (header === undefined || header.trim() === '') {
    throw unauthorized('missing Authorization header: use Basic (user name and password) or Bearer (token)');
  }
  try {
    return parseAuthorizationHeader(header);
  } catch (err) {
    if (err instanceof AuthorizationError) throw unauthorized(err.message);
    throw err;
  }
}
