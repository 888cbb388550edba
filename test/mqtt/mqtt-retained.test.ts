// Retained messages: set, replace, clear with an empty payload, sent on subscribe with the retain
// flag, v5 Retain Handling and Retain As Published, entitled like any read (entitlement, filter,
// select list), and the store's bound.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { loadConfigFile } from '../../server/config/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import type { Collector } from '../helpers/collector.js';
import { inbox, MqttClients, type Received, type Version } from './mqtt-helpers.js';

const EXAMPLES = join(import.meta.dirname, '../../config/examples');
let tb: TestBroker | null = null;
const clients = new MqttClients();
afterEach(async () => {
  await clients.teardown();
  await tb?.close();
  tb = null;
});

async function exampleBroker(file: string): Promise<TestBroker> {
  const security = loadConfigFile(join(EXAMPLES, file)).security;
  tb = await startTestBroker({ security, baseDir: EXAMPLES, mqtt: { transports: ['tcp'] } });
  return tb;
}

/**
 * Everything `got` receives up to a live marker published after the subscription: retained messages
 * come right after the SUBACK, before any later live message (per-target order), so nothing is missed.
 */
async function untilMarker(
  got: Collector<Received>,
  publisher: MqttClient,
  topic: string,
): Promise<[string, string, boolean][]> {
  await publisher.publishAsync(topic, 'marker', { qos: 1 });
  await got.until((items) => items.some((m) => m.text === 'marker'));
  return got.items.filter((m) => m.text !== 'marker').map((m) => [m.topic, m.text, m.retain]);
}

describe.each<Version>([4, 5])('MQTT %i retained messages', (version) => {
  it('sets, replaces and clears; a new subscriber gets the current one with the retain flag', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const pub = await clients.connect(tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('r/1', 'one', { qos: 1, retain: true });
    await pub.publishAsync('r/1', 'two', { qos: 1, retain: true }); // replaces
    await pub.publishAsync('r/2', 'gone', { qos: 1, retain: true });
    await pub.publishAsync('r/2', '', { qos: 1, retain: true }); // clears
    await pub.publishAsync('r/3', 'not retained', { qos: 1 });
    const sub = await clients.connect(tb.mqttUrl!, version, { username: 'sub' });
    const got = inbox(sub);
    await sub.subscribeAsync('r/#', { qos: 1 });
    expect(await untilMarker(got, pub, 'r/marker')).toEqual([['r/1', 'two', true]]);
    expect(got.items[0]!.qos).toBe(1);
    expect(tb.broker.stats().mqttRetainedRefused).toBe(0);
  });

  it('an exact-topic subscription gets its retained message; a live retained publish arrives with retain 0', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const pub = await clients.connect(tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('e/1', 'kept', { qos: 0, retain: true });
    const sub = await clients.connect(tb.mqttUrl!, version, { username: 'sub' });
    const got = inbox(sub);
    await sub.subscribeAsync(['e/1', 'e/live'], { qos: 1 });
    await pub.publishAsync('e/live', 'live', { qos: 1, retain: true });
    expect(await untilMarker(got, pub, 'e/live')).toEqual([
      ['e/1', 'kept', true],
      ['e/live', 'live', false], // [MQTT-3.3.1-12] without Retain As Published
    ]);
    expect(got.items[0]!.qos).toBe(0); // stored at QoS 0
  });

  it('sends retained messages only on topics the subscriber may read', async () => {
    const b = await exampleBroker('secure.yaml');
    const admin = await clients.connect(b.mqttUrl!, version, { username: 'admin', password: 'admin-secret' });
    await admin.publishAsync('prices/private/x', 'secret', { qos: 1, retain: true });
    await admin.publishAsync('prices/public/x', 'open', { qos: 1, retain: true });
    const eve = await clients.connect(b.mqttUrl!, version, { username: 'eve', password: 'eve-pw' });
    const got = inbox(eve);
    await eve.subscribeAsync('prices/#', { qos: 1 });
    expect(await untilMarker(got, admin, 'prices/public/marker')).toEqual([['prices/public/x', 'open', true]]);
    expect(b.broker.stats().deliveriesNotEntitled).toBeGreaterThanOrEqual(1);
  });

  it('applies the entitlement filter and select list to retained messages', async () => {
    const b = await exampleBroker('content.yaml');
    const admin = await clients.connect(b.mqttUrl!, version, { username: 'admin', password: 'admin-secret' });
    await admin.publishAsync('trades/us', JSON.stringify({ sym: 'A', px: 1, region: 'US', qty: 5 }), {
      qos: 1,
      retain: true,
    });
    await admin.publishAsync('trades/eu', JSON.stringify({ sym: 'B', px: 2, region: 'EU', qty: 5 }), {
      qos: 1,
      retain: true,
    });
    await admin.publishAsync('trades/text', 'not json', { qos: 1, retain: true });
    const analyst = await clients.connect(b.mqttUrl!, version, { username: 'analyst', password: 'analyst-pw' });
    const got = inbox(analyst);
    await analyst.subscribeAsync('trades/#', { qos: 1 });
    const marker = JSON.stringify({ region: 'EU', sym: 'marker' });
    await admin.publishAsync('trades/m', marker, { qos: 1 });
    await got.until((items) => items.some((m) => m.topic === 'trades/m'));
    expect(got.items.map((m) => [m.topic, JSON.parse(m.text), m.retain])).toEqual([
      ['trades/eu', { sym: 'B', px: 2 }, true],
      ['trades/m', { sym: 'marker' }, false],
    ]);
    expect(b.broker.stats().deliveriesNotFilterable).toBe(1);
  });

  it('does not store beyond mqtt.retained.maxMessages (counted), but still delivers live', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, mqttConfig: { retained: { maxMessages: 1 } } });
    const live = await clients.connect(tb.mqttUrl!, version, { username: 'live' });
    const liveGot = inbox(live);
    await live.subscribeAsync('b/#', { qos: 1 });
    const pub = await clients.connect(tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('b/1', 'first', { qos: 1, retain: true });
    await pub.publishAsync('b/2', 'second', { qos: 1, retain: true }); // refused by the store
    await pub.publishAsync('b/1', 'replaced', { qos: 1, retain: true }); // a replacement fits
    await liveGot.count(3);
    expect(tb.broker.stats().mqttRetainedRefused).toBe(1);
    const sub = await clients.connect(tb.mqttUrl!, version, { username: 'sub' });
    const got = inbox(sub);
    await sub.subscribeAsync('b/#', { qos: 1 });
    expect(await untilMarker(got, pub, 'b/marker')).toEqual([['b/1', 'replaced', true]]);
  });
});

