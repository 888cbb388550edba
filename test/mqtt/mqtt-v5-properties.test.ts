// MQTT 5 publish properties and refusals: inbound topic aliases (Topic Alias Maximum in CONNACK,
// 0 or above it -> DISCONNECT 0x94, an alias without a topic -> 0x82), Message Expiry Interval
// (expired queued and retained messages are dropped, deliveries carry the remaining interval),
// User Properties passed MQTT -> MQTT (not to native clients), Response Topic, Correlation Data,
// Content Type and Payload Format Indicator passed MQTT -> MQTT (v5), and Reason Strings on refusals.
// Message expiry is checked on time the tests move by hand (ManualTimers).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import { connect } from '../../client/index.js';
import { loadConfigFile } from '../../server/config/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { MqttClients, RawMqttClients } from './mqtt-helpers.js';

const EXAMPLES = join(import.meta.dirname, '../../config/examples');
let tb: TestBroker | null = null;
const clients = new MqttClients();
const raws = new RawMqttClients();
afterEach(async () => {
  raws.teardown();
  await clients.teardown();
  await tb?.close();
  tb = null;
});

function publishes(packets: Collector<Packet>): IPublishPacket[] {
  return packets.items.filter((p): p is IPublishPacket => p.cmd === 'publish');
}

describe('MQTT 5 topic aliases (inbound)', () => {
  it('advertises listener option topicAliasMaximum and resolves aliases set by the client', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'], options: { topicAliasMaximum: 3 } } });
    const sub = await raws.connect(tb.mqttUrl!, 5, { clientId: 'sub', clean: true, username: 's' });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'alias/#', qos: 0 }] });
    await sub.packets.count(2);
    const pub = await raws.connect(tb.mqttUrl!, 5, { clientId: 'pub', clean: true, username: 'p' });
    expect(pub.packets.items[0]).toMatchObject({ cmd: 'connack', properties: { topicAliasMaximum: 3 } });
    const publish = (topic: string, text: string, alias: number): void =>
      pub.send({
        cmd: 'publish',
        topic,
        payload: Buffer.from(text),
        qos: 0,
        dup: false,
        retain: false,
        properties: { topicAlias: alias },
      });
    publish('alias/one', 'set 1', 1);
    publish('', 'use 1', 1);
    publish('alias/two', 'reset 1', 1);
    publish('', 'use 1 again', 1);
    await sub.packets.count(6);
    expect(publishes(sub.packets).map((p) => [p.topic, p.payload.toString()])).toEqual([
      ['alias/one', 'set 1'],
      ['alias/one', 'use 1'],
      ['alias/two', 'reset 1'],
      ['alias/two', 'use 1 again'],
    ]);
  });

  it.each([0, 4])('alias %i (outside 1..3) is DISCONNECT 0x94 with a reason string', async (alias) => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'], options: { topicAliasMaximum: 3 } } });
    const pub = await raws.connect(tb.mqttUrl!, 5, { clientId: 'bad', clean: true, username: 'p' });
    pub.send({
      cmd: 'publish',
      topic: 'x',
      payload: Buffer.from('x'),
      qos: 0,
      dup: false,
      retain: false,
      properties: { topicAlias: alias },
    });
    await pub.closed;
    expect(pub.packets.items[1]).toMatchObject({
      cmd: 'disconnect',
      reasonCode: 0x94,
      properties: { reasonString: 'topic alias out of range' },
    });
  });

  it('an alias with no topic yet is DISCONNECT 0x82', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const pub = await raws.connect(tb.mqttUrl!, 5, { clientId: 'unknown', clean: true, username: 'p' });
    expect(pub.packets.items[0]).toMatchObject({ cmd: 'connack', properties: { topicAliasMaximum: 10 } });
    pub.send({
      cmd: 'publish',
      topic: '',
      payload: Buffer.from('x'),
      qos: 0,
      dup: false,
      retain: false,
      properties: { topicAlias: 2 },
    });
    await pub.closed;
    expect(pub.packets.items[1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x82 });
  });

  it("works with the npm client's automatic topic aliases", async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 's' });
    const got = new Collector<string>();
    sub.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await sub.subscribeAsync('auto/#', { qos: 1 });
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'p', autoUseTopicAlias: true });
    for (let i = 0; i < 3; i++) await pub.publishAsync('auto/topic', `m${i}`, { qos: 1 });
    await got.count(3);
    expect(got.items).toEqual(['auto/topic m0', 'auto/topic m1', 'auto/topic m2']);
  });
});

