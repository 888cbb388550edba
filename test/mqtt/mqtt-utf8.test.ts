// Ill-formed UTF-8 in MQTT strings: [MQTT-1.5.4-1] (v3.1.1 [MQTT-1.5.3-1])
// makes such a packet malformed, so the connection is closed (v5, after CONNECT: DISCONNECT 0x81
// first). The fast PUBLISH path once decoded the bytes with U+FFFD and forwarded the original ones.
// Packets are built by mqtt-packet with a marker in the string, whose middle byte is then
// overwritten, and sent over a real socket.
import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { startTestBroker } from '../helpers/broker.js';
import { inbox, useMqttFixture, type RawMqtt, type Version } from './mqtt-helpers.js';

const fx = useMqttFixture();
const { clients, raws } = fx;

const MARK = 'XZX';

/** `packet` encoded, with the Z of its one MARK replaced by 0xFF (a byte never valid in UTF-8). */
function illFormed(packet: Packet, version: Version): Buffer {
  const bytes = mqttPacket.generate(packet, { protocolVersion: version });
  const at = bytes.indexOf(MARK);
  if (at === -1 || bytes.indexOf(MARK, at + 1) !== -1) throw new Error('the packet must hold the marker exactly once');
  bytes[at + 1] = 0xff;
  return bytes;
}

const CONNECT = (version: Version, extra: Partial<Packet> = {}): Packet =>
  ({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: version,
    clientId: `utf8-${version}`,
    clean: true,
    keepalive: 0,
    username: 'u',
    ...extra,
  }) as Packet;

/** A watcher subscribed to everything, the raw client connected; after the test, the watcher must have got only `expected`. */
async function setup(
  version: Version,
): Promise<{ raw: RawMqtt; seen: ReturnType<typeof inbox>; publishMarker(): Promise<void> }> {
  fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
  const watcher = await clients.connect(fx.tb.mqttUrl!, 5, { username: 'watcher' });
  const seen = inbox(watcher);
  await watcher.subscribeAsync('#', { qos: 1 });
  const raw = await raws.connect(fx.tb.mqttUrl!, version, CONNECT(version) as never);
  const publishMarker = async (): Promise<void> => {
    const other = await clients.connect(fx.tb!.mqttUrl!, version, { username: 'other' });
    await other.publishAsync('marker', 'after', { qos: 1 });
    await seen.until((items) => items.some((m) => m.topic === 'marker'));
  };
  return { raw, seen, publishMarker };
}

async function refusedAsMalformed(raw: RawMqtt, v5: boolean): Promise<void> {
  await raw.closed;
  const cmds = raw.packets.items.map((p) => p.cmd);
  expect(cmds).toEqual(v5 ? ['connack', 'disconnect'] : ['connack']);
  if (v5) expect(raw.packets.items[1]).toMatchObject({ reasonCode: 0x81 });
}

