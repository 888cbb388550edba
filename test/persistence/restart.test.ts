// What survives a graceful restart, on both stores: the embedded LMDB store in a directory, and a
// MemoryStore handed from one broker to the next in the same process (a memory store cannot
// outlive its process; the process-level tests check that it says so). Retained messages with
// their properties and expiry, persistent sessions with their subscriptions, queued and in-flight
// messages and an expiry that counts while the broker is down, delayed wills, client-id ownership,
// and today's bounds applied to what comes back.
import { describe, expect, it } from 'vitest';
import type { IPublishPacket } from 'mqtt-packet';
import { MemoryStore, type BrokerStore } from '../../server/index.js';
import { startTestBroker, type TestBroker, type TestBrokerOverrides } from '../helpers/broker.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { inbox, useMqttFixture } from '../mqtt/mqtt-helpers.js';

const fx = useMqttFixture();
const { clients, raws } = fx;
const temp = useTempDirs();

type StoreKind = 'lmdb' | 'memory';

/** Brokers that restart on one store: each start() closes the running one first. */
function restartable(kind: StoreKind, timers = new ManualTimers()) {
  const path = kind === 'lmdb' ? temp().path : null;
  const memory: BrokerStore | undefined = kind === 'memory' ? new MemoryStore() : undefined;
  return {
    timers,
    async start(overrides: TestBrokerOverrides = {}): Promise<TestBroker> {
      await fx.clients.teardown();
      fx.raws.teardown();
      await fx.tb?.close();
      fx.tb = await startTestBroker({
        mqtt: { transports: ['tcp'] },
        timers,
        ...(path === null ? { store: memory } : { persistence: { path, sync: 'always' } }),
        ...overrides,
      });
      return fx.tb;
    },
  };
}

const persistent = (clientId: string, expirySec = 3600, username = 'p') => ({
  clientId,
  clean: false,
  username,
  properties: { sessionExpiryInterval: expirySec },
});

