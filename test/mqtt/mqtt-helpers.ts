// MQTT test helpers: the npm `mqtt` client against a test broker, and an event-driven inbox.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Collector } from '../helpers/collector.js';

export type Version = 4 | 5;

export interface Received {
  topic: string;
  text: string;
  qos: number;
  subscriptionIds: number[] | null;
}

export class MqttClients {
  private readonly clients: MqttClient[] = [];

  async connect(url: string, protocolVersion: Version, options: IClientOptions = {}): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 0, connectTimeout: 5000, ...options });
    this.clients.push(client);
    return client;
  }

  /** The connect error (the client never connects). */
  async refusal(url: string, protocolVersion: Version, options: IClientOptions = {}): Promise<{ code?: number; message: string }> {
    try {
      const client = await this.connect(url, protocolVersion, options);
      throw new Error(`connected as ${client.options.clientId}`);
    } catch (err) {
      return err as { code?: number; message: string };
    }
  }

  async teardown(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
  }
}

export function inbox(client: MqttClient): Collector<Received> {
  const collector = new Collector<Received>();
  client.on('message', (topic, payload, packet) => {
    const ids = packet.properties?.subscriptionIdentifier;
    collector.push({ topic, text: payload.toString('utf8'), qos: packet.qos, subscriptionIds: ids === undefined ? null : Array.isArray(ids) ? ids : [ids] });
  });
  return collector;
}
