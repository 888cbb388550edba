// A refusal the admin listener answers with: HTTP status, stable code, a message safe to send
// (never credentials or internals), and any headers the status requires (Allow, WWW-Authenticate).
import { ADMIN_REALM, type AdminErrorCode } from './admin-api.js';

export class AdminHttpError extends Error {
  override readonly name = 'AdminHttpError';
  constructor(
    readonly status: number,
    readonly code: AdminErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function unauthorized(message: string): AdminHttpError {
  return new AdminHttpError(401, 'UNAUTHORIZED', message, { 'WWW-Authenticate': `Basic realm="${ADMIN_REALM}"` });
}

export function badRequest(message: string): AdminHttpError {
  return new AdminHttpError(400, 'BAD_REQUEST', message);
}
