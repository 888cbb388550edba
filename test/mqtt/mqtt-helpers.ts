// MQTT test helpers: the npm `mqtt` client against a test broker, and an event-driven inbox.
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mqttPacket, { type IConnackPacket, type IConnectPacket, type Packet } from 'mqtt-packet';
import { afterEach } from 'vitest';
import { Collector } from '../helpers/collector.js';
import type { TestBroker } from '../helpers/broker.js';

export type Version = 4 | 5;

export interface Received {
  topic: string;
  text: string;
  qos: number;
  retain: boolean;
  subscriptionIds: number[] | null;
}

export class MqttClients {
  private readonly clients: MqttClient[] = [];

  async connect(url: string, protocolVersion: Version, options: IClientOptions = {}): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    this.clients.push(client);
    return client;
  }

  /** A client whose listeners can be attached before it connects; `connack` is its first CONNACK. */
  start(
    url: string,
    protocolVersion: Version,
    options: IClientOptions = {},
  ): { client: MqttClient; connack: Promise<IConnackPacket> } {
    const client = mqtt.connect(url, { protocolVersion, reconnectPeriod: 0, connectTimeout: 5000, ...options });
    this.clients.push(client);
    const connack = new Promise<IConnackPacket>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    return { client, connack };
  }

  /** The connect error (the client never connects). */
  async refusal(
    url: string,
    protocolVersion: Version,
    options: IClientOptions = {},
  ): Promise<{ code?: number; message: string }> {
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
    collector.push({
      topic,
      text: payload.toString('utf8'),
      qos: packet.qos,
      retain: packet.retain,
      subscriptionIds: ids === undefined ? null : Array.isArray(ids) ? ids : [ids],
    });
  });
  return collector;
}

/** A raw MQTT connection over TCP: sends packets, collects parsed ones, reports the close. */
export interface RawMqtt {
  socket: Socket;
  packets: Collector<Packet>;
  closed: Promise<void>;
  send(packet: Packet): void;
}

export class RawMqttClients {
  private readonly sockets: Socket[] = [];

  async open(url: string, version: Version): Promise<RawMqtt> {
    const { hostname, port } = new URL(url);
    const socket = netConnect(Number(port), hostname);
    this.sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const parser = mqttPacket.parser({ protocolVersion: version });
    const packets = new Collector<Packet>();
    parser.on('packet', packets.push);
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return { socket, packets, closed, send: (p) => socket.write(mqttPacket.generate(p, { protocolVersion: version })) };
  }

  /** CONNECT and wait for the CONNACK. */
  async connect(
    url: string,
    version: Version,
    connect: Omit<IConnectPacket, 'cmd' | 'protocolVersion'>,
  ): Promise<RawMqtt> {
    const raw = await this.open(url, version);
    raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, keepalive: 0, ...connect });
    await raw.packets.count(1);
    return raw;
  }

  teardown(): void {
    for (const s of this.sockets.splice(0)) s.destroy();
  }
}

/** One test file's broker and MQTT clients, all torn down after each test (the usual MQTT setup). */
export interface MqttFixture {
  /** The test's broker, if it started one; closed and reset after each test. */
  tb: TestBroker | null;
  readonly clients: MqttClients;
  readonly raws: RawMqttClients;
}

/** Call at the top of a test file: registers the afterEach teardown and returns the fixture. */
export function useMqttFixture(): MqttFixture {
  const fx: MqttFixture = { tb: null, clients: new MqttClients(), raws: new RawMqttClients() };
  afterEach(async () => {
    fx.raws.teardown();
    await fx.clients.teardown();
    await fx.tb?.close();
    fx.tb = null;
  });
  return fx;
}
