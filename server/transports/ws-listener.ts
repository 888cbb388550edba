// A native-protocol listener on `ws`: an HTTP server that upgrades requests on the configured path
// offering one of the Warden subprotocols, and adapts each socket to a TransportConnection.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, type WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import { SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK, SUBPROTOCOLS } from '../../protocol/native.js';
import { chooseEncoding } from '../native/subprotocol.js';
import { formatUrl, upgradeServer, type BoundListener } from './bound-listener.js';
import type { NativeListenerConfig } from '../config/index.js';
import type { ConnectionAcceptor } from './transport.js';
import { WsConnection } from './ws-connection.js';
import type { TurnBatcher } from './turn-batcher.js';
import { refuseUpgrade, type HttpEndpoint } from './http-endpoint.js';
import { RoutedListener } from './routed-listener.js';

/** Frames beyond maxFrameBytes get FRAME_TOO_LARGE; beyond this multiple ws closes with 1009. */
export const HARD_FRAME_LIMIT_FACTOR = 4;

export class WsListener extends RoutedListener<WsConnection> {
  private readonly wss: WebSocketServer;
  private bound: BoundListener | null = null;

  constructor(
    private readonly config: NativeListenerConfig,
    private readonly accept: ConnectionAcceptor,
    private readonly batcher: TurnBatcher,
    log: Logger,
    private readonly endpoint: HttpEndpoint,
  ) {
    super(endpoint, config.path, log);
    this.wss = upgradeServer(config.options.maxFrameBytes * HARD_FRAME_LIMIT_FACTOR, (offered) => {
      const encoding = chooseEncoding([...offered].join(','));
      return encoding === null ? false : SUBPROTOCOLS[encoding];
    });
    endpoint.route(
      config.path,
      (req, socket, head) => this.onUpgrade(req, socket, head),
      config.options.logonTimeoutMs,
    );
  }

  get address(): BoundListener {
    if (this.bound === null) throw new Error(`listener ${this.config.name} is not listening`);
    return this.bound;
  }

  async listen(): Promise<BoundListener> {
    const { host, path, name } = this.config;
    const actual = await this.endpoint.listen(name);
    this.bound = {
      name,
      protocol: 'native',
      transport: 'ws',
      host,
      port: actual,
      url: formatUrl(host, actual, path, this.endpoint.secure),
    };
    const interval = this.config.options.heartbeatIntervalMs;
    if (interval > 0) this.connections.startHeartbeat(interval, (c) => c.heartbeat());
    return this.bound;
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const encoding = chooseEncoding(req.headers['sec-websocket-protocol']);
    if (encoding === null) {
      refuseUpgrade(
        socket,
        400,
        'Bad Request',
        `Sec-WebSocket-Protocol must offer ${SUBPROTOCOL_MSGPACK} or ${SUBPROTOCOL_JSON}\n`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const connection = new WsConnection(ws, socket, encoding === 'msgpack', this.batcher, req.headers.host);
      this.connections.adopt(connection, () => this.accept({ connection, encoding, listenerName: this.config.name }));
    });
  }
}

export { WebSocket };
