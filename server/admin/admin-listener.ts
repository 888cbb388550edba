// The admin HTTP listener: authenticates every request (Basic or Bearer, through the broker's
// admin authentication), entitles it (resource type `admin`, read for GET, write for POST and DELETE,
// resource = the path), then runs one AdminActions call and answers JSON. Plain node:http.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AdminActions } from './admin-actions.js';
import { ADMIN_MAX_BODY_BYTES, VHOST_PARAM, vhostScopedPath } from './admin-api.js';
import { parseAuthorization, type AdminCredentials } from './admin-credentials.js';
import { AdminCredentialCache, type CredentialCacheLimits } from './admin-credential-cache.js';
import type { BrokerStats } from '../stats.js';
import { AdminHttpError, badRequest, unauthorized } from './admin-http-error.js';
import { routesAt, type AdminRequest, type AdminRoute } from './admin-routes.js';
import { sendError, sendJson } from './json-response.js';
import { parseJsonBody, readBody } from './request-body.js';
import { answerProbe, type HealthSource } from '../health/health.js';
import type { AuditLog } from '../audit/audit-log.js';
import { listenOn, urlAuthority } from '../transports/listen-on.js';
import { CONSOLE_PATHS, ConsoleEndpoint, type ConsoleGate, type ConsoleRequest } from '../console/console-endpoint.js';
import { crossSiteReason } from './same-origin.js';

export interface AdminListenerOptions {
  readonly host: string;
  /** 0 asks the OS for a free port (tests). */
  readonly port: number;
  /** Successful Basic logons remembered (admin.credentialCache); absent: off, every request is checked. */
  readonly credentialCache?: CredentialCacheLimits;
}

export interface BoundAdminListener {
  readonly host: string;
  readonly port: number;
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:8801 */
  readonly url: string;
}

/** Per-request facts carried into the log; never credentials. */
interface RequestLog extends ConsoleRequest {
  readonly remoteAddress: string;
  /** The vhost a request is about (`?vhost=`, canonical), once known to exist. */
  vhost?: string;
}

/** The route a request asked for, with its `{id}` and query string. */
interface Routed {
  readonly route: AdminRoute;
  readonly request: AdminRequest;
}

/** GET /metrics: the exposition text and who may scrape it (metrics.credentials). */
export interface MetricsEndpoint {
  readonly exposition: { render(): Promise<string>; readonly contentType: string };
  /** `none`: scrapes answer without credentials; `required`: authenticated and entitled as an admin read of /metrics. */
  readonly credentials: 'required' | 'none';
}

export const METRICS_PATH = '/metrics';

