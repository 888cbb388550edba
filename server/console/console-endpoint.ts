// The admin console's side of the admin listener (docs/console.md): its page, signing in and out,
// and the live-update stream. Signing in checks the user name and password exactly as a Basic
// admin request is checked, then the admin entitlement to read /console; the session that follows
// stands in for credentials on the admin API (AdminListener), with a CSRF token on every write.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AdminHttpError, badRequest } from '../admin/admin-http-error.js';
import { sendJson } from '../admin/json-response.js';
import { parseJsonBody, readBody } from '../admin/request-body.js';
import { CONSOLE_PATH, type ConsoleAssets } from './console-assets.js';
import { clearedCookie, sessionCookie, sessionCookieName, sessionToken } from './console-cookie.js';
import { ConsoleEventStreams } from './console-event-streams.js';
import type { ConsoleSampler } from './console-sampler.js';
import { ConsoleSessions, csrfTokenMatches, type ConsoleSession } from './console-sessions.js';
import type { AdminCredentials } from '../admin/admin-credentials.js';

export const CONSOLE_PATHS = {
  page: CONSOLE_PATH,
  /** GET: who is signed in; POST: sign in; DELETE: sign out. */
  session: `${CONSOLE_PATH}/session`,
  /** GET: Server-Sent Events (docs/console.md#live-updates). */
  events: `${CONSOLE_PATH}/events`,
} as const;

/** The header a console request carries its session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** A sign-in body holds a user name and a password: a few hundred bytes at most. */
const MAX_SIGN_IN_BYTES = 4096;

export interface ConsoleOptions {
  readonly sessionIdleMs: number;
  readonly sessionMaxAgeMs: number;
  readonly maxSessions: number;
  readonly maxEventStreams: number;
  readonly secureCookie: boolean;
}

/** What the console needs of the admin listener: its credential check and its entitlement check. */
export interface ConsoleGate {
  /** The identity these credentials authenticate as; throws 401 (429 when throttled). */
  authenticate(credentials: AdminCredentials): Promise<string>;
  /** Throws 403 unless `identity` may `read` `path` (resource type admin). */
  entitle(identity: string, path: string): Promise<void>;
}

/** A console request as the admin listener saw it. */
export interface ConsoleRequest {
  readonly method: string;
  readonly path: string;
  /** Set once known, for the log and the audit line. */
  identity?: string;
}

/** A change the console made (sign-in, sign-out): the listener audits it. */
export interface ConsoleAction {
  readonly action: string;
  readonly result: unknown;
}

/** GET and POST /console/session. */
export interface ConsoleSessionResponse {
  readonly user: string;
  readonly csrfToken: string;
}

function sessionEnded(): AdminHttpError {
  // No WWW-Authenticate: the page signs in with its own form, not the browser's Basic dialog.
  return new AdminHttpError(401, 'UNAUTHORIZED', 'not signed in, or the console session has ended: sign in again');
}

export class ConsoleEndpoint {
  readonly sessions: ConsoleSessions;
  private readonly streams: ConsoleEventStreams;
  /** Set by start(), from the port the listener is bound to. */
  private cookieName = sessionCookieName(0);

  constructor(
    private readonly options: ConsoleOptions,
    private readonly assets: ConsoleAssets,
    readonly sampler: ConsoleSampler,
    private readonly log: Logger,
  ) {
    this.sessions = new ConsoleSessions({
      idleMs: options.sessionIdleMs,
      maxAgeMs: options.sessionMaxAgeMs,
      maxSessions: options.maxSessions,
    });
    this.streams = new ConsoleEventStreams(sampler, options.maxEventStreams);
  }

  static isConsolePath(path: string): boolean {
    return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
  }

  /** `port`: the admin listener's, which names the cookie. */
  start(port: number): void {
    this.cookieName = sessionCookieName(port);
    if (!this.assets.built)
      this.log.warn(
        'the admin console is not built (dist/console is missing): run npm run build; /console answers 503',
      );
    this.sampler.start();
  }

  stop(): void {
    this.sampler.stop();
    this.sessions.clear();
  }

  /**
   * The session a request's cookie names, for an admin API request without credentials; throws
   * 401 when it has none or it ended, 403 when `write` and the CSRF token is missing or wrong.
   */
  sessionOf(req: IncomingMessage, write: boolean): ConsoleSession {
    const token = this.tokenOf(req);
    const session = token === undefined ? undefined : this.sessions.use(token);
    if (session === undefined) throw sessionEnded();
    if (write && !csrfTokenMatches(session, headerValue(req.headers[CSRF_HEADER])))
      throw new AdminHttpError(
        403,
        'FORBIDDEN',
        `a console request that changes something must carry the session's CSRF token in ${CSRF_HEADER}`,
      );
    return session;
  }

