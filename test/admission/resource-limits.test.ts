// Resource-limit groups (SwiftMQ; AMQ Interconnect's memory limit) through real connections: each
// limit refuses the one command with its own code and the connection stays up, except the
// queued-bytes limit, which closes the connection as a slow consumer. Users in no group get
// `public`; the listener's own limits still apply (the smaller wins).
import { describe, expect, it } from 'vitest';
import type { IPublishPacket } from 'mqtt-packet';
import { ErrorCodes } from '../../protocol/native.js';
import type { RawClient } from '../helpers/raw-client.js';
import { useAdmissionFixture } from './fixture.js';

const fx = useAdmissionFixture();

async function subscribe(client: RawClient, sid: number, topic: string): Promise<Record<string, unknown>> {
  return client.request({ op: 'subscribe', rid: 100 + sid, sid, topic });
}

async function stillUp(client: RawClient): Promise<void> {
  expect(await client.request({ op: 'ping', rid: 999 })).toEqual({ op: 'ack', rid: 999 });
}

describe('maxSubscriptions', () => {
  const limits = { few: { users: ['s'], maxSubscriptions: 2 } };

  it('native: the group limit gives TOO_MANY_SUBSCRIPTIONS; the connection stays up; other groups are not limited', async () => {
    const tb = await fx.start({ limits });
    const s = await fx.admitted('s');
    expect(await subscribe(s, 1, 'a')).toMatchObject({ op: 'ack' });
    expect(await subscribe(s, 2, 'b')).toMatchObject({ op: 'ack' });
    expect(await subscribe(s, 3, 'c')).toEqual({
      op: 'error',
      rid: 103,
      code: ErrorCodes.TOO_MANY_SUBSCRIPTIONS,
      message: 'this connection already has 2 subscriptions, the maximum',
      cmd: 'subscribe',
    });
    await stillUp(s);
    // An unsubscribe frees a place.
    expect(await s.request({ op: 'unsubscribe', rid: 5, sid: 1 })).toMatchObject({ op: 'ack' });
    expect(await subscribe(s, 3, 'c')).toMatchObject({ op: 'ack' });
    const other = await fx.admitted('p');
    for (let sid = 1; sid <= 3; sid++) expect(await subscribe(other, sid, `t${sid}`)).toMatchObject({ op: 'ack' });
    expect(tb.broker.stats().subscriptionsOverLimit).toBe(1);
  });

  it('MQTT: SUBACK 0x97 (v5, with a reason string) and 0x80 (v3.1.1), per filter', async () => {
    const tb = await fx.start({ limits });
    const v5 = await fx.raws.connect(tb.mqttUrl, 5, { clientId: 'v5', username: 's', clean: true });
    v5.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: ['a', 'b', 'c'].map((topic) => ({ topic, qos: 0 as const })),
    });
    await v5.packets.count(2);
    expect(v5.packets.items[1]).toMatchObject({
      cmd: 'suback',
      granted: [0, 0, 0x97],
      properties: { reasonString: 'too many subscriptions' },
    });
    const v3 = await fx.raws.connect(tb.mqttUrl, 4, { clientId: 'v3', username: 's', clean: true });
    v3.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: ['a', 'b', 'c'].map((topic) => ({ topic, qos: 1 as const })),
    });
    await v3.packets.count(2);
    expect(v3.packets.items[1]).toMatchObject({ cmd: 'suback', granted: [1, 1, 0x80] });
    // Still connected: PINGREQ is answered.
    v3.send({ cmd: 'pingreq' });
    await v3.packets.count(3);
    expect(v3.packets.items[2]).toMatchObject({ cmd: 'pingresp' });
    expect(tb.broker.stats().subscriptionsOverLimit).toBe(2);
  });

  it('public limits users in no other group; the listener limit applies when it is smaller', async () => {
    await fx.start({
      limits: { public: { maxSubscriptions: 1 }, roomy: { users: ['r'], maxSubscriptions: 5 } },
      nativeOptions: { maxSubscriptionsPerConnection: 2 },
    });
    const p = await fx.admitted('anyone');
    expect(await subscribe(p, 1, 'a')).toMatchObject({ op: 'ack' });
    expect(await subscribe(p, 2, 'b')).toMatchObject({ code: ErrorCodes.TOO_MANY_SUBSCRIPTIONS });
    const r = await fx.admitted('r');
    expect(await subscribe(r, 1, 'a')).toMatchObject({ op: 'ack' });
    expect(await subscribe(r, 2, 'b')).toMatchObject({ op: 'ack' });
    expect(await subscribe(r, 3, 'c')).toMatchObject({ code: ErrorCodes.TOO_MANY_SUBSCRIPTIONS });
  });
});

