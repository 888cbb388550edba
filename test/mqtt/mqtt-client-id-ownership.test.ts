// mqtt.clientIdOwnership: by default a client id held by one user (connected,
// or a session kept while she is away) is refused to another user: v5 CONNACK 0x85, v3.1.1 return
// code 2. The holder keeps her connection, her session, her queued messages, and her will is not
// published. The same user still takes over; with `any`, anyone does (the old behaviour).
import { describe, expect, it } from 'vitest';
import { startTestBroker } from '../helpers/broker.js';
import { inbox, useMqttFixture, type Version } from './mqtt-helpers.js';

const fx = useMqttFixture();
const { clients, raws } = fx;

describe.each<Version>([4, 5])('MQTT %i client id ownership', (version) => {
  const v5 = version === 5;
  const refusedCode = v5 ? 0x85 : 2;
  const persistent = (clientId: string, user: string) => ({
    clientId,
    clean: false,
    username: user,
    ...(v5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
  });
  const will = { topic: 'wills/alice', payload: Buffer.from('alice went away'), qos: 1 as const, retain: false };

  it('a connected client id is refused to another user; the holder stays connected and her will is not published', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const url = fx.tb.mqttUrl!;
    const watcher = await clients.connect(url, version, { username: 'watcher' });
    const watched = inbox(watcher);
    await watcher.subscribeAsync('wills/#', { qos: 1 });
    const alice = await clients.connect(url, version, { clientId: 'device-1', username: 'alice', will });
    const aliceGot = inbox(alice);
    await alice.subscribeAsync('to/alice', { qos: 1 });
    for (const clean of [true, false]) {
      expect((await clients.refusal(url, version, { clientId: 'device-1', username: 'mallory', clean })).code).toBe(
        refusedCode,
      );
    }
    expect(fx.tb.broker.stats().mqttClientIdRefused).toBe(2);
    // Alice is still connected and served, and no will went out.
    await watcher.publishAsync('to/alice', 'still here', { qos: 1 });
    await aliceGot.count(1);
    expect(alice.connected).toBe(true);
    await watcher.publishAsync('wills/marker', 'marker', { qos: 1 });
    await watched.count(1);
    expect(watched.items.map((m) => m.text)).toEqual(['marker']);
  });

  it("a kept session's client id is refused to another user; its owner resumes it with the queued messages", async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const url = fx.tb.mqttUrl!;
    const away = await clients.connect(url, version, persistent('device-2', 'alice'));
    await away.subscribeAsync('q/#', { qos: 1 });
    await away.endAsync();
    const pub = await clients.connect(url, version, { username: 'pub' });
    await pub.publishAsync('q/1', 'queued', { qos: 1 });
    expect((await clients.refusal(url, version, { ...persistent('device-2', 'mallory') })).code).toBe(refusedCode);
    expect((await clients.refusal(url, version, { clientId: 'device-2', username: 'mallory', clean: true })).code).toBe(
      refusedCode,
    );
    expect(fx.tb.broker.stats().mqttClientIdRefused).toBe(2);
    const back = clients.start(url, version, persistent('device-2', 'alice'));
    const got = inbox(back.client);
    expect((await back.connack).sessionPresent).toBe(true);
    await got.count(1);
    expect(got.items.map((m) => [m.topic, m.text])).toEqual([['q/1', 'queued']]);
  });

  it('the same user takes over her own client id, session included', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const url = fx.tb.mqttUrl!;
    const first = await clients.connect(url, version, persistent('device-3', 'alice'));
    await first.subscribeAsync('q/#', { qos: 1 });
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = clients.start(url, version, persistent('device-3', 'alice'));
    expect((await second.connack).sessionPresent).toBe(true);
    await closed;
    expect(fx.tb.broker.stats().mqttClientIdRefused).toBe(0);
  });

  it('mqtt.clientIdOwnership: any lets another user take the client id over (the old connection is closed)', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, mqttConfig: { clientIdOwnership: 'any' } });
    const url = fx.tb.mqttUrl!;
    const alice = await clients.connect(url, version, persistent('device-4', 'alice'));
    await alice.subscribeAsync('q/#', { qos: 1 });
    const closed = new Promise<void>((resolve) => alice.once('close', () => resolve()));
    const mallory = clients.start(url, version, persistent('device-4', 'mallory'));
    // Alice's session is not handed to another user: it is discarded.
    expect((await mallory.connack).sessionPresent).toBe(false);
    await closed;
    expect(fx.tb.broker.stats().mqttClientIdRefused).toBe(0);
  });
});

describe('MQTT 5 client id ownership and delayed wills', () => {
  it("a will waiting out its delay keeps the client id its user's (another user would cancel it)", async () => {
    // No session is kept (maxSessions 0), so only the delayed will holds the client id.
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, mqttConfig: { sessions: { maxSessions: 0 } } });
    const url = fx.tb.mqttUrl!;
    const will = {
      topic: 'wills/alice',
      payload: Buffer.from('gone'),
      qos: 1 as const,
      retain: false,
      properties: { willDelayInterval: 30 },
    };
    const alice = await raws.connect(url, 5, {
      clientId: 'device-5',
      username: 'alice',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will,
    });
    // DISCONNECT 0x04: publish my will (after its delay). The broker closes the socket once it has scheduled it.
    alice.send({ cmd: 'disconnect', reasonCode: 0x04 });
    await alice.closed;
    expect(fx.tb.broker.stats().mqttSessionsNotKept).toBe(1);
    expect((await clients.refusal(url, 5, { clientId: 'device-5', username: 'mallory' })).code).toBe(0x85);
    const back = clients.start(url, 5, { clientId: 'device-5', username: 'alice' });
    expect((await back.connack).reasonCode).toBe(0);
  });
});
