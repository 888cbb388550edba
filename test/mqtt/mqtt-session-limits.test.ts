// Persistent sessions' memory bounds: bytes per session (maxQueuedBytes), bytes
// over the whole store (maxBytes), and sessions per user (maxSessionsPerUser). Byte caps count the
// whole message (topic, properties, payload, overhead): the messages here have 1-byte payloads and
// about 20 KB in user properties (v5) or in the topic (v3.1.1), so payload-only counting would pass
// them all.
import { describe, expect, it } from 'vitest';
import type { IClientPublishOptions } from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { startTestBroker } from '../helpers/broker.js';
import { inbox, useMqttFixture, type Version } from './mqtt-helpers.js';

const fx = useMqttFixture();
const { clients, raws } = fx;

const BIG = 20_000;
/** Room for three of the messages below, not four. */
const SESSION_BYTES = 64 * 1024;

describe.each<Version>([4, 5])('MQTT %i persistent session byte caps', (version) => {
  const v5 = version === 5;
  const persistent = (clientId: string, user: string) => ({
    clientId,
    clean: false,
    username: user,
    ...(v5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
  });
  // v5: the bulk is in a user property; v3.1.1 has none, so it is in the topic.
  const topic = (prefix: string, n: number): string => (v5 ? `${prefix}/${n}` : `${prefix}/${n}/${'l'.repeat(BIG)}`);
  const options: IClientPublishOptions = v5
    ? { qos: 1, properties: { userProperties: { bulk: 'p'.repeat(BIG) } } }
    : { qos: 1 };
  const limits = (sessions: Record<string, number>) => ({
    topics: { maxTopicLength: 65_535 },
    mqtt: { transports: ['tcp' as const] },
    mqttConfig: { sessions },
  });

  /** Connect `clientId` again, and everything it is sent up to a live marker on `prefix`/marker. */
  async function resume(
    clientId: string,
    user: string,
    prefix: string,
    publish: (t: string) => Promise<unknown>,
  ): Promise<string[]> {
    const again = clients.start(fx.tb!.mqttUrl!, version, persistent(clientId, user));
    const got = inbox(again.client);
    expect((await again.connack).sessionPresent).toBe(true);
    await publish(`${prefix}/marker`);
    await got.until((items) => items.some((m) => m.topic === `${prefix}/marker`));
    return got.items.filter((m) => m.topic !== `${prefix}/marker`).map((m) => m.topic.split('/').slice(0, 2).join('/'));
  }

  it('mqtt.sessions.maxQueuedBytes: the oldest queued message is dropped (counted)', async () => {
    fx.tb = await startTestBroker(limits({ maxQueuedBytes: SESSION_BYTES }));
    const away = await clients.connect(fx.tb.mqttUrl!, version, persistent('bytes', 'sub'));
    await away.subscribeAsync('q/#', { qos: 1 });
    await away.endAsync();
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    for (let i = 1; i <= 4; i++) await pub.publishAsync(topic('q', i), 'x', options);
    expect(fx.tb.broker.stats().mqttSessionBytesDropped).toBe(1);
    expect(fx.tb.broker.stats().mqttQueuedMessagesDropped).toBe(0);
    expect(fx.tb.broker.stats().mqttSessionHeldBytes).toBeGreaterThan(3 * BIG);
    expect(fx.tb.broker.stats().mqttSessionHeldBytes).toBeLessThanOrEqual(SESSION_BYTES);
    expect(await resume('bytes', 'sub', 'q', (t) => pub.publishAsync(t, 'm', { qos: 1 }))).toEqual([
      'q/2',
      'q/3',
      'q/4',
    ]);
    expect(fx.tb.broker.stats().mqttSessionHeldBytes).toBe(0);
  });

  it('mqtt.sessions.maxQueuedBytes: messages in flight when the client went away are dropped, oldest first, only beyond it', async () => {
    fx.tb = await startTestBroker(limits({ maxQueuedBytes: SESSION_BYTES }));
    const connect = {
      clientId: 'unacked',
      clean: false,
      username: 'r',
      ...(v5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
    };
    const first = await raws.connect(fx.tb.mqttUrl!, version, connect);
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] });
    await first.packets.count(2); // CONNACK, SUBACK
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    for (let i = 1; i <= 4; i++) await pub.publishAsync(topic('q', i), 'x', options);
    await first.packets.count(6);
    const sent = first.packets.items.slice(2) as IPublishPacket[];
    first.socket.destroy(); // none acknowledged: all four in flight
    await first.closed;
    const second = await raws.connect(fx.tb.mqttUrl!, version, connect);
    await second.packets.count(4);
    expect(second.packets.items[0]).toMatchObject({ cmd: 'connack', sessionPresent: true });
    expect(
      second.packets.items.slice(1).map((p) => [(p as IPublishPacket).messageId, (p as IPublishPacket).dup]),
    ).toEqual(sent.slice(1).map((p) => [p.messageId, true]));
    expect(fx.tb.broker.stats().mqttSessionBytesDropped).toBe(1);
  });

  it('mqtt.sessions.maxBytes: the messages that entered the store first are dropped, whichever session holds them (counted)', async () => {
    // Room for four messages in all; each session may hold three.
    fx.tb = await startTestBroker(limits({ maxQueuedBytes: SESSION_BYTES, maxBytes: 88 * 1024 }));
    for (const [id, filter] of [
      ['first', 'a/#'],
      ['second', 'b/#'],
    ] as const) {
      const away = await clients.connect(fx.tb.mqttUrl!, version, persistent(id, `user-${id}`));
      await away.subscribeAsync(filter, { qos: 1 });
      await away.endAsync();
    }
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync(topic('a', 1), 'x', options);
    await pub.publishAsync(topic('a', 2), 'x', options);
    await pub.publishAsync(topic('b', 1), 'x', options);
    await pub.publishAsync(topic('b', 2), 'x', options);
    expect(fx.tb.broker.stats().mqttSessionStoreBytesDropped).toBe(0);
    await pub.publishAsync(topic('b', 3), 'x', options); // the fifth: a/1, the store's oldest, goes
    const stats = fx.tb.broker.stats();
    expect(stats.mqttSessionStoreBytesDropped).toBe(1);
    expect(stats.mqttSessionBytesDropped).toBe(0);
    expect(stats.mqttSessionHeldBytes).toBeLessThanOrEqual(88 * 1024);
    const send = (t: string) => pub.publishAsync(t, 'm', { qos: 1 });
    expect(await resume('first', 'user-first', 'a', send)).toEqual(['a/2']);
    expect(await resume('second', 'user-second', 'b', send)).toEqual(['b/1', 'b/2', 'b/3']);
  });
});

