// Will messages: published when a connection ends abnormally (not after DISCONNECT 0x00; after a
// v5 DISCONNECT 0x04), as the user (write entitlement and write filter), retained when asked,
// v5 Will Delay Interval (cancelled by a reconnection with the same client id), and v5 will
// properties sent with the will. Will delays run on time the tests move by hand.
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../server/config/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import type { Collector } from '../helpers/collector.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { inbox, useMqttFixture, type Received, type Version } from './mqtt-helpers.js';

const EXAMPLES = join(import.meta.dirname, '../../config/examples');
const fx = useMqttFixture();
const { clients, raws } = fx;

async function exampleBroker(file: string): Promise<TestBroker> {
  const security = loadConfigFile(join(EXAMPLES, file)).security;
  fx.tb = await startTestBroker({ security, baseDir: EXAMPLES, mqtt: { transports: ['tcp'] } });
  return fx.tb;
}

/** What `got` received before a marker `publisher` sends after the will was (or was not) published. */
async function beforeMarker(
  got: Collector<Received>,
  publisher: MqttClient,
  topic: string,
  marker = 'marker',
): Promise<[string, string][]> {
  await publisher.publishAsync(topic, marker, { qos: 1 });
  await got.until((items) => items.some((m) => m.text === marker));
  return got.items.filter((m) => m.text !== marker).map((m) => [m.topic, m.text]);
}

const will = (topic: string, payload: string, extra: Record<string, unknown> = {}) => ({
  topic,
  payload: Buffer.from(payload),
  qos: 1 as const,
  retain: false,
  ...extra,
});

describe.each<Version>([4, 5])('MQTT %i will messages', (version) => {
  const v5 = version === 5;

  it('publishes the will when the connection drops, and not after a normal DISCONNECT', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const watcher = await clients.connect(fx.tb.mqttUrl!, version, { username: 'w' });
    const got = inbox(watcher);
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const polite = await raws.connect(fx.tb.mqttUrl!, version, {
      clientId: 'polite',
      clean: true,
      username: 'p',
      will: will('will/polite', 'polite gone'),
    });
    polite.send({ cmd: 'disconnect' });
    await polite.closed; // the broker closed it after handling the DISCONNECT
    const rude = await raws.connect(fx.tb.mqttUrl!, version, {
      clientId: 'rude',
      clean: true,
      username: 'r',
      will: will('will/rude', 'rude gone'),
    });
    rude.socket.destroy();
    await got.count(1);
    expect(await beforeMarker(got, watcher, 'will/marker')).toEqual([['will/rude', 'rude gone']]);
    expect(got.items[0]!.qos).toBe(1);
    expect(fx.tb.broker.stats().mqttWillsPublished).toBe(1);
  });

  it('a retained will is stored; a protocol violation publishes the will', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const c = await raws.connect(fx.tb.mqttUrl!, version, {
      clientId: 'c',
      clean: true,
      username: 'c',
      will: will('status/c', 'offline', { retain: true }),
    });
    c.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId: 'c', clean: true, keepalive: 0 }); // a second CONNECT
    await c.closed;
    const late = await clients.connect(fx.tb.mqttUrl!, version, { username: 'late' });
    const got = inbox(late);
    await late.subscribeAsync('status/+', { qos: 1 });
    await got.count(1);
    expect(got.items.map((m) => [m.topic, m.text, m.retain])).toEqual([['status/c', 'offline', true]]);
  });

  it('publishes the will only if the user may write its topic (and it passes the write filter)', async () => {
    const b = await exampleBroker('secure.yaml');
    const admin = await clients.connect(b.mqttUrl!, version, { username: 'admin', password: 'admin-secret' });
    const got = inbox(admin);
    await admin.subscribeAsync('orders/#', { qos: 1 });
    const forged = await raws.connect(b.mqttUrl!, version, {
      clientId: 'b1',
      clean: true,
      username: 'bob',
      password: Buffer.from('bob-pw'),
      will: will('orders/alice/w', 'forged'),
    });
    forged.socket.destroy();
    const own = await raws.connect(b.mqttUrl!, version, {
      clientId: 'b2',
      clean: true,
      username: 'bob',
      password: Buffer.from('bob-pw'),
      will: will('orders/bob/w', 'mine'),
    });
    own.socket.destroy();
    await got.count(1);
    expect(await beforeMarker(got, admin, 'orders/admin/marker')).toEqual([['orders/bob/w', 'mine']]);
    expect(b.broker.stats().publishesDenied).toBe(1);
  });

  it('a will refused by the write filter is not published', async () => {
    const b = await exampleBroker('content.yaml');
    const auditor = await clients.connect(b.mqttUrl!, version, { username: 'auditor', password: 'auditor-pw' });
    const got = inbox(auditor);
    await auditor.subscribeAsync('trades/#', { qos: 1 });
    const bad = await raws.connect(b.mqttUrl!, version, {
      clientId: 'f1',
      clean: true,
      username: 'feed',
      password: Buffer.from('feed-pw'),
      will: will('trades/w', JSON.stringify({ px: -1 })),
    });
    bad.socket.destroy();
    const good = await raws.connect(b.mqttUrl!, version, {
      clientId: 'f2',
      clean: true,
      username: 'feed',
      password: Buffer.from('feed-pw'),
      will: will('trades/w', JSON.stringify({ px: 1 })),
    });
    good.socket.destroy();
    await got.count(1);
    const feed = await clients.connect(b.mqttUrl!, version, { username: 'feed', password: 'feed-pw' });
    expect(await beforeMarker(got, feed, 'trades/marker', '{"px":2}')).toEqual([['trades/w', '{"px":1}']]);
    expect(b.broker.stats().publishesFiltered).toBe(1);
  });

  // Declared for v5 only (v3.1.1 DISCONNECT has no reason code), so nothing is reported as skipped.
  if (v5)
    it('v5 DISCONNECT 0x04 publishes the will', async () => {
      fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
      const watcher = await clients.connect(fx.tb.mqttUrl!, version, { username: 'w' });
      const got = inbox(watcher);
      await watcher.subscribeAsync('will/#', { qos: 1 });
      const c = await raws.connect(fx.tb.mqttUrl!, version, {
        clientId: 'c',
        clean: true,
        username: 'c',
        will: will('will/c', 'asked for'),
      });
      c.send({ cmd: 'disconnect', reasonCode: 0x04 });
      await got.count(1);
      expect(got.items.map((m) => m.text)).toEqual(['asked for']);
    });
});

