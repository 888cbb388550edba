// One HTTP server per host:port that WebSocket listeners share, routing upgrades by path: the
// native protocol at "/" and MQTT over WebSocket at "/mqtt" can live on one port. A listener on
// port 0 gets an endpoint of its own. With TLS it is an HTTPS server (wss://); the config makes
// every listener on one host:port agree on TLS, since the handshake comes before the path.
import { listenOn } from './listen-on.js';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { ServerTls } from '../tls/tls-profiles.js';
import { TlsHandshakes } from '../tls/tls-handshakes.js';
import type { Logger } from 'pino';
import { holdBeforeUpgrade, upgradeArrived, type PreLogon } from './pre-logon.js';

export type UpgradeRoute = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

export function refuseUpgrade(socket: Socket, status: number, statusText: string, message: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

export class HttpEndpoint {
  private readonly http: Server;
  private readonly routes = new Map<string, UpgradeRoute>();
  private listening: Promise<number> | null = null;
  /** True when served over TLS (wss://). */
  readonly secure: boolean;
  /** With TLS: sockets still in their handshake, dropped when the endpoint closes. */
  private readonly handshakes: TlsHandshakes | null = null;
  private users = 0;
  private closing: Promise<void> | null = null;
  /** A socket that has not upgraded within this is destroyed: the smallest logon timeout of the routes (0: none set one). */
  private upgradeTimeoutMs = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    tls: ServerTls | null,
    /** Where failed TLS handshakes are logged (debug). */
    log: Logger | null,
    preLogon: PreLogon,
  ) {
    const answerPlainRequest: RequestListener = (_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' });
      res.end(
        `This is a Warden WebSocket endpoint; connect with WebSocket on ${[...this.routes.keys()].join(' or ')}.\n`,
      );
    };
    this.secure = tls !== null;
    if (tls === null) this.http = createServer(answerPlainRequest);
    else {
      const https = createHttpsServer(tls.options, answerPlainRequest);
      tls.adopt(https);
      this.http = https;
      this.handshakes = new TlsHandshakes(https, log);
    }
    // From the moment there is an HTTP connection (TLS: once the handshake is done; the handshake
    // has its own timeout), it holds a not-logged-on slot and has until the deadline to upgrade.
    this.http.on(tls === null ? 'connection' : 'secureConnection', (socket: Socket) =>
      holdBeforeUpgrade(socket, preLogon, this.upgradeTimeoutMs),
    );
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_err, socket: Socket) => socket.destroy());
  }

  /**
   * Register a path; the endpoint closes when every registered route has been released.
   * `timeoutMs` is the route's logon timeout (0: none): sockets get the smallest to upgrade.
   */
  route(path: string, handler: UpgradeRoute, timeoutMs: number): void {
    this.routes.set(path, handler);
    this.users++;
    if (timeoutMs > 0 && (this.upgradeTimeoutMs === 0 || timeoutMs < this.upgradeTimeoutMs))
      this.upgradeTimeoutMs = timeoutMs;
  }

  /** Listen (once, however many listeners share it); resolves with the bound port. */
  listen(name: string): Promise<number> {
    this.listening ??= listenOn(this.http, this.host, this.port, `listener "${name}"`);
    return this.listening;
  }

  /** Paths whose listener is closing: their upgrades are refused (503) until released. */
  private readonly stopped = new Set<string>();

  stopRouting(path: string): void {
    this.stopped.add(path);
  }

  /** Stop routing `path`; when no route is left, stop listening and close remaining sockets. */
  release(path: string): Promise<void> {
    this.stopped.delete(path);
    if (this.routes.delete(path)) this.users--;
    if (this.users > 0) return Promise.resolve();
    this.closing ??= new Promise<void>((resolve) => {
      if (this.listening === null) return resolve();
      this.http.close(() => resolve());
      this.http.closeAllConnections();
      this.handshakes?.destroyAll();
    });
    return this.closing;
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    upgradeArrived(socket);
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = this.routes.get(path);
    if (route === undefined) {
      const served = [...this.routes.keys()].join(', ');
      refuseUpgrade(socket, 404, 'Not Found', `no WebSocket endpoint at ${path}; this listener serves ${served}\n`);
      return;
    }
    if (this.stopped.has(path))
      return refuseUpgrade(socket, 503, 'Service Unavailable', 'this listener is shutting down\n');
    route(req, socket, head);
  }
}
