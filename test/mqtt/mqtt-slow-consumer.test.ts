// What a subscriber can make the broker hold: the queued-bytes limit
// (maxSendQueueBytes) counts every message held for it, in flight or waiting for a Receive Maximum
// slot, at its topic, properties, payload and overhead, so a subscriber that never acknowledges is
// disconnected even when every payload is empty. And the v5 CONNECT properties the spec makes
// protocol errors (Receive Maximum 0, Maximum Packet Size 0): CONNACK 0x82.
import { describe, expect, it } from 'vitest';
import type { IDisconnectPacket, Packet } from 'mqtt-packet';
import {
  HELD_MESSAGE_OVERHEAD_BYTES,
  HELD_PAYLOAD_OVERHEAD_BYTES,
  messageHeldBytes,
} from '../../server/mqtt/held-bytes.js';
import { detached } from '../../server/mqtt/detached-bytes.js';
import { PublishProperties } from '../../server/mqtt/publish-properties.js';
import { startTestBroker } from '../helpers/broker.js';
import { inbox, useMqttFixture, type RawMqtt, type Version } from './mqtt-helpers.js';

const fx = useMqttFixture();
const { clients, raws } = fx;

const LIMIT = 64 * 1024;
/** A 900-character topic, as in `bench:abuse` attack 3a. */
const LONG_TOPIC = `slow/${'t'.repeat(895)}`;

const packetsOf = (raw: RawMqtt, cmd: Packet['cmd']) => raw.packets.items.filter((p) => p.cmd === cmd);

describe('the queued-bytes limit counts what is held, not only payloads', () => {
  const cases: { name: string; version: Version; receiveMaximum?: number }[] = [
    { name: 'v5, Receive Maximum 1 (messages wait for a slot)', version: 5, receiveMaximum: 1 },
    { name: 'v5, default Receive Maximum (messages in flight)', version: 5 },
    { name: 'v3.1.1 (messages in flight)', version: 4 },
  ];

  it.each(cases)(
    '$name: a subscriber that never acknowledges empty QoS 1 messages on long topics is disconnected',
    async ({ version, receiveMaximum }) => {
      fx.tb = await startTestBroker({
        mqtt: { transports: ['tcp'], options: { maxPacketBytes: 16 * 1024, maxSendQueueBytes: LIMIT } },
      });
      const url = fx.tb.mqttUrl!;
      const sub = await raws.connect(url, version, {
        clientId: 'slow',
        clean: true,
        username: 'sub',
        ...(receiveMaximum === undefined ? {} : { properties: { receiveMaximum } }),
      });
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'slow/#', qos: 1 }] });
      await sub.packets.count(2);
      let subClosed = false;
      void sub.closed.then(() => (subClosed = true));
      const pub = await clients.connect(url, version, { username: 'pub' });
      // One at a time: each publish is routed to the subscriber before its PUBACK comes back.
      let published = 0;
      while (!subClosed && published < 1000) {
        await pub.publishAsync(LONG_TOPIC, Buffer.alloc(0), { qos: 1 });
        published++;
      }
      // Payload bytes alone (0) never reach the limit; topic bytes alone reach it after LIMIT / 900
      // messages (a few more may be published before the close is seen here).
      expect(published).toBeLessThanOrEqual(Math.ceil(LIMIT / LONG_TOPIC.length) + 3);
      await sub.closed;
      expect(fx.tb.broker.stats().slowConsumerDisconnects).toBe(1);
      // The subscriber still read its socket: v5 is told why.
      const disconnects = packetsOf(sub, 'disconnect') as IDisconnectPacket[];
      if (version === 5) expect(disconnects).toMatchObject([{ reasonCode: 0x97 }]);
      else expect(disconnects).toEqual([]);
      // Other clients are unaffected.
      await pub.publishAsync('other/topic', 'still up', { qos: 1 });
    },
  );

  it('v5 properties count: empty messages on a short topic with large user properties and correlation data', async () => {
    fx.tb = await startTestBroker({
      mqtt: { transports: ['tcp'], options: { maxPacketBytes: 16 * 1024, maxSendQueueBytes: LIMIT } },
    });
    const url = fx.tb.mqttUrl!;
    const sub = await raws.connect(url, 5, {
      clientId: 'props',
      clean: true,
      username: 'sub',
      properties: { receiveMaximum: 1 },
    });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'p', qos: 1 }] });
    await sub.packets.count(2);
    let subClosed = false;
    void sub.closed.then(() => (subClosed = true));
    const pub = await clients.connect(url, 5, { username: 'pub' });
    const properties = { userProperties: { note: 'u'.repeat(6000) }, correlationData: Buffer.alloc(4000, 1) };
    let published = 0;
    while (!subClosed && published < 100) {
      await pub.publishAsync('p', Buffer.alloc(0), { qos: 1, properties });
      published++;
    }
    // About 10 KB of properties per message: the limit is passed within a few messages.
    expect(published).toBeLessThanOrEqual(Math.ceil(LIMIT / 10_000) + 3);
    await sub.closed;
    expect(packetsOf(sub, 'disconnect')).toMatchObject([{ reasonCode: 0x97 }]);
  });

  it('a subscriber that acknowledges is not disconnected, however many messages pass', async () => {
    fx.tb = await startTestBroker({
      mqtt: { transports: ['tcp'], options: { maxPacketBytes: 16 * 1024, maxSendQueueBytes: LIMIT } },
    });
    const url = fx.tb.mqttUrl!;
    // The npm client acknowledges each message as it arrives.
    const sub = await clients.connect(url, 5, { username: 'sub', properties: { receiveMaximum: 1 } });
    const got = inbox(sub);
    await sub.subscribeAsync('slow/#', { qos: 1 });
    const pub = await clients.connect(url, 5, { username: 'pub' });
    const n = 3 * Math.ceil(LIMIT / LONG_TOPIC.length);
    for (let i = 0; i < n; i++) await pub.publishAsync(LONG_TOPIC, Buffer.alloc(0), { qos: 1 });
    await got.count(n);
    expect(fx.tb.broker.stats().slowConsumerDisconnects).toBe(0);
  });
});

