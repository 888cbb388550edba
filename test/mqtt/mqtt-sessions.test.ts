// Persistent sessions (Clean Start 0 / Clean Session 0 with a Session Expiry): subscriptions
// survive, QoS 1 messages queue while the client is away (bounded), unacknowledged ones are resent
// with DUP, CONNACK Session Present, Clean Start 1 discards, takeover keeps the session; v5
// Session Expiry (capped) and its change on DISCONNECT, on time the tests move by hand.
import { describe, expect, it } from 'vitest';
import type { IPublishPacket } from 'mqtt-packet';
import { startTestBroker } from '../helpers/broker.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { inbox, useMqttFixture, type Version } from './mqtt-helpers.js';

const fx = useMqttFixture();
const { clients, raws } = fx;

describe.each<Version>([4, 5])('MQTT %i persistent sessions', (version) => {
  const v5 = version === 5;
  const persistent = (clientId: string, user = 'p') => ({
    clientId,
    clean: false,
    username: user,
    ...(v5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
  });

  it('keeps subscriptions and queues QoS 1 messages while the client is away', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const first = await clients.connect(fx.tb.mqttUrl!, version, persistent('keeper'));
    await first.subscribeAsync('q/#', { qos: 1 });
    await first.endAsync();
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('q/1', 'one', { qos: 1 });
    await pub.publishAsync('q/0', 'zero', { qos: 0 });
    await pub.publishAsync('q/2', 'two', { qos: 1 });
    const again = clients.start(fx.tb.mqttUrl!, version, persistent('keeper'));
    const got = inbox(again.client);
    expect((await again.connack).sessionPresent).toBe(true);
    await got.count(2);
    await pub.publishAsync('q/3', 'live', { qos: 1 }); // the subscription survived
    await got.until((items) => items.some((m) => m.text === 'live'));
    expect(got.items.map((m) => m.text).filter((t) => t !== 'zero')).toEqual(['one', 'two', 'live']);
  });

  it('drops the oldest beyond mqtt.sessions.maxQueuedMessages (counted)', async () => {
    fx.tb = await startTestBroker({
      mqtt: { transports: ['tcp'] },
      mqttConfig: { sessions: { maxQueuedMessages: 2 } },
    });
    const first = await clients.connect(fx.tb.mqttUrl!, version, persistent('bounded'));
    await first.subscribeAsync('q/#', { qos: 1 });
    await first.endAsync();
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    for (const text of ['a', 'b', 'c']) await pub.publishAsync('q/x', text, { qos: 1 });
    const again = clients.start(fx.tb.mqttUrl!, version, persistent('bounded'));
    const got = inbox(again.client);
    await again.connack;
    await pub.publishAsync('q/x', 'live', { qos: 1 });
    await got.until((items) => items.some((m) => m.text === 'live'));
    expect(got.items.map((m) => m.text)).toEqual(['b', 'c', 'live']);
    expect(fx.tb.broker.stats().mqttQueuedMessagesDropped).toBe(1);
  });

  it('Clean Start 1 discards the kept session', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const first = await clients.connect(fx.tb.mqttUrl!, version, persistent('cleaned'));
    await first.subscribeAsync('q/#', { qos: 1 });
    await first.endAsync();
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('q/1', 'queued', { qos: 1 });
    const again = clients.start(fx.tb.mqttUrl!, version, { ...persistent('cleaned'), clean: true });
    const got = inbox(again.client);
    expect((await again.connack).sessionPresent).toBe(false);
    await again.client.subscribeAsync('m', { qos: 1 });
    await pub.publishAsync('q/1', 'not subscribed', { qos: 1 });
    await pub.publishAsync('m', 'marker', { qos: 1 });
    await got.count(1);
    expect(got.items.map((m) => m.text)).toEqual(['marker']);
  });

  it('resends an unacknowledged QoS 1 publish with DUP and the same packet id', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const connect = {
      clientId: 'raw',
      clean: false,
      username: 'r',
      ...(v5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
    };
    const first = await raws.connect(fx.tb.mqttUrl!, version, connect);
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] });
    await first.packets.count(2); // CONNACK, SUBACK
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('q/1', 'unacked', { qos: 1 });
    await first.packets.count(3);
    const sent = first.packets.items[2] as IPublishPacket;
    expect(sent).toMatchObject({ cmd: 'publish', qos: 1, dup: false });
    first.socket.destroy(); // never acknowledged
    await first.closed;
    const second = await raws.connect(fx.tb.mqttUrl!, version, connect);
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

  it('a takeover by the same client id keeps the session', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const connect = {
      clientId: 'twice',
      clean: false,
      username: 't',
      ...(v5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
    };
    const first = await raws.connect(fx.tb.mqttUrl!, version, connect);
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] });
    await first.packets.count(2);
    const second = await raws.connect(fx.tb.mqttUrl!, version, connect);
    await first.closed;
    if (v5) expect(first.packets.items[2]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x8e });
    expect(second.packets.items[0]).toMatchObject({ cmd: 'connack', sessionPresent: true });
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('q/1', 'after', { qos: 1 });
    await second.packets.count(2);
    expect(second.packets.items[1]).toMatchObject({ cmd: 'publish', topic: 'q/1' });
  });

  it('another user does not resume the session (mqtt.clientIdOwnership: any; by default it is refused)', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, mqttConfig: { clientIdOwnership: 'any' } });
    const first = await clients.connect(fx.tb.mqttUrl!, version, persistent('mine', 'owner'));
    await first.subscribeAsync('q/#', { qos: 1 });
    await first.endAsync();
    const other = clients.start(fx.tb.mqttUrl!, version, persistent('mine', 'intruder'));
    expect((await other.connack).sessionPresent).toBe(false);
  });
});

