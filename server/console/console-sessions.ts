// The console's signed-in sessions: a random token in an HttpOnly cookie names one, and each has a
// CSRF token of its own that the page sends back on every action. In memory, bounded in count and
// lifetime; the map is keyed by a hash of the token, so the token itself is never kept.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ConsoleSessionLimits {
  /** A session unused for this long ends. */
  readonly idleMs: number;
  /** A session ends this long after sign-in, in use or not. */
  readonly maxAgeMs: number;
  /** Sessions at once; the oldest ends beyond it. */
  readonly maxSessions: number;
}

export interface ConsoleSession {
  /** The admin identity the session runs as (what the authentication module accepted). */
  readonly user: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  lastUsedAt: number;
}

/** 256 bits: unguessable, as a session cookie must be. */
function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function keyOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export class ConsoleSessions {
  /** By the token's hash, in sign-in order (the oldest is first). */
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly limits: ConsoleSessionLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** A new session for `user`; `token` goes in the cookie. */
  create(user: string): { token: string; session: ConsoleSession } {
    const now = this.clock();
    const token = newToken();
    const session: ConsoleSession = { user, csrfToken: newToken(), createdAt: now, lastUsedAt: now };
    this.sessions.set(keyOf(token), session);
    if (this.sessions.size > this.limits.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    return { token, session };
  }

  /** The live session `token` names, marked as used now; undefined when there is none or it expired. */
  use(token: string): ConsoleSession | undefined {
    const key = keyOf(token);
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    const now = this.clock();
    if (this.expired(session, now)) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastUsedAt = now;
    return session;
  }

  /** Sign-out: the token no longer names a session. */
  end(token: string): void {
    this.sessions.delete(keyOf(token));
  }

  /** Every session ends (a live reload changed who may sign in). */
  clear(): void {
    this.sessions.clear();
  }

  /** Drop the expired ones, so sessions nobody comes back to do not stay until maxSessions pushes them out. */
  sweep(): void {
    const now = this.clock();
    for (const [key, session] of this.sessions) if (this.expired(session, now)) this.sessions.delete(key);
  }

  private expired(session: ConsoleSession, now: number): boolean {
    return now - session.lastUsedAt >= this.limits.idleMs || now - session.createdAt >= this.limits.maxAgeMs;
  }
}

/** The CSRF token the request sent matches the session's, compared in constant time. */
export function csrfTokenMatches(session: ConsoleSession, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  const expected = Buffer.from(session.csrfToken);
  const actual = Buffer.from(sent);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