describe.each<Version>([4, 5])('MQTT %i ill-formed UTF-8', (version) => {
  const v5 = version === 5;

  it.each([0, 1] as const)(
    'a PUBLISH (QoS %i, fast path) whose topic name is not UTF-8: malformed, never forwarded',
    async (qos) => {
      const { raw, seen, publishMarker } = await setup(version);
      raw.socket.write(
        illFormed(
          {
            cmd: 'publish',
            topic: `t/${MARK}`,
            payload: Buffer.from('bad'),
            qos,
            retain: false,
            dup: false,
            messageId: qos > 0 ? 1 : undefined,
          } as Packet,
          version,
        ),
      );
      await refusedAsMalformed(raw, v5);
      await publishMarker();
      expect(seen.items.map((m) => m.topic)).toEqual(['marker']);
      expect(fx.tb!.broker.stats().protocolErrors).toBe(1);
    },
  );

  it('a topic holding a genuine U+FFFD (well-formed) is accepted and delivered as it is', async () => {
    const { raw, seen } = await setup(version);
    raw.send({
      cmd: 'publish',
      topic: 't/\uFFFD',
      payload: Buffer.from('ok'),
      qos: 0,
      retain: false,
      dup: false,
    } as Packet);
    await seen.until((items) => items.some((m) => m.text === 'ok'));
    expect(seen.items[0]!.topic).toBe('t/\uFFFD');
  });

  it('a SUBSCRIBE or UNSUBSCRIBE whose topic filter is not UTF-8 is malformed', async () => {
    for (const packet of [
      { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `s/${MARK}`, qos: 0 }] },
      { cmd: 'unsubscribe', messageId: 2, unsubscriptions: [`s/${MARK}`] },
    ] as Packet[]) {
      fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
      const raw = await raws.connect(fx.tb.mqttUrl!, version, CONNECT(version) as never);
      raw.socket.write(illFormed(packet, version));
      await refusedAsMalformed(raw, v5);
      await fx.tb.close();
      fx.tb = null;
    }
  });

  it.each([
    ['will topic', { will: { topic: `w/${MARK}`, payload: Buffer.from('gone'), qos: 0, retain: false } }],
    ['user name', { username: `u${MARK}` }],
    ['client id', { clientId: `c${MARK}` }],
  ])('a CONNECT whose %s is not UTF-8 is closed without a CONNACK (and no will)', async (_what, extra) => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const watcher = await clients.connect(fx.tb.mqttUrl!, 5, { username: 'watcher' });
    const seen = inbox(watcher);
    await watcher.subscribeAsync('#', { qos: 1 });
    const raw = await raws.open(fx.tb.mqttUrl!, version);
    raw.socket.write(illFormed(CONNECT(version, extra as Partial<Packet>), version));
    await raw.closed;
    expect(raw.packets.items).toEqual([]);
    const other = await clients.connect(fx.tb.mqttUrl!, version, { username: 'other' });
    await other.publishAsync('marker', 'after', { qos: 1 });
    await seen.until((items) => items.some((m) => m.topic === 'marker'));
    expect(seen.items.map((m) => m.topic)).toEqual(['marker']);
  });

  it('a binary password (not a UTF-8 string) may hold any bytes', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const raw = await raws.open(fx.tb.mqttUrl!, version);
    raw.socket.write(illFormed(CONNECT(version, { password: Buffer.from(MARK) } as Partial<Packet>), version));
    await raw.packets.count(1);
    expect(raw.packets.items[0]).toMatchObject({ cmd: 'connack' });
    expect(raw.packets.items[0]!).toMatchObject(v5 ? { reasonCode: 0 } : { returnCode: 0 });
  });
});

describe('MQTT 5 ill-formed UTF-8 in properties', () => {
  it('a PUBLISH with properties (mqtt-packet path) whose topic, or a user property, is not UTF-8: DISCONNECT 0x81', async () => {
    for (const packet of [
      {
        cmd: 'publish',
        topic: `p/${MARK}`,
        payload: Buffer.from('bad'),
        qos: 0,
        retain: false,
        dup: false,
        properties: { contentType: 'text/plain' },
      },
      {
        cmd: 'publish',
        topic: 'p/ok',
        payload: Buffer.from('bad'),
        qos: 0,
        retain: false,
        dup: false,
        properties: { userProperties: { k: MARK } },
      },
      {
        cmd: 'publish',
        topic: 'p/ok',
        payload: Buffer.from('bad'),
        qos: 0,
        retain: false,
        dup: false,
        properties: { contentType: MARK },
      },
    ] as Packet[]) {
      const { raw, seen, publishMarker } = await setup(5);
      raw.socket.write(illFormed(packet, 5));
      await refusedAsMalformed(raw, true);
      await publishMarker();
      expect(seen.items.map((m) => m.topic)).toEqual(['marker']);
      raws.teardown();
      await clients.teardown();
      await fx.tb!.close();
      fx.tb = null;
    }
  });
});
