// One uWebSockets.js app per host:port that uWS listeners share, routing upgrades by path as
// HttpEndpoint does for `ws`: the native protocol at "/" and MQTT over WebSocket at "/mqtt" can
// live on one port. A listener on port 0 gets an endpoint of its own.
//
// The app has a single WebSocket behaviour on "/*" and routes by exact path itself: uWS route
// patterns give ":" and "*" meanings a configured path must not have, and per-listener limits
// are per connection here anyway (see maxPayloadLength below).
import type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  WebSocket,
  us_listen_socket,
  us_socket_context_t,
} from '@trufflesuite/uws-js-unofficial';
import type { Uws } from './load-uws.js';
import { formatAddress, UwsConnection } from './uws-connection.js';
import type { TurnBatcher } from '../turn-batcher.js';
import type { PreLogon } from '../pre-logon.js';

export interface UwsRoute {
  /** Largest message its connections accept; a larger one closes the connection with 1009. */
  readonly maxMessageBytes: number;
  /** Unsent bytes past which a connection counts as a slow consumer (maxSendQueueBytes). */
  readonly maxSendQueueBytes: number;
  /** Whether messages go out as binary frames for this subprotocol (else text). */
  binaryFor(protocol: string): boolean;
  /** The subprotocol to answer for a Sec-WebSocket-Protocol header, or null to refuse (400, `refusal`). */
  chooseProtocol(header: string): string | null;
  readonly refusal: string;
  /** A connection was upgraded on this route. */
  open(connection: UwsConnection, protocol: string): void;
}

/** Per-socket user data (uWS copies it onto the socket at upgrade). */
interface UwsSocketData {
  route: UwsRoute;
  protocol: string;
  connection: UwsConnection | null;
  flusher: TurnBatcher;
  preLogon: PreLogon;
  /** The upgrade request's Host header ('' without one). */
  host: string;
}

/**
 * uWS closes a connection whose message passes maxPayloadLength by dropping the socket, with no
 * close frame (the peer sees 1006). `ws` answers 1009, so uWS is given this multiple of the
 * largest route's limit and UwsConnection itself closes with 1009 between the two; only a message
 * past this multiple ends without a close frame.
 */
const PAYLOAD_HEADROOM = 2;
const MAX_PAYLOAD_LENGTH = 2 ** 31 - 1;

const UPGRADE_REQUIRED = '426 Upgrade Required';
/** WebSocket close code 1013 (RFC 6455 registry): try again later. */
const TRY_AGAIN_LATER = 1013;

/**
 * This build's app also has close() (closes every socket of the app) and listen(host, port,
 * options, cb), which its typings omit.
 */
type App = TemplatedApp & {
  close(): void;
  listen(host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void): App;
};

export class UwsEndpoint {
  private readonly routes = new Map<string, UwsRoute>();
  private app: App | null = null;
  private listenSocket: us_listen_socket | null = null;
  private listening: Promise<number> | null = null;
  private users = 0;

  constructor(
    private readonly uws: Uws,
    readonly host: string,
    readonly port: number,
    private readonly flusher: TurnBatcher,
    private readonly preLogon: PreLogon,
  ) {}

  /** Register a path; the endpoint closes when every registered route has been released. */
  route(path: string, route: UwsRoute): void {
    this.routes.set(path, route);
    this.users++;
  }

  /** Listen (once, however many listeners share it); resolves with the bound port. */
  listen(name: string): Promise<number> {
    this.listening ??= new Promise<number>((resolve, reject) => {
      const app = this.createApp();
      this.app = app;
      // Exclusive, as Node binds: by default uSockets sets SO_REUSEPORT, and a second broker on the
      // same port would silently share its connections instead of failing.
      app.listen(this.host, this.port, exclusivePort(this.uws), (socket) => {
        if (socket === false) {
          // uWS reports no errno: the usual causes are named instead.
          reject(
            new Error(
              `listener "${name}" cannot listen on ${this.host}:${this.port}: uWebSockets.js could not bind it (address in use or not available)`,
            ),
          );
          return;
        }
        this.listenSocket = socket;
        resolve(this.uws.us_socket_local_port(socket as never));
      });
    });
    return this.listening;
  }

  /** Paths whose listener is closing: their upgrades are refused (503) until released. */
  private readonly stopped = new Set<string>();

  stopRouting(path: string): void {
    this.stopped.add(path);
  }