const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class AdminListener {
  private readonly server: Server;
  private bound: BoundAdminListener | null = null;
  private readonly credentials: AdminCredentialCache;

  constructor(
    private readonly options: AdminListenerOptions,
    private readonly actions: AdminActions,
    private readonly log: Logger,
    /** Where cache hits are counted (adminCredentialCacheHits); absent in tests of the listener alone. */
    private readonly stats: BrokerStats | null = null,
    /** Answers GET /healthz and /readyz without credentials; null when the probes are elsewhere or off. */
    private readonly health: HealthSource | null = null,
    /** One line per request: who, what, the status and the result (audit.enabled), or null. */
    private readonly audit: AuditLog | null = null,
    /** Serves GET /metrics (metrics.enabled), or null. */
    private readonly metrics: MetricsEndpoint | null = null,
    /** The admin console under /console (admin.console.enabled), or null. */
    private readonly console: ConsoleEndpoint | null = null,
  ) {
    this.credentials = new AdminCredentialCache(options.credentialCache ?? { ttlMs: 0, maxEntries: 1 });
    this.server = createServer((req, res) => {
      if (this.health !== null && answerProbe(req, res, this.health)) return;
      this.handle(req, res).catch((err: unknown) => this.log.error({ err }, 'admin: failed to answer a request'));
    });
    this.server.headersTimeout = HEADERS_TIMEOUT_MS;
    this.server.requestTimeout = REQUEST_TIMEOUT_MS;
  }

  async listen(): Promise<BoundAdminListener> {
    if (this.bound !== null) throw new Error(`the admin listener is already listening on ${this.bound.url}`);
    const { host, port } = this.options;
    const actual = await listenOn(this.server, host, port, 'the admin listener');
    this.bound = { host, port: actual, url: `http://${urlAuthority(host, actual)}` };
    this.console?.start(actual);
    // Not "listening": that message announces the native listeners' ws:// URLs to tooling.
    this.log.info({ url: this.bound.url }, 'admin listener started');
    if (!isLoopback(host)) {
      this.log.warn(
        { host },
        'the admin listener is not on a loopback address: it speaks plain HTTP, so admin passwords and tokens cross the network unencrypted',
      );
    }
    return this.bound;
  }

  /** Check every admin's credentials afresh: a live reload changed the modules that checked them. */
  forgetCredentials(): void {
    this.credentials.clear();
    // Console sessions too: they stand for credentials checked by the old modules.
    this.console?.sessions.clear();
  }

  /** Stop listening and drop open connections (an admin request cut short by shutdown is moot). */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.console?.stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.bound = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const request: RequestLog = {
      method: req.method ?? 'GET',
      path: queryAt < 0 ? url : url.slice(0, queryAt),
      remoteAddress: req.socket.remoteAddress ?? '',
    };
    const query = new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1));
    let action: string | undefined;
    const audit = (status: number, result: unknown): void =>
      this.audit?.admin({
        user: request.identity ?? null,
        method: request.method,
        // A request about a vhost is audited as the path it was entitled as.
        path: request.vhost === undefined ? request.path : vhostScopedPath(request.path, request.vhost),
        remote: request.remoteAddress,
        status,
        ...(action !== undefined ? { action } : {}),
        ...(result !== undefined ? { result } : {}),
      });
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        const crossSite = crossSiteReason(req.headers);
        if (crossSite !== null) throw new AdminHttpError(403, 'FORBIDDEN', `refused: ${crossSite}`);
      }
      if (this.metrics !== null && request.path === METRICS_PATH)
        return await this.scrape(req, res, request, this.metrics);
      if (this.console !== null && ConsoleEndpoint.isConsolePath(request.path)) {
        const done = await this.console.handle(req, res, request, this.consoleGate(request));
        if (done !== null) {
          action = done.action;
          this.log.info({ ...request, result: done.result }, `admin: ${done.action}`);
          audit(200, done.result);
        }
        return;
      }
      // Taken out before routing: the routes never see it as one of their own parameters.
      const vhostParam = query.get(VHOST_PARAM) ?? undefined;
      query.delete(VHOST_PARAM);
      // The vhost's own authentication module, if it has one; an unknown vhost is refused after
      // authentication, so that no one learns which vhosts exist without credentials.
      const vhost = vhostParam === undefined ? undefined : this.actions.vhostNamed(vhostParam);
      request.identity = await this.authenticate(req, request, vhost);
      const { route, request: routed } = this.route(request, query, vhostParam, vhost);
      action = route.action;
      request.vhost = vhost;
      const entitled = vhost === undefined ? request : { ...request, path: vhostScopedPath(request.path, vhost) };
      await this.entitle(route.method === 'GET' ? 'read' : 'write', entitled, request.identity, vhost);
      const body = route.method === 'POST' ? parseJsonBody(await readBody(req, ADMIN_MAX_BODY_BYTES)) : undefined;
      const result = await route.run(this.actions, body, routed);
      const writes = route.method !== 'GET' && route.readOnly !== true;
      // A write (reset, enable, disable, reload, kick) may change who is who: check everyone afresh.
      if (writes) this.credentials.clear();
      this.log.info({ ...request, result }, `admin: ${route.action}`);
      // Reads (status, the connection and cluster views, explain) are not audited: only who changed what.
      if (writes) audit(200, result);
      sendJson(res, 200, result);
    } catch (err) {
      if (err instanceof AdminHttpError) {
        this.log.debug({ ...request, status: err.status, reason: err.message }, 'admin: request refused');
        // A console page asking whether it is signed in is not a refused request worth a line.
        const signedOutProbe = err.status === 401 && request.method === 'GET' && request.path === CONSOLE_PATHS.session;
        if (!signedOutProbe) audit(err.status, err.message);
        if (res.headersSent) res.destroy();
        else sendError(res, this.fromConsole(req, request) ? withoutChallenge(err) : err);
        return;
      }
      this.log.error({ ...request, err }, 'admin: request failed');
      audit(500, 'internal error; see the broker log');
      sendError(
        res,
        new AdminHttpError(
          500,
          'INTERNAL_ERROR',
          `the broker failed to handle ${request.method} ${request.path}; see the broker log`,
        ),
      );
    }
  }

  /** A Prometheus scrape: no body, no audit line (a read); credentials as metrics.credentials says. */
  private async scrape(
    req: IncomingMessage,
    res: ServerResponse,
    request: RequestLog,
    metrics: MetricsEndpoint,
  ): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      throw new AdminHttpError(405, 'METHOD_NOT_ALLOWED', `${METRICS_PATH} accepts GET, not ${request.method}`, {
        Allow: 'GET',
      });
    if (metrics.credentials === 'required') {
      request.identity = await this.authenticate(req, request);
      await this.entitle('read', request, request.identity);
    }
    const text = await metrics.exposition.render();
    res.writeHead(200, { 'Content-Type': metrics.exposition.contentType, 'Content-Length': Buffer.byteLength(text) });
    res.end(request.method === 'HEAD' ? undefined : text);
  }

  /** The console's sign-in uses the same checks as a request with credentials. */
  private consoleGate(request: RequestLog): ConsoleGate {
    return {
      authenticate: (credentials) => this.check(credentials, request),
      entitle: (identity, path) => this.entitle('read', { ...request, path }, identity),
    };
  }

  /** A request of the console's page: a 401 must not make the browser pop up its Basic dialog. */
  private fromConsole(req: IncomingMessage, request: RequestLog): boolean {
    return (
      this.console !== null &&
      (ConsoleEndpoint.isConsolePath(request.path) ||
        (req.headers.authorization === undefined && this.console.tokenOf(req) !== undefined))
    );
  }

  /**
   * The identity the request authenticates as: its Authorization header, or else a console
   * session's cookie (with the CSRF token on anything but a GET); throws a 401 AdminHttpError otherwise.
   */
  private async authenticate(req: IncomingMessage, request: RequestLog, vhost?: string): Promise<string> {
    if (this.console !== null && req.headers.authorization === undefined && this.console.tokenOf(req) !== undefined)
      return this.console.sessionOf(req, request.method !== 'GET' && request.method !== 'HEAD').user;
    let credentials;
    try {
      credentials = parseAuthorization(req.headers.authorization);
    } catch (err) {
      this.log.warn({ ...request, reason: (err as Error).message }, 'admin: authentication failed');
      throw err;
    }
    const { user, password, mechanism } = credentials;
    // A vhost may authenticate with its own module: its answers are cached apart.
    const cacheKey =
      this.credentials.enabled && mechanism === 'password' && password !== undefined
        ? this.credentials.key(request.remoteAddress, vhost === undefined ? user : `${user}\u0000${vhost}`, password)
        : null;
    if (cacheKey !== null) {
      const identity = this.credentials.get(cacheKey);
      if (identity !== undefined) {
        if (this.stats !== null) this.stats.adminCredentialCacheHits++;
        return identity;
      }
    }
    const identity = await this.check(credentials, request, vhost);
    if (cacheKey !== null) this.credentials.set(cacheKey, identity);
    return identity;
  }

  /** Ask the admin authentication module; throws a 401 (429 when the logon guard refused) unless it accepts. */
  private async check(credentials: AdminCredentials, request: RequestLog, vhost?: string): Promise<string> {
    const { user, password, token, mechanism } = credentials;
    const answer = await this.actions.authenticateAdmin(
      {
        user,
        password,
        token,
        mechanism,
        data: undefined,
        remoteAddress: request.remoteAddress,
        listener: 'admin',
        peerCertificate: undefined,
      },
      vhost,
    );
    if (answer.outcome === 'accept') return answer.identity;
    if (answer.outcome === 'throttled') {
      this.log.warn(
        { ...request, user, mechanism, reason: answer.reason },
        'admin: authentication refused by the logon guard',
      );
      throw new AdminHttpError(
        429,
        'TOO_MANY_REQUESTS',
        answer.kind === 'busy'
          ? 'too many logons are waiting; try again later'
          : 'too many failed logons; try again later',
      );
    }
    const reason =
      answer.outcome === 'reject'
        ? answer.reason
        : 'the authentication module asked for a challenge-response exchange, which HTTP requests cannot do';
    // The user name is not a secret and makes the warning useful; the reason stays in the log, as for native logons.
    this.log.warn({ ...request, user, mechanism, reason }, 'admin: authentication failed');
    throw unauthorized(
      answer.outcome === 'reject'
        ? 'authentication failed'
        : 'authentication failed: the admin authentication module needs a challenge-response exchange (e.g. SCRAM), which the admin HTTP API does not support; use a password or a token',
    );
  }

  private route(
    request: RequestLog,
    query: URLSearchParams,
    vhostParam: string | undefined,
    vhost: string | undefined,
  ): Routed {
    const found = routesAt(request.path);
    if (found === null) throw new AdminHttpError(404, 'NOT_FOUND', `no admin endpoint at ${request.path}`);
    const route = found.routes.find((r) => r.method === request.method);
    if (route === undefined) {
      const allowed = found.routes.map((r) => r.method).join(', ');
      throw new AdminHttpError(405, 'METHOD_NOT_ALLOWED', `${request.path} accepts ${allowed}, not ${request.method}`, {
        Allow: allowed,
      });
    }
    if (vhostParam !== undefined) {
      if (route.vhostScoped !== true)
        throw badRequest(`${request.method} ${request.path} is broker-wide: it takes no "${VHOST_PARAM}" parameter`);
      if (vhost === undefined)
        throw new AdminHttpError(404, 'NOT_FOUND', `no vhost ${JSON.stringify(vhostParam.slice(0, 253))}`);
    }
    const scope = vhost === undefined ? {} : { vhost };
    return { route, request: found.id === undefined ? { query, ...scope } : { query, id: found.id, ...scope } };
  }

  /** Resource type `admin`, the request path as the resource; throws a 403 unless allowed. */
  private async entitle(
    action: 'read' | 'write',
    request: RequestLog,
    identity: string,
    vhost?: string,
  ): Promise<void> {
    const answer = await this.actions.checkAdmin(identity, action, request.path, vhost);
    if (answer.allow === true) return;
    this.log.warn({ ...request, action, reason: answer.reason }, 'admin: request not entitled');
    throw new AdminHttpError(
      403,
      'FORBIDDEN',
      `${JSON.stringify(identity)} is not entitled to ${action} ${request.path}`,
    );
  }
}

/** The same refusal without WWW-Authenticate. */
function withoutChallenge(err: AdminHttpError): AdminHttpError {
  if (err.headers['WWW-Authenticate'] === undefined) return err;
  const { 'WWW-Authenticate': _challenge, ...headers } = err.headers;
  return new AdminHttpError(err.status, err.code, err.message, headers);
}
