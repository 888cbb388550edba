// An HTTP publish listener (docs/http.md): node:http (or node:https with the listener's TLS
// profile) serving POST /api/publish. It owns what is shared by its connections: the server and
// its timeouts, the budget of request body bytes, the key credentials are compared under; each
// connection is an HttpPublishSession.
import { listenOn, urlAuthority } from '../transports/listen-on.js';
import { hash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ErrorCodes } from '../../protocol/native.js';
import { maxHttpBodyBytes, type HttpListenerConfig, type HttpListenerOptions } from '../config/index.js';
import type { ListenerGates } from '../gates/listener-gates.js';
import type { ListenerVhostGates } from '../gates/vhost-gates.js';
import { TlsHandshakes } from '../tls/tls-handshakes.js';
import type { ServerTls } from '../tls/tls-profiles.js';
import type { BoundListener } from '../transports/bound-listener.js';
import type { PreLogon } from '../transports/pre-logon.js';
import { BodyBudget } from './body-budget.js';
import type { HttpErrorBody } from './http-answer.js';
import type { HttpListenerParts, HttpPublishContext } from './http-context.js';
import { HttpPublishSession } from './http-publish-session.js';
import { PUBLISH_PATH } from './publish-route.js';

/**
 * How often Node checks the headers and request timeouts. Its default, 30 s, would let a client
 * hold a socket for up to 30 s past headersTimeoutMs.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/** What Node's parser errors are answered with; the connection then closes. */
const CLIENT_ERRORS: Readonly<Record<string, readonly [number, string, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'the request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'the request was not received in time'],
  ERR_HTTP_HEADERS_TIMEOUT: [408, 'Request Timeout', 'the request headers were not received in time'],
};

export class HttpPublishListener implements HttpListenerParts {
  readonly name: string;
  readonly options: HttpListenerOptions;
  readonly bodyLimit: number;
  readonly budget: BodyBudget;
  private readonly server: Server;
  private readonly sessions = new Set<HttpPublishSession>();
  private readonly bySocket = new WeakMap<Socket, HttpPublishSession>();
  /** With TLS: sockets still in their handshake, dropped at close. */
  private readonly handshakes: TlsHandshakes | null = null;
  /**
   * Keys the hash of Authorization headers: made fresh per process, so nothing kept could be tested
   * offline. A secret prefix rather than an HMAC: the digests are only compared with each other,
   * and a one-shot hash costs a quarter of createHmac's 2.5 µs, once per request.
   */
  private readonly secret = randomBytes(32).toString('base64');
  private readonly secure: boolean;
  private closing = false;
  /** Set while close() waits for the last connection to go. */
  private drained: (() => void) | null = null;

  constructor(
    private readonly config: HttpListenerConfig,
    readonly gates: ListenerGates,
    readonly ctx: HttpPublishContext,
    tls: ServerTls | null,
    private readonly log: Logger,
    private readonly preLogon: PreLogon,
    readonly vhosts: ListenerVhostGates | null = null,
  ) {
    this.name = config.name;
    this.options = config.options;
    this.bodyLimit = maxHttpBodyBytes(config.options.maxMessageBytes);
    this.budget = new BodyBudget(config.options.maxBufferedBytes, ctx.stats);
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = config.options;
    const options: ServerOptions = {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      keepAliveTimeout: keepAliveTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      noDelay: true,
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.onRequest(req, res);
    this.secure = tls !== null;
    if (tls === null) this.server = createServer(options, onRequest);
    else {
      const https = createHttpsServer({ ...tls.options, ...options }, onRequest);
      tls.adopt(https);
      this.server = https;
      this.handshakes = new TlsHandshakes(https, log);
    }
    // Not every version of Node takes it as an option.
    this.server.keepAliveTimeout = keepAliveTimeoutMs;
    this.server.on(tls === null ? 'connection' : 'secureConnection', (socket: Socket) => this.onConnection(socket));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
  }

  async listen(): Promise<BoundListener> {
    const { host, port, name } = this.config;
    const actual = await listenOn(this.server, host, port, `listener "${name}"`);
    const url = `${this.secure ? 'https' : 'http'}://${urlAuthority(host, actual)}${PUBLISH_PATH}`;
    return { name, protocol: 'http', transport: 'http', host, port: actual, url };
  }

  credentialKey(header: string | undefined): string {
    if (header === undefined) return '';
    return hash('sha256', this.secret + header, 'base64');
  }

  forget(session: HttpPublishSession): void {
    if (!this.sessions.delete(session)) return;
    this.ctx.gone(session);
    if (this.sessions.size === 0) this.drained?.();
  }

  /** Entry point (the server's connection event): never throws. */
  private onConnection(socket: Socket): void {
    try {
      const remote = socket.remoteAddress ?? '';
      if (this.closing) return void socket.destroy();
      const refusal = this.ctx.admission.onAccept('http', remote);
      if (refusal !== null && refusal.kind === 'protocol-disabled') return void socket.destroy();
      // Over admission.maxUnauthenticated(PerHost): closed before anything is read.
      const slot = this.preLogon.sockets.take(remote);
      if (slot === null) return void socket.destroy();
      const session = new HttpPublishSession(socket, this, slot, refusal);
      this.sessions.add(session);
      this.bySocket.set(socket, session);
      this.ctx.opened(session);
      socket.once('close', () => session.onClose());
    } catch (err) {
      this.ctx.stats.connectionErrors++;
      this.log.error({ err }, 'HTTP publish: failed to set up a connection');
      socket.destroy();
    }
  }

  /** Entry point (the server's request event): never throws; a failure drops that connection only. */
  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const session = this.bySocket.get(req.socket);
    if (session === undefined) return void req.socket.destroy();
    try {
      session.onRequest(req, res);
    } catch (err) {
      this.ctx.stats.connectionErrors++;
      this.log.error({ err, session: session.id }, 'HTTP publish: unexpected error; dropping the connection');
      req.socket.destroy();
    }
  }

  /** A request Node's parser refused (malformed, headers too large, too slow): answered when nothing else is under way, then closed. */
  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    this.ctx.stats.protocolErrors++;
    const session = this.bySocket.get(socket);
    const answerable = socket.writable && err.code !== 'ECONNRESET' && session?.idle !== false;
    if (answerable) {
      const [status, text, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request', 'malformed HTTP request'];
      const body: HttpErrorBody = { error: { code: ErrorCodes.BAD_FRAME, message } };
      const json = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
      );
    }
    socket.destroySoon();
  }

  /**
   * Stop accepting; each connection's logon ends, a request being handled is answered (503
   * SHUTTING_DOWN, or 204 if it was published) and its connection closes; whatever is left after
   * graceMs is dropped.
   */
  async close(code: number, reason: string, graceMs: number): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const drained = new Promise<void>((resolve) => (this.drained = resolve));
    for (const session of [...this.sessions]) session.close(code, reason);
    if (this.sessions.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    this.drained = null;
    // Past the grace period, and sockets still in their TLS handshake: server.close() would wait for them.
    this.server.closeAllConnections();
    this.handshakes?.destroyAll();
    await closed;
  }

  dropAll(): number {
    const open = [...this.sessions];
    for (const session of open) session.socket.destroy();
    return open.length;
  }
}
