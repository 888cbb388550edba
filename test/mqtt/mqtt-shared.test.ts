// Shared subscriptions (`$share/{group}/{filter}`): each message goes to one member, round-robin
// among the connected members; members whose read entitlement denies a topic are skipped
// (entitlements are per member); SUBACK codes; accepted for MQTT 3.1.1 as well as 5.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { loadConfigFile } from '../../server/config/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';
import { useMqttFixture, type Version } from './mqtt-helpers.js';

const EXAMPLES = join(import.meta.dirname, '../../config/examples');
const fx = useMqttFixture();
const { clients, raws } = fx;

interface Got {
  who: string;
  topic: string;
  text: string;
  qos: number;
}

function collectInto(all: Collector<Got>, who: string, client: MqttClient): void {
  client.on('message', (topic, payload, packet) =>
    all.push({ who, topic, text: payload.toString('utf8'), qos: packet.qos }),
  );
}

async function secureBroker(): Promise<TestBroker> {
  const security = loadConfigFile(join(EXAMPLES, 'secure.yaml')).security;
  fx.tb = await startTestBroker({ security, baseDir: EXAMPLES, mqtt: { transports: ['tcp'] } });
  return fx.tb;
}

describe.each<Version>([4, 5])('MQTT %i shared subscriptions', (version) => {
  const v5 = version === 5;

  it('delivers each message to one member, round-robin, beside a normal subscription', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const all = new Collector<Got>();
    for (const who of ['a', 'b', 'c']) {
      const member = await clients.connect(fx.tb.mqttUrl!, version, { username: who });
      collectInto(all, who, member);
      const granted = await member.subscribeAsync('$share/workers/jobs/+', { qos: 1 });
      expect(granted.map((g) => g.qos)).toEqual([1]);
    }
    const watcher = await clients.connect(fx.tb.mqttUrl!, version, { username: 'w' });
    collectInto(all, 'w', watcher);
    await watcher.subscribeAsync('jobs/#', { qos: 1 }); // a normal subscription gets every message
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    for (let i = 0; i < 6; i++) await pub.publishAsync(`jobs/${i}`, `job ${i}`, { qos: 1 });
    await all.count(12);
    const shared = all.items.filter((m) => m.who !== 'w');
    expect(shared.map((m) => m.text).sort()).toEqual(['job 0', 'job 1', 'job 2', 'job 3', 'job 4', 'job 5']);
    const perMember = new Map<string, number>();
    for (const m of shared) perMember.set(m.who, (perMember.get(m.who) ?? 0) + 1);
    expect([...perMember.values()]).toEqual([2, 2, 2]);
    expect(all.items.filter((m) => m.who === 'w')).toHaveLength(6);
  });

  it('two groups on the same filter each get every message; an unsubscribed member leaves its group', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const all = new Collector<Got>();
    const g1a = await clients.connect(fx.tb.mqttUrl!, version, { username: 'g1a' });
    const g1b = await clients.connect(fx.tb.mqttUrl!, version, { username: 'g1b' });
    const g2 = await clients.connect(fx.tb.mqttUrl!, version, { username: 'g2' });
    collectInto(all, 'g1a', g1a);
    collectInto(all, 'g1b', g1b);
    collectInto(all, 'g2', g2);
    await g1a.subscribeAsync('$share/one/t', { qos: 1 });
    await g1b.subscribeAsync('$share/one/t', { qos: 1 });
    await g2.subscribeAsync('$share/two/t', { qos: 2 });
    await g1b.unsubscribeAsync('$share/one/t');
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    for (let i = 0; i < 3; i++) await pub.publishAsync('t', `m${i}`, { qos: 2 });
    await all.count(6);
    expect(all.items.filter((m) => m.who === 'g1a').map((m) => [m.text, m.qos])).toEqual([
      ['m0', 1],
      ['m1', 1],
      ['m2', 1],
    ]);
    expect(all.items.filter((m) => m.who === 'g2').map((m) => m.qos)).toEqual([2, 2, 2]);
    expect(all.items.some((m) => m.who === 'g1b')).toBe(false);
  });

  it('skips members whose read entitlement denies the topic (entitlements are per member)', async () => {
    const b = await secureBroker();
    const all = new Collector<Got>();
    // eve may read prices/public/# only; alice reads prices/#.
    const eve = await clients.connect(b.mqttUrl!, version, { username: 'eve', password: 'eve-pw' });
    const alice = await clients.connect(b.mqttUrl!, version, { username: 'alice', password: 'alice-pw' });
    collectInto(all, 'eve', eve);
    collectInto(all, 'alice', alice);
    await eve.subscribeAsync('$share/desk/prices/#', { qos: 1 });
    await alice.subscribeAsync('$share/desk/prices/#', { qos: 1 });
    const admin = await clients.connect(b.mqttUrl!, version, { username: 'admin', password: 'admin-secret' });
    for (let i = 0; i < 4; i++) await admin.publishAsync('prices/private/x', `private ${i}`, { qos: 1 });
    for (let i = 0; i < 4; i++) await admin.publishAsync('prices/public/x', `public ${i}`, { qos: 1 });
    await all.count(8);
    // Every private price went to alice; the public ones alternate.
    expect(all.items.filter((m) => m.text.startsWith('private')).every((m) => m.who === 'alice')).toBe(true);
    const publicTo = all.items.filter((m) => m.text.startsWith('public')).map((m) => m.who);
    expect(publicTo.filter((w) => w === 'eve')).toHaveLength(2);
    expect(publicTo.filter((w) => w === 'alice')).toHaveLength(2);
  });

  it('a message no member may read is delivered to none (counted)', async () => {
    const b = await secureBroker();
    const eve = await clients.connect(b.mqttUrl!, version, { username: 'eve', password: 'eve-pw' });
    const all = new Collector<Got>();
    collectInto(all, 'eve', eve);
    await eve.subscribeAsync('$share/desk/prices/#', { qos: 1 });
    const admin = await clients.connect(b.mqttUrl!, version, { username: 'admin', password: 'admin-secret' });
    await admin.publishAsync('prices/private/x', 'secret', { qos: 1 });
    await admin.publishAsync('prices/public/x', 'marker', { qos: 1 });
    await all.count(1);
    expect(all.items.map((m) => m.text)).toEqual(['marker']);
    expect(b.broker.stats().mqttSharedUndelivered).toBe(1);
  });

  it('SUBACK: an exact shared topic the user cannot read, and invalid shared filters, are refused', async () => {
    const b = await secureBroker();
    const raw = await raws.connect(b.mqttUrl!, version, {
      clientId: 'sh',
      clean: true,
      username: 'eve',
      password: Buffer.from('eve-pw'),
    });
    raw.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [
        { topic: '$share/g/prices/public/x', qos: 1 },
        { topic: '$share/g/orders/alice/1', qos: 1 },
        { topic: '$share/g', qos: 1 },
        { topic: '$share//prices/public/x', qos: 1 },
        { topic: '$share/g+/prices/public/x', qos: 1 },
      ],
    });
    await raw.packets.count(2);
    const invalid = v5 ? 0x8f : 0x80;
    expect(raw.packets.items[1]).toMatchObject({
      cmd: 'suback',
      granted: [1, v5 ? 0x87 : 0x80, invalid, invalid, invalid],
    });
  });

  if (v5) {
    it('CONNACK says Shared Subscription Available; No Local on a shared subscription is DISCONNECT 0x82', async () => {
      fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
      const raw = await raws.connect(fx.tb.mqttUrl!, 5, { clientId: 'nl', clean: true, username: 'u' });
      expect(raw.packets.items[0]).toMatchObject({ cmd: 'connack', properties: { sharedSubscriptionAvailable: true } });
      raw.send({
        cmd: 'subscribe',
        messageId: 1,
        subscriptions: [{ topic: '$share/g/t', qos: 1, nl: true, rap: false, rh: 0 }],
      });
      await raw.closed;
      expect(raw.packets.items[1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x82 });
    });
  }

  it('a persistent session rejoins its shared groups on resume; while away it is not a member', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const persistent = {
      clientId: 'away',
      clean: false,
      username: 'p',
      ...(v5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
    };
    const all = new Collector<Got>();
    const away = await clients.connect(fx.tb.mqttUrl!, version, persistent);
    await away.subscribeAsync('$share/g/s', { qos: 1 });
    const stay = await clients.connect(fx.tb.mqttUrl!, version, { username: 'stay' });
    collectInto(all, 'stay', stay);
    await stay.subscribeAsync('$share/g/s', { qos: 1 });
    await away.endAsync();
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    for (let i = 0; i < 2; i++) await pub.publishAsync('s', `while away ${i}`, { qos: 1 });
    await all.count(2); // both to the connected member
    const back = clients.start(fx.tb.mqttUrl!, version, persistent);
    collectInto(all, 'back', back.client);
    expect((await back.connack).sessionPresent).toBe(true);
    for (let i = 0; i < 2; i++) await pub.publishAsync('s', `back ${i}`, { qos: 1 });
    await all.count(4);
    expect(
      all.items
        .slice(2)
        .map((m) => m.who)
        .sort(),
    ).toEqual(['back', 'stay']);
  });
});
