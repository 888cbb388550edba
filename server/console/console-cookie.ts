// The console's session cookie: HttpOnly (page scripts never see it), SameSite=Strict (no other
// site's page can make the browser send it), Path=/ (the console calls the /admin API with it).
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The cookie's name, with the listener's port: cookies are shared by every port of a host, so two
 * brokers on one machine must not overwrite each other's sessions.
 */
export function sessionCookieName(port: number): string {
  return `warden_console_${port}`;
}

/** A token is base64url; anything else in the cookie is not ours. */
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** The session token the request's Cookie header carries, if any. */
export function sessionToken(headers: IncomingHttpHeaders, name: string): string | undefined {
  const header = headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return TOKEN.test(value) ? value : undefined;
  }
  return undefined;
}

/** Set-Cookie for a new session; `secure` behind a TLS-terminating proxy (admin.console.secureCookie). */
export function sessionCookie(name: string, token: string, maxAgeMs: number, secure: boolean): string {
  const maxAge = Math.floor(maxAgeMs / 1000);
  return `${name}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

/** Set-Cookie that makes the browser forget the session (sign-out, or a session that ended). */
export function clearedCookie(name: string, secure: boolean): string {
  return `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