describe.each<StoreKind>(['lmdb', 'memory'])('a restart on the %s store', (kind) => {
  it('keeps retained messages with their v5 properties; an empty payload cleared one for good', async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    // QoS 0 first: the PUBACKs after it show the broker has handled it.
    await pub.publishAsync('r/c', 'gamma', { qos: 0, retain: true });
    await pub.publishAsync('r/a', 'alpha', {
      qos: 1,
      retain: true,
      properties: { userProperties: { k: 'v' }, contentType: 'text/plain', correlationData: Buffer.from([1, 2]) },
    });
    await pub.publishAsync('r/b', 'beta', { qos: 1, retain: true });
    await pub.publishAsync('r/b', '', { qos: 1, retain: true });

    tb = await brokers.start();
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const seen: IPublishPacket[] = [];
    sub.on('message', (_t, _p, packet) => seen.push(packet));
    await sub.subscribeAsync('r/#', { qos: 1 });
    await until(() => seen.length >= 2);
    const byTopic = new Map(seen.map((p) => [p.topic, p]));
    expect([...byTopic.keys()].sort()).toEqual(['r/a', 'r/c']);
    const a = byTopic.get('r/a')!;
    expect(a.payload.toString()).toBe('alpha');
    expect(a.retain).toBe(true);
    expect(a.properties).toMatchObject({
      userProperties: { k: 'v' },
      contentType: 'text/plain',
      correlationData: Buffer.from([1, 2]),
    });
    expect(byTopic.get('r/c')!.payload.toString()).toBe('gamma');
  });

  it('does not bring back a retained message that expired while the broker was down', async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    await pub.publishAsync('r/short', 'short', { qos: 1, retain: true, properties: { messageExpiryInterval: 10 } });
    await pub.publishAsync('r/long', 'long', { qos: 1, retain: true, properties: { messageExpiryInterval: 100 } });
    await tb.close();
    brokers.timers.advance(30_000);

    tb = await brokers.start();
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const seen: IPublishPacket[] = [];
    sub.on('message', (_t, _p, packet) => seen.push(packet));
    await sub.subscribeAsync('r/#', { qos: 1 });
    await until(() => seen.length >= 1);
    expect(seen.map((p) => p.topic)).toEqual(['r/long']);
    // The expiry kept counting: 100 s less the 30 s the broker was down.
    expect(seen[0]!.properties?.messageExpiryInterval).toBe(70);
    expect(tb.broker.stats().mqttMessagesExpired).toBe(1);
  });

  it('resumes a persistent session: subscriptions with their options, and the queued messages in order', async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const first = await clients.connect(tb.mqttUrl!, 5, persistent('keeper'));
    await first.subscribeAsync('q/#', { qos: 1, properties: { subscriptionIdentifier: 7 } });
    await first.subscribeAsync('z/+', { qos: 0 });
    await first.endAsync();
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    for (let i = 0; i < 20; i++) await pub.publishAsync('q/x', `m${i}`, { qos: 1 });

    tb = await brokers.start();
    const again = clients.start(tb.mqttUrl!, 5, persistent('keeper'));
    const got = inbox(again.client);
    expect((await again.connack).sessionPresent).toBe(true);
    await got.count(20);
    expect(got.items.map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(got.items.every((m) => m.subscriptionIds?.[0] === 7 && m.qos === 1)).toBe(true);
    // Both subscriptions survived, with their granted QoS.
    const pub2 = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    await pub2.publishAsync('z/1', 'zed', { qos: 1 });
    await got.until((items) => items.some((m) => m.text === 'zed'));
    expect(got.items.find((m) => m.text === 'zed')).toMatchObject({ topic: 'z/1', qos: 0, subscriptionIds: null });
  });

  it('keeps the subscriptions of a client that was still connected when the broker stopped', async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const live = await clients.connect(tb.mqttUrl!, 5, persistent('live'));
    await live.subscribeAsync('l/#', { qos: 1 });
    await live.subscribeAsync('gone/#', { qos: 1 });
    await live.unsubscribeAsync('gone/#');
    tb = await brokers.start(); // the client is still connected when this one closes

    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    await pub.publishAsync('l/1', 'while away', { qos: 1 });
    await pub.publishAsync('gone/1', 'unsubscribed', { qos: 1 });
    const again = clients.start(tb.mqttUrl!, 5, persistent('live'));
    const got = inbox(again.client);
    expect((await again.connack).sessionPresent).toBe(true);
    await got.count(1);
    await pub.publishAsync('l/2', 'marker', { qos: 1 });
    await got.until((items) => items.some((m) => m.text === 'marker'));
    expect(got.items.map((m) => m.text)).toEqual(['while away', 'marker']);
  });

  it('resends an unacknowledged QoS 1 publish with DUP and its packet id after the restart', async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const connect = { clientId: 'raw', clean: false, username: 'r', properties: { sessionExpiryInterval: 60 } };
    const first = await raws.connect(tb.mqttUrl!, 5, connect);
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] });
    await first.packets.count(2); // CONNACK, SUBACK
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    await pub.publishAsync('q/1', 'unacked', { qos: 1 });
    await first.packets.count(3);
    const sent = first.packets.items[2] as IPublishPacket;
    expect(sent).toMatchObject({ cmd: 'publish', qos: 1, dup: false });
    first.socket.destroy();
    await first.closed;
    await until(() => tb.broker.stats().mqttSessionHeldBytes > 0);

    tb = await brokers.start();
    const second = await raws.connect(tb.mqttUrl!, 5, connect);
    await second.packets.count(2);
    expect(second.packets.items[0]).toMatchObject({ cmd: 'connack', sessionPresent: true });
    expect(second.packets.items[1]).toMatchObject({
      cmd: 'publish',
      topic: 'q/1',
      qos: 1,
      dup: true,
      messageId: sent.messageId,
    });
  });

  it('resends a PUBREL awaiting PUBCOMP after the restart, and not the QoS 2 PUBLISH', async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const connect = { clientId: 'q2', clean: false, username: 'r', properties: { sessionExpiryInterval: 60 } };
    const first = await raws.connect(tb.mqttUrl!, 5, connect);
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 2 }] });
    await first.packets.count(2);
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    await pub.publishAsync('q/1', 'exactly once', { qos: 2 });
    await first.packets.count(3);
    const sent = first.packets.items[2] as IPublishPacket;
    first.send({ cmd: 'pubrec', messageId: sent.messageId! });
    await first.packets.count(4);
    expect(first.packets.items[3]).toMatchObject({ cmd: 'pubrel', messageId: sent.messageId });
    first.socket.destroy(); // no PUBCOMP
    await first.closed;
    await until(() => tb.broker.connectionCount === 1); // the publisher's

    tb = await brokers.start();
    const second = await raws.connect(tb.mqttUrl!, 5, connect);
    await second.packets.count(2);
    expect(second.packets.items[0]).toMatchObject({ cmd: 'connack', sessionPresent: true });
    expect(second.packets.items[1]).toMatchObject({ cmd: 'pubrel', messageId: sent.messageId });
    second.send({ cmd: 'pubcomp', messageId: sent.messageId! });
    second.send({ cmd: 'pingreq' });
    await second.packets.count(3);
    expect(second.packets.items[2]).toMatchObject({ cmd: 'pingresp' }); // nothing else to resend
  });

  it('keeps a shared subscription: the member is back in its group after the restart', async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const member = await clients.connect(tb.mqttUrl!, 5, persistent('member'));
    await member.subscribeAsync('$share/g/s/#', { qos: 1 });
    await member.endAsync();

    tb = await brokers.start();
    const again = clients.start(tb.mqttUrl!, 5, persistent('member'));
    const got = inbox(again.client);
    expect((await again.connack).sessionPresent).toBe(true);
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    await pub.publishAsync('s/1', 'to the group', { qos: 1 });
    await got.count(1);
    expect(got.items[0]).toMatchObject({ topic: 's/1', text: 'to the group' });
  });

  it('does not bring back a session that was not kept because the store was full', async () => {
    const brokers = restartable(kind);
    const sessions = { maxSessions: 1 };
    let tb = await brokers.start({ mqttConfig: { sessions } });
    const a = await clients.connect(tb.mqttUrl!, 5, persistent('kept'));
    const b = await clients.connect(tb.mqttUrl!, 5, persistent('refused'));
    await a.endAsync();
    await b.endAsync();
    await until(() => tb.broker.stats().mqttSessionsNotKept === 1);

    tb = await brokers.start({ mqttConfig: { sessions } });
    const refused = clients.start(tb.mqttUrl!, 5, persistent('refused'));
    expect((await refused.connack).sessionPresent).toBe(false);
    const kept = clients.start(tb.mqttUrl!, 5, persistent('kept'));
    expect((await kept.connack).sessionPresent).toBe(true);
  });

  it('forgets a session whose client ended it with Session Expiry 0 at DISCONNECT, messages in flight included', async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const connect = { clientId: 'leaver', clean: false, username: 'r', properties: { sessionExpiryInterval: 600 } };
    const raw = await raws.connect(tb.mqttUrl!, 5, connect);
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] });
    await raw.packets.count(2);
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    await pub.publishAsync('q/1', 'in flight', { qos: 1 });
    await raw.packets.count(3); // never acknowledged
    raw.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    await raw.closed;
    await until(() => tb.broker.connectionCount === 1); // the publisher's

    tb = await brokers.start();
    const again = await raws.connect(tb.mqttUrl!, 5, connect);
    again.send({ cmd: 'pingreq' });
    await again.packets.count(2);
    expect(again.packets.items[0]).toMatchObject({ cmd: 'connack', sessionPresent: false });
    expect(again.packets.items[1]).toMatchObject({ cmd: 'pingresp' }); // nothing resent
  });

  it("counts a session's expiry while the broker is down", async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    for (const [id, expiry] of [
      ['short', 60],
      ['long', 600],
    ] as const) {
      const c = await clients.connect(tb.mqttUrl!, 5, persistent(id, expiry));
      await c.subscribeAsync('e/#', { qos: 1 });
      await c.endAsync();
    }
    await tb.close();
    brokers.timers.advance(120_000);

    tb = await brokers.start();
    expect(tb.broker.stats().mqttSessionsExpired).toBe(1);
    const short = clients.start(tb.mqttUrl!, 5, persistent('short', 60));
    expect((await short.connack).sessionPresent).toBe(false);
    const long = clients.start(tb.mqttUrl!, 5, persistent('long', 600));
    expect((await long.connack).sessionPresent).toBe(true);
    await long.client.endAsync();
    // 600 s from the disconnection: 120 s passed while down, so 480 s are left after the restart.
    brokers.timers.advance(479_000);
    const still = clients.start(tb.mqttUrl!, 5, persistent('long', 600));
    expect((await still.connack).sessionPresent).toBe(true);
  });

  it('publishes a delayed will after the restart, when its delay has passed', async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const dying = await raws.connect(tb.mqttUrl!, 5, {
      clientId: 'dying',
      clean: true,
      username: 'w',
      properties: { sessionExpiryInterval: 600 },
      will: {
        topic: 'will/dying',
        payload: Buffer.from('gone'),
        qos: 1,
        retain: true,
        properties: { willDelayInterval: 30 },
      },
    });
    dying.socket.destroy(); // no DISCONNECT: the will is due, after its delay
    await dying.closed;
    // The broker schedules the will before it counts the connection gone.
    await until(() => tb.broker.connectionCount === 0);
    await tb.close();
    brokers.timers.advance(10_000);

    tb = await brokers.start();
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 'watcher' });
    const got = inbox(sub);
    await sub.subscribeAsync('will/#', { qos: 1 });
    expect(got.items).toEqual([]);
    brokers.timers.advance(19_999);
    expect(tb.broker.stats().mqttWillsPublished).toBe(0);
    brokers.timers.advance(1);
    await got.count(1);
    expect(got.items[0]).toMatchObject({ topic: 'will/dying', text: 'gone' });
    expect(tb.broker.stats().mqttWillsPublished).toBe(1);
  });

  it("keeps a user's client id hers: another user cannot take over the restored session", async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const alice = await clients.connect(tb.mqttUrl!, 5, persistent('owned', 600, 'alice'));
    await alice.endAsync();

    tb = await brokers.start();
    const refused = await clients.refusal(tb.mqttUrl!, 5, persistent('owned', 600, 'bob'));
    expect(refused.code).toBe(0x85);
    const back = clients.start(tb.mqttUrl!, 5, persistent('owned', 600, 'alice'));
    expect((await back.connack).sessionPresent).toBe(true);
  });

  it("applies today's bounds to what comes back, and counts what they drop", async () => {
    const brokers = restartable(kind);
    let tb = await brokers.start();
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    for (const t of ['a', 'b', 'c']) await pub.publishAsync(`r/${t}`, t, { qos: 1, retain: true });

    tb = await brokers.start({ mqttConfig: { retained: { maxMessages: 2 } } });
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const got = inbox(sub);
    // Its retained messages go out once the background restore is done.
    await sub.subscribeAsync('r/#', { qos: 1 });
    await got.count(2);
    expect(got.items.map((m) => m.text).sort()).toEqual(['a', 'b']);
    expect(tb.broker.stats().mqttRetainedRefused).toBe(1);
    expect(tb.broker.stats().storeRecordsDropped).toBe(1);

    // What was dropped is gone from the store too: a larger bound does not bring it back.
    tb = await brokers.start();
    const sub2 = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const got2 = inbox(sub2);
    await sub2.subscribeAsync('r/#', { qos: 1 });
    await got2.count(2);
    expect(got2.items.map((m) => m.text).sort()).toEqual(['a', 'b']);
  });
});

/** Wait for `cond` to hold, checking after each turn of the event loop (bounded by the test timeout). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setImmediate(resolve));
}