  /** Stop routing `path`; when no route is left, stop listening and close what is still open. */
  release(path: string): Promise<void> {
    this.stopped.delete(path);
    if (this.routes.delete(path)) this.users--;
    if (this.users > 0 || this.app === null) return Promise.resolve();
    if (this.listenSocket !== null) this.uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
    // Listeners have closed their connections by now (close frames are with the kernel, or their
    // peers had graceMs to take them); this drops the sockets still finishing their close
    // handshake, as HttpEndpoint's closeAllConnections does.
    this.app.close();
    this.app = null;
    return Promise.resolve();
  }

  private createApp(): App {
    const app = this.uws.App() as App;
    let largest = 0;
    for (const route of this.routes.values()) largest = Math.max(largest, route.maxMessageBytes);
    app.ws<UwsSocketData>('/*', {
      maxPayloadLength: Math.min(MAX_PAYLOAD_LENGTH, largest * PAYLOAD_HEADROOM),
      // Heartbeats and slow-consumer limits are the listeners' and sessions' business, as with ws:
      // no idle timeout, no automatic pings, no dropped sends (0 turns the backpressure limit off).
      idleTimeout: 0,
      sendPingsAutomatically: false,
      maxBackpressure: 0,
      closeOnBackpressureLimit: 0,
      compression: this.uws.DISABLED,
      upgrade: (res, req, context) => this.onUpgrade(res, req, context),
      open: onOpen,
      message: onMessage,
      pong: onPong,
      close: onClose,
    });
    // Upgrades never reach here (the ws behaviour takes every path); plain HTTP requests do.
    app.any('/*', (res) => {
      res
        .writeStatus(UPGRADE_REQUIRED)
        .writeHeader('Content-Type', 'text/plain; charset=utf-8')
        .writeHeader('Upgrade', 'websocket');
      res.end(
        `This is a Warden WebSocket endpoint; connect with WebSocket on ${[...this.routes.keys()].join(' or ')}.\n`,
      );
    });
    return app;
  }

  // Everything is read from `req` before returning: uWS reuses the request once the handler returns.
  private onUpgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const path = req.getUrl();
    const route = this.routes.get(path);
    if (route === undefined) {
      const served = [...this.routes.keys()].join(', ');
      return refuse(res, '404 Not Found', `no WebSocket endpoint at ${path}; this listener serves ${served}\n`);
    }
    if (this.stopped.has(path)) return refuse(res, '503 Service Unavailable', 'this listener is shutting down\n');
    const protocol = route.chooseProtocol(req.getHeader('sec-websocket-protocol'));
    if (protocol === null) return refuse(res, '400 Bad Request', route.refusal);
    const data: UwsSocketData = {
      route,
      protocol,
      connection: null,
      flusher: this.flusher,
      preLogon: this.preLogon,
      host: req.getHeader('host'),
    };
    // No extensions: permessage-deflate stays off, as on the ws transport.
    res.upgrade(data, req.getHeader('sec-websocket-key'), protocol, '', context);
  }
}

/** The addon exports this flag by name; its typings only have it inside the ListenOptions enum. */
function exclusivePort(uws: Uws): number {
  return (uws as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT: number }).LIBUS_LISTEN_EXCLUSIVE_PORT;
}

function refuse(res: HttpResponse, status: string, message: string): void {
  res.writeStatus(status).writeHeader('Content-Type', 'text/plain; charset=utf-8').end(message, true);
}

// Module-level handlers: the socket's user data carries its connection, so no closure per socket.
function onOpen(ws: WebSocket<UwsSocketData>): void {
  const data = ws.getUserData();
  const { route } = data;
  // uWS serves the HTTP part itself (and drops a socket idle there for about 10 s), so a socket is
  // counted as not logged on from here; over the cap it is closed at once: 1013 try again later.
  const slot = data.preLogon.sockets.take(formatAddress(ws.getRemoteAddress()));
  if (slot === null) return void ws.end(TRY_AGAIN_LATER, 'too many connections not logged on');
  const connection = new UwsConnection(
    ws,
    route.binaryFor(data.protocol),
    route.maxMessageBytes,
    route.maxSendQueueBytes / 2,
    data.flusher,
    slot,
    data.host === '' ? undefined : data.host,
  );
  data.connection = connection;
  route.open(connection, data.protocol);
}

function onMessage(ws: WebSocket<UwsSocketData>, message: ArrayBuffer, isBinary: boolean): void {
  ws.getUserData().connection?.onMessage(message, isBinary);
}

function onPong(ws: WebSocket<UwsSocketData>): void {
  ws.getUserData().connection?.onPong();
}

function onClose(ws: WebSocket<UwsSocketData>, code: number, message: ArrayBuffer): void {
  ws.getUserData().connection?.onClosed(code, message);
}