describe.each<Version>([4, 5])('MQTT %i persistent sessions per user', (version) => {
  const v5 = version === 5;
  const persistent = (clientId: string, user: string) => ({
    clientId,
    clean: false,
    username: user,
    ...(v5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
  });

  it('mqtt.sessions.maxSessionsPerUser: a further session ends with its connection (v5: CONNACK Session Expiry 0); own sessions still resume', async () => {
    fx.tb = await startTestBroker({
      mqtt: { transports: ['tcp'] },
      mqttConfig: { sessions: { maxSessionsPerUser: 2 } },
    });
    const url = fx.tb.mqttUrl!;
    // One kept (client away), one held by a live connection: the user has two.
    const kept = clients.start(url, version, persistent('u-1', 'u'));
    expect((await kept.connack).properties?.sessionExpiryInterval).toBeUndefined();
    await kept.client.subscribeAsync('q/#', { qos: 1 });
    await kept.client.endAsync();
    const live = await clients.connect(url, version, persistent('u-2', 'u'));
    const third = clients.start(url, version, persistent('u-3', 'u'));
    const connack = await third.connack;
    expect(connack.sessionPresent).toBe(false);
    if (v5) expect(connack.properties?.sessionExpiryInterval).toBe(0);
    expect(fx.tb.broker.stats().mqttSessionsOverUserLimit).toBe(1);
    await third.client.subscribeAsync('q/#', { qos: 1 });
    await third.client.endAsync();
    expect(fx.tb.broker.stats().mqttSessionsOverUserLimit).toBe(1);
    // Its session was not kept; another user is not limited by this one's sessions.
    const back = clients.start(url, version, persistent('u-3', 'u'));
    expect((await back.connack).sessionPresent).toBe(false);
    await back.client.endAsync();
    const other = clients.start(url, version, persistent('v-1', 'v'));
    expect((await other.connack).properties?.sessionExpiryInterval).toBeUndefined();
    // The user's own sessions: resuming the kept one, and taking over the live one, keep their session.
    const liveClosed = new Promise<void>((resolve) => live.once('close', () => resolve()));
    const resumed = clients.start(url, version, persistent('u-1', 'u'));
    expect((await resumed.connack).sessionPresent).toBe(true);
    const takeover = clients.start(url, version, persistent('u-2', 'u'));
    const taken = await takeover.connack;
    expect(taken.sessionPresent).toBe(true);
    if (v5) expect(taken.properties?.sessionExpiryInterval).toBeUndefined();
    expect(fx.tb.broker.stats().mqttSessionsOverUserLimit).toBe(2);
    await liveClosed;
  });
});
