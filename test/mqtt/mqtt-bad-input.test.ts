// Bad input over MQTT: packets before CONNECT, a second CONNECT, malformed and oversized packets,
// invalid topic names and filters, keepalive expiry. Never a crash: the broker keeps serving.
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { inbox, MqttClients, type Version } from './mqtt-helpers.js';

let tb: TestBroker | null = null;
const clients = new MqttClients();
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await clients.teardown();
  await tb?.close();
  tb = null;
});

/** A raw TCP MQTT client: sends bytes, collects parsed packets, reports the close. */
async function raw(
  url: string,
  version: Version,
): Promise<{ socket: Socket; packets: Packet[]; closed: Promise<void>; send(p: Packet): void }> {
  const { hostname, port } = new URL(url);
  const socket = netConnect(Number(port), hostname);
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets: Packet[] = [];
  parser.on('packet', (p: Packet) => packets.push(p));
  socket.on('data', (d) => parser.parse(d));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, packets, closed, send: (p) => socket.write(mqttPacket.generate(p, { protocolVersion: version })) };
}

const CONNECT = (version: Version): Packet => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: version,
  clientId: `raw-${version}`,
  clean: true,
  keepalive: 0,
  username: 'u',
});

async function stillServes(b: TestBroker): Promise<void> {
  const c = await clients.connect(b.mqttUrl!, 5, { username: 'after' });
  expect(c.connected).toBe(true);
}