  /** The session token the request's cookie carries, if any. */
  tokenOf(req: IncomingMessage): string | undefined {
    return sessionToken(req.headers, this.cookieName);
  }

  /** Answer a request under /console; a sign-in or sign-out is returned for the audit log. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    request: ConsoleRequest,
    gate: ConsoleGate,
  ): Promise<ConsoleAction | null> {
    const { method, path } = request;
    if (path === CONSOLE_PATHS.session) {
      if (method === 'GET') return this.whoAmI(req, res, request);
      if (method === 'POST') return this.signIn(req, res, request, gate);
      if (method === 'DELETE') return this.signOut(req, res, request);
      throw methodNotAllowed(path, 'GET, POST, DELETE', method);
    }
    if (path === CONSOLE_PATHS.events) {
      if (method !== 'GET') throw methodNotAllowed(path, 'GET', method);
      return this.events(req, res, request, gate);
    }
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(path, 'GET', method);
    if (!this.assets.built)
      throw new AdminHttpError(
        503,
        'UNAVAILABLE',
        'the admin console is not built: run npm run build (it writes dist/console)',
      );
    if (!this.assets.serve(path, req, res)) throw new AdminHttpError(404, 'NOT_FOUND', `no console page at ${path}`);
    return null;
  }

  private whoAmI(req: IncomingMessage, res: ServerResponse, request: ConsoleRequest): null {
    const session = this.sessionOf(req, false);
    request.identity = session.user;
    const body: ConsoleSessionResponse = { user: session.user, csrfToken: session.csrfToken };
    sendJson(res, 200, body);
    return null;
  }

  private async signIn(
    req: IncomingMessage,
    res: ServerResponse,
    request: ConsoleRequest,
    gate: ConsoleGate,
  ): Promise<ConsoleAction> {
    // JSON only: another site's plain HTML form cannot send it (browsers preflight it across origins).
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? ''))
      throw new AdminHttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'sign in with a JSON body: Content-Type: application/json',
      );
    const { user, password } = signInBody(parseJsonBody(await readBody(req, MAX_SIGN_IN_BYTES)));
    const identity = await gate.authenticate({ user, password, token: undefined, mechanism: 'password' });
    request.identity = identity;
    await gate.entitle(identity, CONSOLE_PATHS.page);
    this.sessions.sweep();
    // A browser signing in again leaves no session behind that its cookie no longer names.
    const previous = this.tokenOf(req);
    if (previous !== undefined) this.sessions.end(previous);
    const { token, session } = this.sessions.create(identity);
    const body: ConsoleSessionResponse = { user: identity, csrfToken: session.csrfToken };
    sendJson(res, 200, body, {
      'Set-Cookie': sessionCookie(this.cookieName, token, this.options.sessionMaxAgeMs, this.options.secureCookie),
    });
    return { action: 'console sign-in', result: { user: identity } };
  }

  private signOut(req: IncomingMessage, res: ServerResponse, request: ConsoleRequest): ConsoleAction {
    const session = this.sessionOf(req, true);
    request.identity = session.user;
    this.sessions.end(this.tokenOf(req)!);
    res
      .writeHead(204, {
        'Set-Cookie': clearedCookie(this.cookieName, this.options.secureCookie),
        'Cache-Control': 'no-store',
      })
      .end();
    return { action: 'console sign-out', result: { user: session.user } };
  }

  private async events(
    req: IncomingMessage,
    res: ServerResponse,
    request: ConsoleRequest,
    gate: ConsoleGate,
  ): Promise<null> {
    const session = this.sessionOf(req, false);
    request.identity = session.user;
    await gate.entitle(session.user, CONSOLE_PATHS.events);
    const token = this.tokenOf(req)!;
    // An open page keeps its session in use; a sign-out elsewhere or its end stops the stream.
    if (!this.streams.serve(req, res, () => this.sessions.use(token) !== undefined))
      throw new AdminHttpError(
        503,
        'UNAVAILABLE',
        `too many console pages are open (admin.console.maxEventStreams: ${this.options.maxEventStreams})`,
        { 'Retry-After': '10' },
      );
    return null;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function methodNotAllowed(path: string, allowed: string, method: string): AdminHttpError {
  return new AdminHttpError(405, 'METHOD_NOT_ALLOWED', `${path} accepts ${allowed}, not ${method}`, {
    Allow: allowed,
  });
}

function signInBody(body: unknown): { user: string; password: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('expected a JSON object { "user": "...", "password": "..." }');
  const { user, password, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw badRequest(`unknown field ${JSON.stringify(unknown[0]!.slice(0, 64))} (expected only "user", "password")`);
  if (typeof user !== 'string' || user === '') throw badRequest('"user" must be a non-empty string');
  if (typeof password !== 'string' || password === '') throw badRequest('"password" must be a non-empty string');
  return { user, password };
}