describe('mqtt.retained.maxBytes counts the whole stored message', () => {
  // 64 KiB: with payload-only counting, the 1-byte payloads below would never come near it.
  const maxBytes = 64 * 1024;

  it('MQTT 5: user properties count; a retained publish beyond the bound is acknowledged 0x00 but not stored (counted)', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, mqttConfig: { retained: { maxBytes } } });
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    const properties = { userProperties: { note: 'p'.repeat(20_000) } }; // about 20 KB held, 1-byte payload
    const acks: number[] = [];
    pub.on('packetreceive', (p) => {
      if (p.cmd === 'puback') acks.push(p.reasonCode ?? 0);
    });
    for (let i = 1; i <= 4; i++) await pub.publishAsync(`u/${i}`, 'x', { qos: 1, retain: true, properties });
    // Three fit in 64 KiB; the fourth does not. The refusal is the store's, not the publisher's: still 0x00.
    expect(acks).toEqual([0, 0, 0, 0]);
    expect(tb.broker.stats().mqttRetainedRefused).toBe(1);
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const got = inbox(sub);
    await sub.subscribeAsync('u/#', { qos: 1 });
    expect(await untilMarker(got, pub, 'u/marker')).toEqual([
      ['u/1', 'x', true],
      ['u/2', 'x', true],
      ['u/3', 'x', true],
    ]);
  });

  it('MQTT 3.1.1: long topics count (1-byte payloads)', async () => {
    tb = await startTestBroker({
      topics: { maxTopicLength: 65_535 },
      mqtt: { transports: ['tcp'] },
      mqttConfig: { retained: { maxBytes } },
    });
    const pub = await clients.connect(tb.mqttUrl!, 4, { username: 'pub' });
    const topic = (i: number): string => `t/${i}/${'l'.repeat(20_000)}`;
    for (let i = 1; i <= 4; i++) await pub.publishAsync(topic(i), 'x', { qos: 1, retain: true });
    expect(tb.broker.stats().mqttRetainedRefused).toBe(1);
    // Clearing one (empty payload) gives its bytes back: the fourth now fits.
    await pub.publishAsync(topic(1), '', { qos: 1, retain: true });
    await pub.publishAsync(topic(4), 'x', { qos: 1, retain: true });
    expect(tb.broker.stats().mqttRetainedRefused).toBe(1);
    const sub = await clients.connect(tb.mqttUrl!, 4, { username: 'sub' });
    const got = inbox(sub);
    await sub.subscribeAsync('t/#', { qos: 1 });
    expect((await untilMarker(got, pub, 't/marker')).map(([t]) => t.slice(0, 4))).toEqual(['t/2/', 't/3/', 't/4/']);
  });
});

describe('MQTT 5 retain options', () => {
  it('Retain Handling 0 sends on every subscribe, 1 only for a new subscription, 2 never', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    await pub.publishAsync('h/0', 'zero', { qos: 1, retain: true });
    await pub.publishAsync('h/1', 'one', { qos: 1, retain: true });
    await pub.publishAsync('h/2', 'two', { qos: 1, retain: true });
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const got = inbox(sub);
    for (let round = 0; round < 2; round++) {
      await sub.subscribeAsync('h/0', { qos: 1, rh: 0 });
      await sub.subscribeAsync('h/1', { qos: 1, rh: 1 });
      await sub.subscribeAsync('h/2', { qos: 1, rh: 2 });
    }
    expect(await untilMarker(got, pub, 'h/0')).toEqual([
      ['h/0', 'zero', true],
      ['h/1', 'one', true],
      ['h/0', 'zero', true],
    ]);
  });

  it('Retain As Published keeps the retain flag on live deliveries', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const got = inbox(sub);
    await sub.subscribeAsync('p/rap', { qos: 1, rap: true });
    await sub.subscribeAsync('p/plain', { qos: 1 });
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    await pub.publishAsync('p/rap', 'a', { qos: 1, retain: true });
    await pub.publishAsync('p/plain', 'b', { qos: 1, retain: true });
    await pub.publishAsync('p/rap', 'c', { qos: 1 });
    await got.count(3);
    expect(got.items.map((m) => [m.topic, m.text, m.retain])).toEqual([
      ['p/rap', 'a', true],
      ['p/plain', 'b', false],
      ['p/rap', 'c', false],
    ]);
  });
});