describe('MQTT 5 session expiry', () => {
  it('caps the Session Expiry Interval at mqtt.sessions.maxExpirySec and says so in CONNACK', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, mqttConfig: { sessions: { maxExpirySec: 5 } } });
    const c = clients.start(fx.tb.mqttUrl!, 5, {
      clientId: 'capped',
      clean: false,
      username: 'c',
      properties: { sessionExpiryInterval: 3600 },
    });
    expect((await c.connack).properties?.sessionExpiryInterval).toBe(5);
  });

  it('Session Expiry 0 keeps nothing', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const first = await clients.connect(fx.tb.mqttUrl!, 5, { clientId: 'brief', clean: false, username: 'b' });
    await first.subscribeAsync('q/#', { qos: 1 });
    await first.endAsync();
    const again = clients.start(fx.tb.mqttUrl!, 5, { clientId: 'brief', clean: false, username: 'b' });
    expect((await again.connack).sessionPresent).toBe(false);
  });

  it('a DISCONNECT Session Expiry Interval of 0 ends the session at once', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const connect = { clientId: 'ender', clean: false, username: 'e', properties: { sessionExpiryInterval: 60 } };
    const first = await raws.connect(fx.tb.mqttUrl!, 5, connect);
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] });
    await first.packets.count(2);
    first.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    await first.closed;
    expect(first.packets.items.map((p) => p.cmd)).toEqual(['connack', 'suback']);
    const again = clients.start(fx.tb.mqttUrl!, 5, {
      clientId: 'ender',
      clean: false,
      username: 'e',
      properties: { sessionExpiryInterval: 60 },
    });
    expect((await again.connack).sessionPresent).toBe(false);
  });

  it("a DISCONNECT Session Expiry Interval lengthens the CONNECT's", async () => {
    const timers = new ManualTimers();
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, timers });
    const first = await raws.connect(fx.tb.mqttUrl!, 5, {
      clientId: 'longer',
      clean: false,
      username: 'l',
      properties: { sessionExpiryInterval: 1 },
    });
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] });
    await first.packets.count(2);
    first.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
    await first.closed;
    await timers.armed(60_000); // the session is kept, for the DISCONNECT's interval
    timers.advance(59_999); // far past the CONNECT's 1 s, just short of the DISCONNECT's 60
    expect(fx.tb.broker.stats().mqttSessionsExpired).toBe(0);
    const again = clients.start(fx.tb.mqttUrl!, 5, {
      clientId: 'longer',
      clean: false,
      username: 'l',
      properties: { sessionExpiryInterval: 60 },
    });
    expect((await again.connack).sessionPresent).toBe(true);
  });

  it('a DISCONNECT Session Expiry Interval is capped at mqtt.sessions.maxExpirySec', async () => {
    const timers = new ManualTimers();
    fx.tb = await startTestBroker({
      mqtt: { transports: ['tcp'] },
      mqttConfig: { sessions: { maxExpirySec: 1 } },
      timers,
    });
    const first = await raws.connect(fx.tb.mqttUrl!, 5, {
      clientId: 'capped-late',
      clean: false,
      username: 'c',
      properties: { sessionExpiryInterval: 1 },
    });
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] });
    await first.packets.count(2);
    first.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 3600 } });
    await first.closed;
    await timers.armed(1000); // kept for the cap, 1 s, not the 3600 s asked for
    timers.advance(999);
    expect(fx.tb.broker.stats().mqttSessionsExpired).toBe(0);
    timers.advance(1);
    expect(fx.tb.broker.stats().mqttSessionsExpired).toBe(1);
    const again = clients.start(fx.tb.mqttUrl!, 5, {
      clientId: 'capped-late',
      clean: false,
      username: 'c',
      properties: { sessionExpiryInterval: 1 },
    });
    expect((await again.connack).sessionPresent).toBe(false);
  });

  it('0 at CONNECT then non-zero at DISCONNECT is DISCONNECT 0x82; the will is published and no session kept', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const watcher = await clients.connect(fx.tb.mqttUrl!, 5, { username: 'w' });
    const got = inbox(watcher);
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const will = { topic: 'will/zero', payload: Buffer.from('gone'), qos: 1 as const, retain: false };
    const c = await raws.connect(fx.tb.mqttUrl!, 5, { clientId: 'zero', clean: false, username: 'z', will });
    c.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 30 } });
    await c.closed;
    expect(c.packets.items.map((p) => p.cmd)).toEqual(['connack', 'disconnect']);
    expect(c.packets.items[1]).toMatchObject({ reasonCode: 0x82 });
    await got.count(1);
    expect(got.items[0]).toMatchObject({ topic: 'will/zero', text: 'gone' });
    const again = clients.start(fx.tb.mqttUrl!, 5, {
      clientId: 'zero',
      clean: false,
      username: 'z',
      properties: { sessionExpiryInterval: 60 },
    });
    expect((await again.connack).sessionPresent).toBe(false);
  });
});
