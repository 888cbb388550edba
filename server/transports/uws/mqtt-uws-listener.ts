// MQTT over WebSocket on uWebSockets.js: the counterpart of MqttWsListener (subprotocol "mqtt" or
// "mqttv3.1", binary frames both ways), on a UwsEndpoint it may share with a native listener.
import type { Logger } from 'pino';
import type { TransportHandler } from '../transport.js';
import { RoutedListener } from '../routed-listener.js';
import { chooseSubprotocol, type MqttWsListenerConfig } from '../mqtt-ws-listener.js';
import { formatUrl, type BoundListener } from '../bound-listener.js';
import type { UwsConnection } from './uws-connection.js';
import type { UwsEndpoint, UwsRoute } from './uws-endpoint.js';

export type UwsAcceptor = (connection: UwsConnection) => TransportHandler;

export interface MqttUwsListenerConfig extends MqttWsListenerConfig {
  /** The listener's slow-consumer bound (options.maxSendQueueBytes). */
  readonly maxSendQueueBytes: number;
}

export class MqttUwsListener extends RoutedListener<UwsConnection> implements UwsRoute {
  readonly maxMessageBytes: number;
  readonly maxSendQueueBytes: number;
  readonly refusal = 'Sec-WebSocket-Protocol must offer mqtt\n';

  constructor(
    private readonly config: MqttUwsListenerConfig,
    private readonly accept: UwsAcceptor,
    log: Logger,
    private readonly endpoint: UwsEndpoint,
  ) {
    super(endpoint, config.path, log);
    this.maxMessageBytes = config.maxMessageBytes;
    this.maxSendQueueBytes = config.maxSendQueueBytes;
    endpoint.route(config.path, this);
  }

  async listen(): Promise<BoundListener> {
    const { host, path, name } = this.config;
    const port = await this.endpoint.listen(name);
    return { name, protocol: 'mqtt', transport: 'uws', host, port, url: formatUrl(host, port, path) };
  }

  chooseProtocol(header: string): string | null {
    return chooseSubprotocol(header.split(','));
  }

  binaryFor(): boolean {
    return true;
  }

  open(connection: UwsConnection): void {
    this.connections.adopt(connection, () => this.accept(connection));
  }
}