describe('maxMessageBytes', () => {
  const limits = { small: { users: ['s'], maxMessageBytes: 200 } };
  const big = 'x'.repeat(300);

  it('native: MESSAGE_TOO_LARGE for that publish, delivered to no one; the connection stays up', async () => {
    const tb = await fx.start({ limits });
    const reader = await fx.admitted('reader');
    await subscribe(reader, 1, 'news');
    const s = await fx.admitted('s');
    expect(await s.request({ op: 'publish', rid: 2, ack: true, topic: 'news', data: big })).toEqual({
      op: 'error',
      rid: 2,
      code: ErrorCodes.MESSAGE_TOO_LARGE,
      message: expect.stringMatching(/^the message is \d+ bytes; this connection may publish at most 200$/) as unknown,
      cmd: 'publish',
    });
    expect(await s.request({ op: 'publish', rid: 3, ack: true, topic: 'news', data: 'small' })).toEqual({
      op: 'ack',
      rid: 3,
    });
    // Messages from one publisher arrive in order: had the big one been delivered, it would come first.
    const [first] = await reader.messages(1);
    expect(first).toMatchObject({ topic: 'news', data: 'small' });
    // Users in other groups may publish it.
    const other = await fx.admitted('other');
    expect(await other.request({ op: 'publish', rid: 4, ack: true, topic: 'news', data: big })).toEqual({
      op: 'ack',
      rid: 4,
    });
    expect(tb.broker.stats().publishesTooLarge).toBe(1);
  });

  it('MQTT v5: PUBACK 0x97 for QoS 1; QoS 0 is dropped and counted; v3.1.1 QoS 1 is acknowledged and dropped', async () => {
    const tb = await fx.start({ limits });
    const reader = await fx.mqtt.connect(tb.mqttUrl, 5, { username: 'reader' });
    const got: string[] = [];
    reader.on('message', (_topic, payload) => got.push(payload.toString()));
    await reader.subscribeAsync('news', { qos: 1 });

    const v5 = await fx.raws.connect(tb.mqttUrl, 5, { clientId: 'v5', username: 's', clean: true });
    v5.send({
      cmd: 'publish',
      topic: 'news',
      payload: Buffer.from(big),
      qos: 1,
      messageId: 7,
      retain: false,
      dup: false,
    } as IPublishPacket);
    v5.send({
      cmd: 'publish',
      topic: 'news',
      payload: Buffer.from(big),
      qos: 0,
      retain: false,
      dup: false,
    } as IPublishPacket);
    v5.send({
      cmd: 'publish',
      topic: 'news',
      payload: Buffer.from('v5-small'),
      qos: 1,
      messageId: 8,
      retain: false,
      dup: false,
    } as IPublishPacket);
    await v5.packets.count(3);
    expect(v5.packets.items.slice(1)).toMatchObject([
      { cmd: 'puback', messageId: 7, reasonCode: 0x97, properties: { reasonString: 'message too large' } },
      { cmd: 'puback', messageId: 8, reasonCode: 0 },
    ]);

    const v3 = await fx.raws.connect(tb.mqttUrl, 4, { clientId: 'v3', username: 's', clean: true });
    v3.send({
      cmd: 'publish',
      topic: 'news',
      payload: Buffer.from(big),
      qos: 1,
      messageId: 9,
      retain: false,
      dup: false,
    } as IPublishPacket);
    v3.send({
      cmd: 'publish',
      topic: 'news',
      payload: Buffer.from('v3-small'),
      qos: 1,
      messageId: 10,
      retain: false,
      dup: false,
    } as IPublishPacket);
    await v3.packets.count(3);
    expect(v3.packets.items.slice(1)).toMatchObject([
      { cmd: 'puback', messageId: 9 },
      { cmd: 'puback', messageId: 10 },
    ]);

    await new Promise<void>((resolve) => reader.on('message', () => got.length === 2 && resolve()));
    expect(got).toEqual(['v5-small', 'v3-small']);
    expect(tb.broker.stats()).toMatchObject({ publishesTooLarge: 3, mqttPublishesDropped: 2 });
  });

  it('MQTT with disconnectOnDeniedPublish: a v3.1.1 client is disconnected', async () => {
    const tb = await fx.start({ limits, mqttOptions: { disconnectOnDeniedPublish: true } });
    const v3 = await fx.raws.connect(tb.mqttUrl, 4, { clientId: 'v3', username: 's', clean: true });
    v3.send({
      cmd: 'publish',
      topic: 'news',
      payload: Buffer.from(big),
      qos: 0,
      retain: false,
      dup: false,
    } as IPublishPacket);
    await v3.closed;
    await tb.broker.admission.whenAtMost(0);
  });
});