describe('MQTT 5 message expiry', () => {
  it('a live delivery carries the remaining Message Expiry Interval; v3.1.1 receivers get the message without it', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, timers: new ManualTimers() });
    const sub5 = await raws.connect(tb.mqttUrl!, 5, { clientId: 's5', clean: true, username: 's' });
    sub5.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'e/#', qos: 1 }] });
    const sub4 = await raws.connect(tb.mqttUrl!, 4, { clientId: 's4', clean: true, username: 's' });
    sub4.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'e/#', qos: 1 }] });
    await sub5.packets.count(2);
    await sub4.packets.count(2);
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'p' });
    await pub.publishAsync('e/1', 'expiring', { qos: 1, properties: { messageExpiryInterval: 60 } });
    await sub5.packets.count(3);
    await sub4.packets.count(3);
    expect(publishes(sub5.packets)[0]!.properties?.messageExpiryInterval).toBe(60); // the clock stood still
    expect(publishes(sub4.packets)[0]).toMatchObject({ topic: 'e/1', qos: 1 });
  });

  it('a queued message past its expiry is not delivered on resume (counted); others are, with the time left', async () => {
    const timers = new ManualTimers();
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, timers });
    const connect = { clientId: 'exp', clean: false, username: 'x', properties: { sessionExpiryInterval: 60 } };
    const first = await raws.connect(tb.mqttUrl!, 5, connect);
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] });
    await first.packets.count(2);
    first.send({ cmd: 'disconnect' });
    await first.closed;
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'p' });
    await pub.publishAsync('q/short', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync('q/long', 'long', { qos: 1, properties: { messageExpiryInterval: 3600 } });
    timers.advance(1);
    await pub.publishAsync('q/later', 'later', { qos: 1, properties: { messageExpiryInterval: 1 } });
    timers.advance(999); // q/short's second is up; q/later has 1 ms left
    const second = await raws.connect(tb.mqttUrl!, 5, connect);
    second.send({ cmd: 'pingreq' });
    await second.packets.until((items) => items.some((p) => p.cmd === 'pingresp'));
    const sent = publishes(second.packets);
    expect(sent.map((p) => [p.topic, p.properties?.messageExpiryInterval])).toEqual([
      ['q/long', 3599],
      ['q/later', 1],
    ]);
    expect(tb.broker.stats().mqttMessagesExpired).toBe(1);
  });
});

describe('MQTT 5 message expiry of retained messages', () => {
  it('an expired retained message is removed, not sent to a new subscriber (counted); a live one carries the time left', async () => {
    const timers = new ManualTimers();
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, timers });
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'p' });
    await pub.publishAsync('r/short', 'short', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync('r/long', 'long', { qos: 1, retain: true, properties: { messageExpiryInterval: 3600 } });
    const retained = async (clientId: string): Promise<[string, boolean, number | undefined][]> => {
      const sub = await raws.connect(tb!.mqttUrl!, 5, { clientId, clean: true, username: 's' });
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'r/#', qos: 1 }] });
      sub.send({ cmd: 'pingreq' });
      await sub.packets.until((items) => items.some((p) => p.cmd === 'pingresp'));
      return publishes(sub.packets).map((p) => [p.topic, p.retain, p.properties?.messageExpiryInterval]);
    };
    timers.advance(999);
    expect(await retained('early')).toEqual([
      ['r/short', true, 1],
      ['r/long', true, 3600],
    ]);
    timers.advance(1);
    expect(await retained('late')).toEqual([['r/long', true, 3599]]);
    expect(tb.broker.stats().mqttMessagesExpired).toBe(1);
  });
});

describe('MQTT 5 user properties', () => {
  it('are passed through MQTT -> MQTT (v5), and dropped toward native clients', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 's' });
    const got = new Collector<Record<string, unknown> | undefined>();
    sub.on('message', (_t, _p, packet) => got.push(packet.properties?.userProperties));
    await sub.subscribeAsync('u/#', { qos: 1 });
    const sdk = await connect(tb.url, { user: 'n', password: 'pw', encoding: 'json' });
    try {
      const sdkGot = new Collector<string>();
      await sdk.subscribe({ topic: 'u/1' }, (m) => sdkGot.push(Buffer.from(m.bytes!).toString()));
      const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'p' });
      await pub.publishAsync('u/1', 'with props', {
        qos: 1,
        properties: { userProperties: { region: 'EU', tag: ['a', 'b'] } },
      });
      await got.count(1);
      expect(got.items[0]).toEqual({ region: 'EU', tag: ['a', 'b'] });
      await sdkGot.count(1);
      expect(sdkGot.items).toEqual(['with props']);
    } finally {
      await sdk.close();
    }
  });
});