describe('v5 CONNECT properties that are protocol errors', () => {
  it.each([
    ['Receive Maximum 0', { receiveMaximum: 0 }],
    ['Maximum Packet Size 0', { maximumPacketSize: 0 }],
  ])('%s: CONNACK 0x82, then close', async (_name, properties) => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const raw = await raws.connect(fx.tb.mqttUrl!, 5, { clientId: 'zero', clean: true, username: 'u', properties });
    await raw.closed;
    expect(raw.packets.items).toMatchObject([{ cmd: 'connack', reasonCode: 0x82 }]);
    expect(fx.tb.broker.stats()).toMatchObject({ logons: 0, protocolErrors: 1 });
  });
});

describe('held-bytes: what one held message is counted at', () => {
  it('topic, payload and properties, plus the documented overheads', () => {
    const props = PublishProperties.of({ userProperties: { k: 'vv' }, correlationData: Buffer.alloc(10) }, 0);
    expect(messageHeldBytes('a/b', Buffer.alloc(0), null, null)).toBe(HELD_MESSAGE_OVERHEAD_BYTES + 3);
    // A small payload is a copy in Node's pool, sharing (and keeping alive) its slab: 2.5 times its length.
    expect(messageHeldBytes('a/b', Buffer.alloc(10), null, null)).toBe(
      HELD_MESSAGE_OVERHEAD_BYTES + 3 + HELD_PAYLOAD_OVERHEAD_BYTES + 25,
    );
    expect(messageHeldBytes('a/b', Buffer.alloc(5000), null, null)).toBe(
      HELD_MESSAGE_OVERHEAD_BYTES + 3 + HELD_PAYLOAD_OVERHEAD_BYTES + 5000,
    );
    // V8 keeps a topic with characters beyond Latin-1 at two bytes each.
    expect(messageHeldBytes('€/b', Buffer.alloc(0), null, null)).toBe(HELD_MESSAGE_OVERHEAD_BYTES + 6);
    expect(messageHeldBytes('a/b', Buffer.alloc(0), props, [1, 2])).toBeGreaterThan(
      HELD_MESSAGE_OVERHEAD_BYTES + 3 + 1 + 2 + 10 + 16,
    );
  });

  it('a held payload does not keep the socket read it arrived in alive', () => {
    const read = Buffer.alloc(64 * 1024, 7);
    const view = read.subarray(1000, 1010);
    const own = detached(view);
    expect(own).toEqual(view);
    expect(own.buffer).not.toBe(read.buffer);
    expect(own.buffer.byteLength).toBeLessThanOrEqual(Buffer.poolSize);
    // Idempotent: every holder may call it, and a copy is not copied again.
    expect(detached(own)).toBe(own);
    const large = detached(read.subarray(0, 20_000));
    expect(large.buffer.byteLength).toBe(20_000);
    expect(detached(large)).toBe(large);
    // A buffer that owns (almost) all its memory is kept as it is; an empty one holds nothing.
    const whole = Buffer.allocUnsafeSlow(100);
    expect(detached(whole)).toBe(whole);
    expect(detached(read.subarray(5, 5)).buffer).not.toBe(read.buffer);
  });
});
