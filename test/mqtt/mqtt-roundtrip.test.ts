// MQTT 3.1.1 and 5.0 over TCP and WebSocket against a real broker: connect, subscribe, publish at
// QoS 0 and 1, unsubscribe, and messages crossing between MQTT and the native SDK.
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';
import { inbox, MqttClients, type Version } from './mqtt-helpers.js';

let tb: TestBroker | null = null;
const clients = new MqttClients();
afterEach(async () => {
  await clients.teardown();
  await tb?.close();
  tb = null;
});

async function broker(): Promise<TestBroker> {
  tb = await startTestBroker({ mqtt: {} });
  return tb;
}

describe.each<Version>([4, 5])('MQTT protocol version %i', (version) => {
  describe.each(['tcp', 'websocket'] as const)('over %s', (transport) => {
    const urlOf = (b: TestBroker): string => (transport === 'tcp' ? b.mqttUrl! : b.mqttWsUrl!);

    it('connects, subscribes, and receives QoS 0 and QoS 1 publishes in order', async () => {
      const b = await broker();
      const sub = await clients.connect(urlOf(b), version, { username: 'sub', password: 'pw' });
      const got = inbox(sub);
      const granted = await sub.subscribeAsync('a/+', { qos: 1 });
      expect(granted.map((g) => g.qos)).toEqual([1]);
      const pub = await clients.connect(urlOf(b), version, { username: 'pub', password: 'pw' });
      await pub.publishAsync('a/x', 'zero', { qos: 0 });
      await pub.publishAsync('a/y', 'one', { qos: 1 }); // resolves on PUBACK
      await got.count(2);
      expect(got.items.map((m) => [m.topic, m.text, m.qos])).toEqual([
        ['a/x', 'zero', 0],
        ['a/y', 'one', 1],
      ]);
    });

    it('stops delivering after UNSUBSCRIBE', async () => {
      const b = await broker();
      const sub = await clients.connect(urlOf(b), version, { username: 'sub' });
      const got = inbox(sub);
      await sub.subscribeAsync('t/1', { qos: 1 });
      await sub.subscribeAsync('t/2', { qos: 1 });
      await sub.unsubscribeAsync('t/1');
      const pub = await clients.connect(urlOf(b), version, { username: 'pub' });
      await pub.publishAsync('t/1', 'gone', { qos: 1 });
      await pub.publishAsync('t/2', 'kept', { qos: 1 });
      await got.count(1);
      expect(got.items.map((m) => m.text)).toEqual(['kept']);
    });

    it('answers PINGREQ', async () => {
      const b = await broker();
      const client = await clients.connect(urlOf(b), version, { username: 'u', keepalive: 1 });
      // The client pings after a second of silence; a PINGRESP means the broker answered.
      await new Promise<void>((resolve) => client.on('packetreceive', (p) => p.cmd === 'pingresp' && resolve()));
      expect(client.connected).toBe(true);
    });
  });

  it('an SDK publish reaches an MQTT subscriber as JSON text, an MQTT publish reaches the SDK as bytes', async () => {
    const b = await broker();
    const mq = await clients.connect(b.mqttUrl!, version, { username: 'm' });
    const got = inbox(mq);
    await mq.subscribeAsync('x/#', { qos: 1 });
    const sdk = await connect(b.url, { user: 's', password: 'pw', encoding: 'json' });
    try {
      const sdkGot = new Collector<{ topic: string; bytes: Uint8Array | undefined; data: unknown }>();
      await sdk.subscribe({ topic: 'y/1' }, (m) => sdkGot.push({ topic: m.topic, bytes: m.bytes, data: m.data }));
      await sdk.publish('x/1', { px: 1, sym: 'A' }, { ack: true });
      await got.count(1);
      expect(got.items[0]).toMatchObject({ topic: 'x/1', text: '{"px":1,"sym":"A"}' });
      await mq.publishAsync('y/1', Buffer.from([0, 1, 2, 255]), { qos: 1 });
      await sdkGot.count(1);
      expect(Buffer.from(sdkGot.items[0]!.bytes!)).toEqual(Buffer.from([0, 1, 2, 255]));
    } finally {
      await sdk.close();
    }
  });
});

describe('MQTT 5 features', () => {
  it('honours No Local and sends subscription identifiers', async () => {
    const b = await broker();
    const c = await clients.connect(b.mqttUrl!, 5, { username: 'u' });
    const got = inbox(c);
    await c.subscribeAsync('n/1', { qos: 1, nl: true });
    await c.subscribeAsync('n/+', { qos: 0, properties: { subscriptionIdentifier: 7 } });
    const other = await clients.connect(b.mqttUrl!, 5, { username: 'o' });
    await c.publishAsync('n/1', 'own', { qos: 1 }); // matches only n/+ for c
    await other.publishAsync('n/1', 'other', { qos: 1 }); // matches both
    await got.count(2);
    expect(got.items.map((m) => [m.text, m.qos, m.subscriptionIds])).toEqual([
      ['own', 0, [7]],
      ['other', 1, [7]],
    ]);
  });
});