describe('maxPublishTopicsPerSecond', () => {
  const limits = { feeds: { users: ['t'], maxPublishTopicsPerSecond: 2 } };

  it('native: distinct topics per second; a third is refused with TOO_MANY_PUBLISH_TOPICS until the next second', async () => {
    const tb = await fx.start({ limits });
    const t = await fx.admitted('t');
    const publish = (rid: number, topic: string): Promise<Record<string, unknown>> =>
      t.request({ op: 'publish', rid, ack: true, topic, data: rid });
    expect(await publish(1, 'a')).toEqual({ op: 'ack', rid: 1 });
    expect(await publish(2, 'b')).toEqual({ op: 'ack', rid: 2 });
    expect(await publish(3, 'a')).toEqual({ op: 'ack', rid: 3 });
    expect(await publish(4, 'c')).toMatchObject({
      op: 'error',
      rid: 4,
      code: ErrorCodes.TOO_MANY_PUBLISH_TOPICS,
      cmd: 'publish',
    });
    await stillUp(t);
    tb.clock.advance(1000);
    expect(await publish(5, 'c')).toEqual({ op: 'ack', rid: 5 });
    expect(tb.broker.stats().publishesOverTopicLimit).toBe(1);
  });

  it('MQTT v5: PUBACK 0x97 quota exceeded', async () => {
    const tb = await fx.start({ limits });
    const v5 = await fx.raws.connect(tb.mqttUrl, 5, { clientId: 'v5', username: 't', clean: true });
    ['a', 'b', 'c'].forEach((topic, i) =>
      v5.send({
        cmd: 'publish',
        topic,
        payload: Buffer.from('x'),
        qos: 1,
        messageId: i + 1,
        retain: false,
        dup: false,
      } as IPublishPacket),
    );
    await v5.packets.count(4);
    expect(v5.packets.items.slice(1)).toMatchObject([
      { cmd: 'puback', messageId: 1, reasonCode: 0 },
      { cmd: 'puback', messageId: 2, reasonCode: 0 },
      {
        cmd: 'puback',
        messageId: 3,
        reasonCode: 0x97,
        properties: { reasonString: 'too many distinct publish topics this second' },
      },
    ]);
  });
});

describe('maxQueuedBytes (AMQ Interconnect memory limit)', () => {
  const limits = { tight: { users: ['slow'], maxQueuedBytes: 64 * 1024 } };

  /** Publish 16 KiB messages in acked batches until the broker disconnects a slow consumer. */
  async function flood(publisher: RawClient, stats: () => Readonly<Record<string, number>>): Promise<void> {
    const payload = 'x'.repeat(16 * 1024);
    // Kernel socket buffers absorb the first few MB; the bound is a count, not a guess at their size.
    for (let sent = 0; stats().slowConsumerDisconnects === 0 && sent < 4000;) {
      for (let i = 0; i < 50; i++) publisher.send({ op: 'publish', topic: 'feed', data: { seq: sent++, payload } });
      await publisher.request({ op: 'ping', rid: sent });
    }
  }

  it('native: the group member that stops reading is closed as a slow consumer (4001); a public one is not', async () => {
    const tb = await fx.start({ limits });
    const slow = await fx.admitted('slow');
    const patient = await fx.admitted('patient');
    await subscribe(slow, 1, 'feed');
    await subscribe(patient, 1, 'feed');
    slow.ws.pause();
    patient.ws.pause();
    await flood(await fx.admitted('publisher'), () => tb.broker.stats());
    expect(tb.broker.stats().slowConsumerDisconnects).toBe(1);
    slow.ws.resume();
    expect((await slow.closed).code).toBe(4001);
    await tb.broker.admission.whenAtMost(2);
    expect(tb.broker.admission.counts().users).toEqual({ patient: 1, publisher: 1 });
  }, 60_000);

  it('MQTT: the group member that stops reading is closed', async () => {
    const tb = await fx.start({ limits });
    const slow = await fx.raws.connect(tb.mqttUrl, 5, { clientId: 'slow', username: 'slow', clean: true });
    slow.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'feed', qos: 0 }] });
    await slow.packets.count(2);
    slow.socket.pause();
    await flood(await fx.admitted('publisher'), () => tb.broker.stats());
    expect(tb.broker.stats().slowConsumerDisconnects).toBe(1);
    slow.socket.resume();
    await slow.closed;
    await tb.broker.admission.whenAtMost(1);
  }, 60_000);
});
