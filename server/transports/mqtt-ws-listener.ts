// MQTT over WebSocket: upgrades on the configured path offering subprotocol "mqtt" (or the
// older "mqttv3.1"), on an HttpEndpoint it may share with a native listener. Binary frames carry
// MQTT bytes; they go to the session's parser as chunks, and packets go out as binary frames.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { TransportHandler } from './transport.js';
import { WsConnection } from './ws-connection.js';
import type { TurnBatcher } from './turn-batcher.js';
import { refuseUpgrade, type HttpEndpoint } from './http-endpoint.js';
import { formatUrl, upgradeServer, type BoundListener } from './bound-listener.js';
import { RoutedListener } from './routed-listener.js';

const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'] as const;

export interface MqttWsListenerConfig {
  readonly name: string;
  readonly host: string;
  readonly path: string;
  /** WebSocket messages above this are refused by ws (close 1009); MQTT packet limits are the parser's. */
  readonly maxMessageBytes: number;
  /** The listener's connectTimeoutMs: a socket has as long to upgrade (0: no deadline). */
  readonly connectTimeoutMs: number;
}

export type WsAcceptor = (connection: WsConnection) => TransportHandler;

export function chooseSubprotocol(offered: Iterable<string>): string | null {
  const set = new Set([...offered].map((p) => p.trim()));
  for (const name of MQTT_SUBPROTOCOLS) if (set.has(name)) return name;
  return null;
}

export class MqttWsListener extends RoutedListener<WsConnection> {
  private readonly wss: WebSocketServer;

  constructor(
    private readonly config: MqttWsListenerConfig,
    private readonly accept: WsAcceptor,
    private readonly batcher: TurnBatcher,
    log: Logger,
    private readonly endpoint: HttpEndpoint,
  ) {
    super(endpoint, config.path, log);
    this.wss = upgradeServer(config.maxMessageBytes, (offered) => chooseSubprotocol(offered) ?? false);
    endpoint.route(config.path, (req, socket, head) => this.onUpgrade(req, socket, head), config.connectTimeoutMs);
  }

  async listen(): Promise<BoundListener> {
    const { host, path, name } = this.config;
    const port = await this.endpoint.listen(name);
    return {
      name,
      protocol: 'mqtt',
      transport: 'ws',
      host,
      port,
      url: formatUrl(host, port, path, this.endpoint.secure),
    };
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',');
    if (chooseSubprotocol(offered) === null) {
      refuseUpgrade(socket, 400, 'Bad Request', 'Sec-WebSocket-Protocol must offer mqtt\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const connection = new WsConnection(ws, socket, true, this.batcher, req.headers.host);
      this.connections.adopt(connection, () => this.accept(connection));
    });
  }
}