describe('MQTT 5 request/response and payload properties', () => {
  it('Response Topic, Correlation Data, Content Type and Payload Format Indicator pass MQTT -> MQTT (v5), live and retained', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const sub5 = await raws.connect(tb.mqttUrl!, 5, { clientId: 's5', clean: true, username: 's' });
    sub5.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rr/#', qos: 1 }] });
    const sub4 = await raws.connect(tb.mqttUrl!, 4, { clientId: 's4', clean: true, username: 's' });
    sub4.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rr/#', qos: 1 }] });
    await sub5.packets.count(2);
    await sub4.packets.count(2);
    const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'p' });
    const properties = {
      responseTopic: 'replies/p',
      correlationData: Buffer.from([0, 1, 0xfe, 0xff]),
      contentType: 'application/json',
      payloadFormatIndicator: true,
    };
    await pub.publishAsync('rr/req', '{"q":1}', { qos: 1, retain: true, properties });
    await pub.publishAsync('rr/plain', 'none', { qos: 1 });
    await sub5.packets.count(4);
    await sub4.packets.count(4);
    const [withProps, without] = publishes(sub5.packets);
    expect(withProps).toMatchObject({ topic: 'rr/req', properties });
    expect(without!.topic).toBe('rr/plain');
    expect(without!.properties).toBeUndefined();
    // v3.1.1 has no properties: the message comes without them.
    expect(publishes(sub4.packets).map((p) => [p.topic, p.payload.toString()])).toEqual([
      ['rr/req', '{"q":1}'],
      ['rr/plain', 'none'],
    ]);
    const late = await raws.connect(tb.mqttUrl!, 5, { clientId: 'late', clean: true, username: 'l' });
    late.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rr/req', qos: 1 }] });
    await late.packets.count(3);
    expect(publishes(late.packets)[0]).toMatchObject({ topic: 'rr/req', retain: true, properties });
  });

  it('the npm client sees them on "message" and can answer on the Response Topic with the Correlation Data', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const responder = await clients.connect(tb.mqttUrl!, 5, { username: 'r' });
    responder.on('message', (_topic, payload, packet) => {
      const { responseTopic, correlationData } = packet.properties ?? {};
      if (responseTopic !== undefined)
        responder.publish(responseTopic, `re: ${payload.toString()}`, { qos: 1, properties: { correlationData } });
    });
    await responder.subscribeAsync('svc/echo', { qos: 1 });
    const requester = await clients.connect(tb.mqttUrl!, 5, { username: 'q' });
    const answers = new Collector<[string, string | undefined]>();
    requester.on('message', (_topic, payload, packet) =>
      answers.push([payload.toString(), packet.properties?.correlationData?.toString()]),
    );
    await requester.subscribeAsync('replies/q', { qos: 1 });
    await requester.publishAsync('svc/echo', 'hello', {
      qos: 1,
      properties: { responseTopic: 'replies/q', correlationData: Buffer.from('req-7') },
    });
    await answers.count(1);
    expect(answers.items).toEqual([['re: hello', 'req-7']]);
  });
});

describe('MQTT 5 reason strings', () => {
  async function secureBroker(): Promise<TestBroker> {
    const security = loadConfigFile(join(EXAMPLES, 'secure.yaml')).security;
    tb = await startTestBroker({ security, baseDir: EXAMPLES, mqtt: { transports: ['tcp'] } });
    return tb;
  }

  it('explain PUBACK, SUBACK and CONNACK refusals with fixed texts', async () => {
    const b = await secureBroker();
    const bob = await raws.connect(b.mqttUrl!, 5, {
      clientId: 'bob',
      clean: true,
      username: 'bob',
      password: Buffer.from('bob-pw'),
    });
    bob.send({
      cmd: 'publish',
      topic: 'orders/alice/1',
      payload: Buffer.from('x'),
      qos: 1,
      messageId: 5,
      dup: false,
      retain: false,
    });
    bob.send({
      cmd: 'subscribe',
      messageId: 6,
      subscriptions: [
        { topic: 'orders/alice/1', qos: 1 },
        { topic: 'prices/x', qos: 1 },
      ],
    });
    await bob.packets.count(3);
    expect(bob.packets.items[1]).toMatchObject({
      cmd: 'puback',
      messageId: 5,
      reasonCode: 0x87,
      properties: { reasonString: 'not authorized' },
    });
    expect(bob.packets.items[2]).toMatchObject({
      cmd: 'suback',
      messageId: 6,
      granted: [0x87, 1],
      properties: { reasonString: 'not authorized' },
    });
    const refused = await raws.connect(b.mqttUrl!, 5, {
      clientId: 'x',
      clean: true,
      username: 'bob',
      password: Buffer.from('wrong'),
    });
    expect(refused.packets.items[0]).toMatchObject({
      cmd: 'connack',
      reasonCode: 0x86,
      properties: { reasonString: 'bad user name or password' },
    });
  });

  it('are left out of PUBACK and SUBACK when the client sets Request Problem Information 0', async () => {
    const b = await secureBroker();
    const bob = await raws.connect(b.mqttUrl!, 5, {
      clientId: 'bob',
      clean: true,
      username: 'bob',
      password: Buffer.from('bob-pw'),
      properties: { requestProblemInformation: false },
    });
    bob.send({
      cmd: 'publish',
      topic: 'orders/alice/1',
      payload: Buffer.from('x'),
      qos: 1,
      messageId: 5,
      dup: false,
      retain: false,
    });
    bob.send({ cmd: 'subscribe', messageId: 6, subscriptions: [{ topic: 'orders/alice/1', qos: 1 }] });
    await bob.packets.count(3);
    expect(bob.packets.items[1]).toMatchObject({ cmd: 'puback', reasonCode: 0x87 });
    expect((bob.packets.items[1] as { properties?: unknown }).properties).toBeUndefined();
    expect((bob.packets.items[2] as { properties?: unknown }).properties).toBeUndefined();
  });
});