describe.each<Version>([4, 5])('MQTT %i bad input', (version) => {
  const v5 = version === 5;

  it('closes a connection whose first packet is not CONNECT', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const c = await raw(tb.mqttUrl!, version);
    c.send({ cmd: 'pingreq' });
    await c.closed;
    expect(c.packets).toEqual([]);
    await stillServes(tb);
  });

  it('a second CONNECT: v5 DISCONNECT 0x82, v3.1.1 close', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const c = await raw(tb.mqttUrl!, version);
    c.send(CONNECT(version));
    c.send(CONNECT(version));
    await c.closed;
    expect(c.packets.map((p) => p.cmd)).toEqual(v5 ? ['connack', 'disconnect'] : ['connack']);
    if (v5) expect(c.packets[1]).toMatchObject({ reasonCode: 0x82 });
  });

  it('malformed bytes close the connection (v5 after CONNECT: DISCONNECT 0x81)', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const before = await raw(tb.mqttUrl!, version);
    before.socket.write(Buffer.from([0x10, 0x03, 0xff, 0xff, 0xff])); // a CONNECT that is garbage
    await before.closed;
    const after = await raw(tb.mqttUrl!, version);
    after.send(CONNECT(version));
    after.socket.write(Buffer.from([0x80, 0x02, 0x00, 0x01])); // SUBSCRIBE with flags 0 (must be 2)
    await after.closed;
    expect(after.packets.map((p) => p.cmd)).toEqual(v5 ? ['connack', 'disconnect'] : ['connack']);
    if (v5) expect(after.packets[1]).toMatchObject({ reasonCode: 0x81 });
    await stillServes(tb);
  });

  it('an oversized packet: v5 DISCONNECT 0x95, v3.1.1 close', async () => {
    tb = await startTestBroker({
      mqtt: { transports: ['tcp'], options: { maxPacketBytes: 1024, maxSendQueueBytes: 1024 } },
    });
    const c = await raw(tb.mqttUrl!, version);
    c.send(CONNECT(version));
    c.send({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(4096), qos: 0, dup: false, retain: false });
    await c.closed;
    expect(c.packets.map((p) => p.cmd)).toEqual(v5 ? ['connack', 'disconnect'] : ['connack']);
    if (v5) expect(c.packets[1]).toMatchObject({ reasonCode: 0x95 });
  });

  it('an invalid topic name: v5 DISCONNECT 0x90; an invalid filter: SUBACK 0x8F / 0x80', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const c = await raw(tb.mqttUrl!, version);
    c.send(CONNECT(version));
    c.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [
        { topic: 'a/#/b', qos: 0 },
        { topic: 'ok/+', qos: 0 },
      ],
    });
    c.send({ cmd: 'publish', topic: 'a/+', payload: Buffer.from('x'), qos: 0, dup: false, retain: false });
    await c.closed;
    expect(c.packets.map((p) => p.cmd)).toEqual(v5 ? ['connack', 'suback', 'disconnect'] : ['connack', 'suback']);
    expect(c.packets[1]).toMatchObject({ granted: [v5 ? 0x8f : 0x80, 0] });
    if (v5) expect(c.packets[2]).toMatchObject({ reasonCode: 0x90 });
  });

  it('a packet cut short inside a field is malformed, not routed: a QoS 1 PUBLISH without its packet id', async () => {
    // mqtt-packet reads the missing id as -1 and emits the packet anyway; the broker used to route
    // it, then fail to encode the PUBACK for id -1 (found by the fuzzer).
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const subscriber = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const received = inbox(subscriber);
    await subscriber.subscribeAsync('cut/#', { qos: 1 });
    const c = await raw(tb.mqttUrl!, version);
    c.send(CONNECT(version));
    c.socket.write(Buffer.from([0x32, 0x05, 0x00, 0x03, 0x63, 0x75, 0x74])); // QoS 1 to "cut", then nothing
    await c.closed;
    expect(c.packets.map((p) => p.cmd)).toEqual(v5 ? ['connack', 'disconnect'] : ['connack']);
    if (v5) expect(c.packets[1]).toMatchObject({ reasonCode: 0x81 });
    // The cut packet was refused before this one was sent, so this is the first delivery.
    const publisher = await clients.connect(tb.mqttUrl!, version, { username: 'pub' });
    await publisher.publishAsync('cut/marker', 'marker', { qos: 1 });
    await received.count(1);
    expect(received.items.map((m) => m.topic)).toEqual(['cut/marker']);
  });

  if (v5) {
    it('a v5 property cut short is malformed, not routed (mqtt-packet reads it as null)', async () => {
      tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
      const subscriber = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
      const received = inbox(subscriber);
      await subscriber.subscribeAsync('cut/#', { qos: 1 });
      const c = await raw(tb.mqttUrl!, version);
      c.send(CONNECT(version));
      // PUBLISH QoS 0 to "cut", properties: 1 byte, Content Type (0x03) with no string after it.
      c.socket.write(Buffer.from([0x30, 0x07, 0x00, 0x03, 0x63, 0x75, 0x74, 0x01, 0x03]));
      await c.closed;
      expect(c.packets.map((p) => p.cmd)).toEqual(['connack', 'disconnect']);
      expect(c.packets[1]).toMatchObject({ reasonCode: 0x81 });
      const publisher = await clients.connect(tb.mqttUrl!, version, { username: 'pub' });
      await publisher.publishAsync('cut/marker', 'marker', { qos: 1 });
      await received.count(1);
      expect(received.items.map((m) => m.topic)).toEqual(['cut/marker']);
    });

    // Found by the fuzzer: mqtt-packet reads a string past the packet's end as null (a User
    // Property then held `null`, which crashed the retained store's byte count), gathers a
    // property given twice into an array, and lets the last property run on into the payload.
    it.each<[string, number[], number]>([
      // PUBLISH QoS 0 to "cut", Message Expiry Interval (0x02) twice.
      [
        'a property given twice is a Protocol Error',
        [0x30, 17, 0, 3, 0x63, 0x75, 0x74, 10, 0x02, 0, 0, 0, 4, 0x02, 0, 0, 0, 5, 0x78],
        0x82,
      ],
      // Retained PUBLISH, a User Property (0x26) whose name claims 8,705 bytes; its value follows.
      [
        'a User Property name longer than the packet is malformed',
        [0x31, 13, 0, 3, 0x63, 0x75, 0x74, 6, 0x26, 0x22, 0x01, 0x00, 0x01, 0x47, 0x78],
        0x81,
      ],
      // Property Length 2, then a Message Expiry Interval of 5 bytes that runs into the payload.
      [
        'properties running past their Property Length are malformed',
        [0x30, 12, 0, 3, 0x63, 0x75, 0x74, 2, 0x02, 0, 0, 0, 4, 0x78],
        0x81,
      ],
    ])('%s: DISCONNECT, nothing routed', async (_name, bytes, reasonCode) => {
      tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
      const subscriber = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
      const received = inbox(subscriber);
      await subscriber.subscribeAsync('cut/#', { qos: 1 });
      const c = await raw(tb.mqttUrl!, version);
      c.send(CONNECT(version));
      c.socket.write(Buffer.from(bytes));
      await c.closed;
      expect(c.packets.map((p) => p.cmd)).toEqual(['connack', 'disconnect']);
      expect(c.packets[1]).toMatchObject({ reasonCode });
      const publisher = await clients.connect(tb.mqttUrl!, version, { username: 'pub' });
      await publisher.publishAsync('cut/marker', 'marker', { qos: 1 });
      await received.count(1);
      expect(received.items.map((m) => m.topic)).toEqual(['cut/marker']);
      // Nothing was retained either: a retained message would reach a new subscriber before
      // anything published after its SUBACK.
      const late = await clients.connect(tb.mqttUrl!, 5, { username: 'late' });
      const lateReceived = inbox(late);
      await late.subscribeAsync('cut', { qos: 1 });
      await publisher.publishAsync('cut', 'after', { qos: 1 });
      await lateReceived.count(1);
      expect(lateReceived.items.map((m) => m.text)).toEqual(['after']);
    });
  }

  it('closes a client silent for 1.5 x its keepalive', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const c = await raw(tb.mqttUrl!, version);
    c.send({ ...CONNECT(version), keepalive: 1 } as Packet);
    // Logged on first (a failure then says which half hung), then closed ~1.5 s after the CONNECT.
    await vi.waitFor(() => expect(c.packets[0]?.cmd).toBe('connack'), { timeout: 8_000, interval: 5 });
    await c.closed;
    expect(c.packets.map((p) => p.cmd)).toEqual(v5 ? ['connack', 'disconnect'] : ['connack']);
    if (v5) expect(c.packets[1]).toMatchObject({ reasonCode: 0x8d });
  });
});