describe('MQTT 5 Will Delay Interval', () => {
  it('delays the will; a reconnection with the same client id within the delay cancels it', async () => {
    const timers = new ManualTimers();
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, timers });
    const watcher = await clients.connect(fx.tb.mqttUrl!, 5, { username: 'w' });
    const got = inbox(watcher);
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const delayed = { properties: { willDelayInterval: 1 } };
    const session = { sessionExpiryInterval: 60 };
    const back = await raws.connect(fx.tb.mqttUrl!, 5, {
      clientId: 'back',
      clean: true,
      username: 'b',
      properties: session,
      will: will('will/back', 'back gone', delayed),
    });
    back.socket.destroy();
    await back.closed;
    await timers.armed(1000); // its will waits
    const returned = await raws.connect(fx.tb.mqttUrl!, 5, { clientId: 'back', clean: true, username: 'b' }); // cancels it
    expect(timers.pendingCount(1000)).toBe(0);
    const away = await raws.connect(fx.tb.mqttUrl!, 5, {
      clientId: 'away',
      clean: true,
      username: 'a',
      properties: session,
      will: will('will/away', 'away gone', delayed),
    });
    away.socket.destroy();
    await away.closed;
    await timers.armed(1000);
    timers.advance(999);
    expect(fx.tb.broker.stats().mqttWillsPublished).toBe(0);
    timers.advance(1);
    await got.count(1); // "back gone", armed first for the same time, would have come first
    expect(got.items.map((m) => m.text)).toEqual(['away gone']);
    expect(returned.packets.items[0]).toMatchObject({ cmd: 'connack', reasonCode: 0 });
  });

  it('publishes at once when the session expires first (Session Expiry 0)', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const watcher = await clients.connect(fx.tb.mqttUrl!, 5, { username: 'w' });
    const got = inbox(watcher);
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const c = await raws.connect(fx.tb.mqttUrl!, 5, {
      clientId: 'c',
      clean: true,
      username: 'c',
      will: will('will/c', 'now', { properties: { willDelayInterval: 3600 } }),
    });
    c.socket.destroy();
    await got.count(1);
    expect(got.items.map((m) => m.text)).toEqual(['now']);
  });
});

describe('MQTT 5 will properties', () => {
  const props = {
    contentType: 'text/plain',
    responseTopic: 'replies/w',
    correlationData: Buffer.from([7, 0, 7]),
    payloadFormatIndicator: true,
    userProperties: { why: 'dropped', tag: ['a', 'b'] },
  };

  async function watch(b: TestBroker) {
    const w = await raws.connect(b.mqttUrl!, 5, { clientId: 'watcher', clean: true, username: 'w' });
    w.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'will/#', qos: 1 }] });
    await w.packets.count(2);
    return w;
  }

  it('sends the will with its Message Expiry Interval, Content Type, Response Topic, Correlation Data, Payload Format Indicator and User Properties', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const w = await watch(fx.tb);
    const c = await raws.connect(fx.tb.mqttUrl!, 5, {
      clientId: 'c',
      clean: true,
      username: 'c',
      will: will('will/c', 'gone', { properties: { ...props, messageExpiryInterval: 60 } }),
    });
    c.socket.destroy();
    await w.packets.count(3);
    const sent = w.packets.items[2] as IPublishPacket;
    expect(sent).toMatchObject({ cmd: 'publish', topic: 'will/c', qos: 1, properties: props });
    expect(sent.payload.toString()).toBe('gone');
    expect(sent.properties?.messageExpiryInterval).toBeGreaterThanOrEqual(59);
    expect(sent.properties?.messageExpiryInterval).toBeLessThanOrEqual(60);
    expect(sent.properties).not.toHaveProperty('willDelayInterval');
  });

  it("the will's Message Expiry Interval counts from its publication, after the Will Delay Interval", async () => {
    const timers = new ManualTimers();
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, timers });
    const w = await watch(fx.tb);
    const c = await raws.connect(fx.tb.mqttUrl!, 5, {
      clientId: 'slow',
      clean: true,
      username: 's',
      properties: { sessionExpiryInterval: 60 },
      will: will('will/slow', 'late', { properties: { willDelayInterval: 1, messageExpiryInterval: 1 } }),
    });
    c.socket.destroy();
    await c.closed;
    await timers.armed(1000);
    timers.advance(1000); // the will is published; its expiry (1 s from the drop, were it counted from there) is due now
    await w.packets.count(3);
    expect(w.packets.items[2]).toMatchObject({
      cmd: 'publish',
      topic: 'will/slow',
      properties: { messageExpiryInterval: 1 },
    });
    expect(fx.tb.broker.stats().mqttMessagesExpired).toBe(0);
  });
});
