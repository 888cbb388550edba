// QoS 2 in both directions: subscriptions are granted QoS 2, the broker runs the sender's half of
// the handshake (PUBLISH -> PUBREC -> PUBREL -> PUBCOMP), and a persistent session keeps QoS 2
// state across a resume: an unacknowledged PUBLISH is resent with DUP, a PUBREL awaiting PUBCOMP
// is resent, and QoS 2 messages queue while the client is away.
import { describe, expect, it } from 'vitest';
import type { IPublishPacket } from 'mqtt-packet';
import { startTestBroker } from '../helpers/broker.js';
import { inbox, useMqttFixture, type Version } from './mqtt-helpers.js';

const fx = useMqttFixture();
const { clients, raws } = fx;

describe.each<Version>([4, 5])('MQTT %i QoS 2', (version) => {
  const v5 = version === 5;
  const persistent = (clientId: string) => ({
    clientId,
    clean: false,
    username: 'q2',
    ...(v5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
  });

  describe.each(['tcp', 'websocket'] as const)('over %s', (transport) => {
    it('grants QoS 2 and delivers a QoS 2 publish at QoS 2, end to end', async () => {
      fx.tb = await startTestBroker({ mqtt: {} });
      const url = transport === 'tcp' ? fx.tb.mqttUrl! : fx.tb.mqttWsUrl!;
      const sub = await clients.connect(url, version, { username: 'sub' });
      const got = inbox(sub);
      const granted = await sub.subscribeAsync('q2/+', { qos: 2 });
      expect(granted.map((g) => g.qos)).toEqual([2]);
      const pub = await clients.connect(url, version, { username: 'pub' });
      await pub.publishAsync('q2/a', 'exactly once', { qos: 2 }); // resolves on PUBCOMP
      await pub.publishAsync('q2/b', 'one', { qos: 1 });
      await got.count(2);
      expect(got.items.map((m) => [m.topic, m.text, m.qos])).toEqual([
        ['q2/a', 'exactly once', 2],
        ['q2/b', 'one', 1],
      ]);
    });
  });

  it('runs the sender side of the handshake: PUBREC is answered by PUBREL, the id is free after PUBCOMP', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const raw = await raws.connect(fx.tb.mqttUrl!, version, { clientId: 'hs', clean: true, username: 'r' });
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'h/#', qos: 2 }] });
    await raw.packets.count(2);
    expect(raw.packets.items[1]).toMatchObject({ cmd: 'suback', granted: [2] });
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('h/1', 'first', { qos: 2 });
    await raw.packets.count(3);
    const sent = raw.packets.items[2] as IPublishPacket;
    expect(sent).toMatchObject({ cmd: 'publish', topic: 'h/1', qos: 2, dup: false });
    raw.send({ cmd: 'pubrec', messageId: sent.messageId! });
    await raw.packets.count(4);
    expect(raw.packets.items[3]).toMatchObject({ cmd: 'pubrel', messageId: sent.messageId });
    raw.send({ cmd: 'pubcomp', messageId: sent.messageId! });
    // A PUBREC for an id not in flight: v5 PUBREL 0x92.
    raw.send({ cmd: 'pubrec', messageId: 999 });
    await raw.packets.count(5);
    expect(raw.packets.items[4]).toMatchObject({ cmd: 'pubrel', messageId: 999, ...(v5 ? { reasonCode: 0x92 } : {}) });
  });

  if (v5) {
    it('a PUBREC with an error reason ends the exchange without PUBREL and frees the window slot', async () => {
      fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
      const raw = await raws.connect(fx.tb.mqttUrl!, 5, {
        clientId: 'rm',
        clean: true,
        username: 'r',
        properties: { receiveMaximum: 1 },
      });
      raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'w/#', qos: 2 }] });
      await raw.packets.count(2);
      const pub = await clients.connect(fx.tb.mqttUrl!, 5, { username: 'pub' });
      await pub.publishAsync('w/1', 'one', { qos: 2 });
      await pub.publishAsync('w/2', 'two', { qos: 2 }); // waits behind the window of 1
      await raw.packets.count(3);
      const first = raw.packets.items[2] as IPublishPacket;
      raw.send({ cmd: 'pubrec', messageId: first.messageId!, reasonCode: 0x80 });
      await raw.packets.count(4);
      expect(raw.packets.items[3]).toMatchObject({ cmd: 'publish', topic: 'w/2', qos: 2 });
    });
  }

  it('resends an unacknowledged QoS 2 PUBLISH with DUP, then a PUBREL awaiting PUBCOMP, across resumes', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const connect = persistent('q2raw');
    const first = await raws.connect(fx.tb.mqttUrl!, version, connect);
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'r/#', qos: 2 }] });
    await first.packets.count(2);
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('r/1', 'unacked', { qos: 2 });
    await first.packets.count(3);
    const sent = first.packets.items[2] as IPublishPacket;
    expect(sent).toMatchObject({ cmd: 'publish', qos: 2, dup: false });
    first.socket.destroy(); // no PUBREC
    await first.closed;

    const second = await raws.connect(fx.tb.mqttUrl!, version, connect);
    await second.packets.count(2);
    expect(second.packets.items[0]).toMatchObject({ cmd: 'connack', sessionPresent: true });
    expect(second.packets.items[1]).toMatchObject({
      cmd: 'publish',
      topic: 'r/1',
      qos: 2,
      dup: true,
      messageId: sent.messageId,
    });
    second.send({ cmd: 'pubrec', messageId: sent.messageId! });
    await second.packets.count(3);
    expect(second.packets.items[2]).toMatchObject({ cmd: 'pubrel', messageId: sent.messageId });
    second.socket.destroy(); // no PUBCOMP
    await second.closed;

    const third = await raws.connect(fx.tb.mqttUrl!, version, connect);
    await third.packets.count(2);
    expect(third.packets.items[0]).toMatchObject({ cmd: 'connack', sessionPresent: true });
    // After PUBREC the PUBLISH is never sent again: only the PUBREL is.
    expect(third.packets.items[1]).toMatchObject({ cmd: 'pubrel', messageId: sent.messageId });
    third.send({ cmd: 'pubcomp', messageId: sent.messageId! });
    third.send({ cmd: 'disconnect' });
    await third.closed;

    const fourth = await raws.connect(fx.tb.mqttUrl!, version, connect);
    fourth.send({ cmd: 'pingreq' });
    await fourth.packets.count(2);
    expect(fourth.packets.items.map((p) => p.cmd)).toEqual(['connack', 'pingresp']); // nothing left to resend
  });

  it('queues QoS 2 messages while the client is away and delivers them at QoS 2 on resume', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const first = await clients.connect(fx.tb.mqttUrl!, version, persistent('q2keeper'));
    await first.subscribeAsync('k/#', { qos: 2 });
    await first.endAsync();
    const pub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('k/1', 'two', { qos: 2 });
    await pub.publishAsync('k/2', 'one', { qos: 1 });
    const again = clients.start(fx.tb.mqttUrl!, version, persistent('q2keeper'));
    const got = inbox(again.client);
    expect((await again.connack).sessionPresent).toBe(true);
    await got.count(2);
    // The npm client emits a QoS 2 message at PUBREL, so the two may surface in either order.
    expect(got.items.map((m) => [m.text, m.qos]).sort()).toEqual([
      ['one', 1],
      ['two', 2],
    ]);
  });

  it('an inbound QoS 2 exchange interrupted before PUBREL completes after a resume without a second delivery', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const sub = await clients.connect(fx.tb.mqttUrl!, version, { username: 'sub' });
    const got = inbox(sub);
    await sub.subscribeAsync('in/#', { qos: 2 });
    const connect = persistent('q2in');
    const first = await raws.connect(fx.tb.mqttUrl!, version, connect);
    first.send({
      cmd: 'publish',
      topic: 'in/1',
      payload: Buffer.from('once'),
      qos: 2,
      messageId: 7,
      dup: false,
      retain: false,
    });
    await first.packets.count(2);
    expect(first.packets.items[1]).toMatchObject({ cmd: 'pubrec', messageId: 7 });
    first.socket.destroy(); // no PUBREL
    await first.closed;
    const second = await raws.connect(fx.tb.mqttUrl!, version, connect);
    second.send({
      cmd: 'publish',
      topic: 'in/1',
      payload: Buffer.from('once'),
      qos: 2,
      messageId: 7,
      dup: true,
      retain: false,
    });
    await second.packets.count(2);
    expect(second.packets.items[1]).toMatchObject({ cmd: 'pubrec', messageId: 7 });
    second.send({ cmd: 'pubrel', messageId: 7 });
    await second.packets.count(3);
    expect(second.packets.items[2]).toMatchObject({ cmd: 'pubcomp', messageId: 7, ...(v5 ? { reasonCode: 0 } : {}) });
    await sub.publishAsync('in/marker', 'marker', { qos: 2 });
    await got.until((items) => items.some((m) => m.text === 'marker'));
    expect(got.items.map((m) => m.text)).toEqual(['once', 'marker']);
  });
});
