// A native-protocol listener on uWebSockets.js: the counterpart of WsListener, on a UwsEndpoint
// it may share with an MQTT-over-WebSocket listener. Same subprotocols, limits, heartbeat and
// close behaviour; only the engine differs.
import type { Logger } from 'pino';
import { SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK, SUBPROTOCOLS } from '../../../protocol/native.js';
import type { NativeListenerConfig } from '../../config/index.js';
import type { ConnectionAcceptor } from '../transport.js';
import { RoutedListener } from '../routed-listener.js';
import { chooseEncoding } from '../../native/subprotocol.js';
import { formatUrl, type BoundListener } from '../bound-listener.js';
import { HARD_FRAME_LIMIT_FACTOR } from '../ws-listener.js';
import type { UwsConnection } from './uws-connection.js';
import type { UwsEndpoint, UwsRoute } from './uws-endpoint.js';

export class UwsListener extends RoutedListener<UwsConnection> implements UwsRoute {
  readonly maxMessageBytes: number;
  readonly maxSendQueueBytes: number;
  readonly refusal = `Sec-WebSocket-Protocol must offer ${SUBPROTOCOL_MSGPACK} or ${SUBPROTOCOL_JSON}\n`;
  private bound: BoundListener | null = null;

  constructor(
    private readonly config: NativeListenerConfig,
    private readonly accept: ConnectionAcceptor,
    log: Logger,
    private readonly endpoint: UwsEndpoint,
  ) {
    super(endpoint, config.path, log);
    this.maxMessageBytes = config.options.maxFrameBytes * HARD_FRAME_LIMIT_FACTOR;
    this.maxSendQueueBytes = config.options.maxSendQueueBytes;
    endpoint.route(config.path, this);
  }

  get address(): BoundListener {
    if (this.bound === null) throw new Error(`listener ${this.config.name} is not listening`);
    return this.bound;
  }

  async listen(): Promise<BoundListener> {
    const { host, path, name } = this.config;
    const actual = await this.endpoint.listen(name);
    this.bound = { name, protocol: 'native', transport: 'uws', host, port: actual, url: formatUrl(host, actual, path) };
    const interval = this.config.options.heartbeatIntervalMs;
    if (interval > 0) this.connections.startHeartbeat(interval, (c) => c.heartbeat());
    return this.bound;
  }

  chooseProtocol(header: string): string | null {
    const encoding = chooseEncoding(header);
    return encoding === null ? null : SUBPROTOCOLS[encoding];
  }

  binaryFor(protocol: string): boolean {
    return protocol === SUBPROTOCOL_MSGPACK;
  }

  open(connection: UwsConnection, protocol: string): void {
    const encoding = protocol === SUBPROTOCOL_MSGPACK ? 'msgpack' : 'json';
    this.connections.adopt(connection, () => this.accept({ connection, encoding, listenerName: this.config.name }));
  }
}
