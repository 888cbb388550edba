// The broker's Receive Maximum: listeners[].options.receiveMaximum is told to v5
// clients in CONNACK and bounds the QoS 2 exchanges a client leaves unfinished (awaiting PUBREL):
// past it, v5 DISCONNECT 0x93 and v3.1.1 close; counted in mqttReceiveMaximumExceeded.
import { describe, expect, it } from 'vitest';
import type { IConnackPacket, IPublishPacket, Packet } from 'mqtt-packet';
import { parseConfig } from '../../server/config/index.js';
import { configErrorOf } from '../config/errors-of.js';
import { startTestBroker } from '../helpers/broker.js';
import { useMqttFixture, type RawMqtt, type Version } from './mqtt-helpers.js';

const fx = useMqttFixture();
const { clients, raws } = fx;

const packetsOf = (raw: RawMqtt, cmd: Packet['cmd']) => raw.packets.items.filter((p) => p.cmd === cmd);

describe('the broker Receive Maximum (inbound QoS 2)', () => {
  it('CONNACK tells v5 clients the configured Receive Maximum (default 100)', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const byDefault = await raws.connect(fx.tb.mqttUrl!, 5, { clientId: 'rm1', clean: true, username: 'u' });
    expect((byDefault.packets.items[0] as IConnackPacket).properties?.receiveMaximum).toBe(100);
    await fx.tb.close();
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'], options: { receiveMaximum: 7 } } });
    const configured = await raws.connect(fx.tb.mqttUrl!, 5, { clientId: 'rm2', clean: true, username: 'u' });
    expect((configured.packets.items[0] as IConnackPacket).properties?.receiveMaximum).toBe(7);
  });

  describe.each<Version>([5, 4])('MQTT %i', (version) => {
    it('a QoS 2 publish past receiveMaximum unfinished exchanges closes the connection (v5: DISCONNECT 0x93)', async () => {
      fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'], options: { receiveMaximum: 3 } } });
      const raw = await raws.connect(fx.tb.mqttUrl!, version, { clientId: 'q2', clean: true, username: 'u' });
      const publish = (messageId: number): IPublishPacket => ({
        cmd: 'publish',
        topic: 'q2/t',
        payload: Buffer.from('x'),
        qos: 2,
        dup: false,
        retain: false,
        messageId,
      });
      for (const id of [1, 2, 3]) raw.send(publish(id));
      await raw.packets.until(() => packetsOf(raw, 'pubrec').length === 3);
      // Finishing one frees its slot: a fourth is accepted.
      raw.send({ cmd: 'pubrel', messageId: 1 });
      raw.send(publish(4));
      await raw.packets.until(() => packetsOf(raw, 'pubrec').length === 4);
      expect(packetsOf(raw, 'pubcomp')).toMatchObject([{ messageId: 1 }]);
      // A resend of an unfinished one is answered again, not counted again.
      raw.send({ ...publish(2), dup: true });
      await raw.packets.until(() => packetsOf(raw, 'pubrec').length === 5);
      // Three unfinished (2, 3, 4): a fourth new one is past the limit.
      raw.send(publish(5));
      await raw.closed;
      expect(packetsOf(raw, 'disconnect')).toMatchObject(version === 5 ? [{ reasonCode: 0x93 }] : []);
      expect(fx.tb.broker.stats()).toMatchObject({ mqttReceiveMaximumExceeded: 1 });
    });
  });

  it('a client that finishes its exchanges may publish any number of QoS 2 messages', async () => {
    fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'], options: { receiveMaximum: 2 } } });
    const pub = await clients.connect(fx.tb.mqttUrl!, 5, { username: 'pub' });
    for (let i = 0; i < 10; i++) await pub.publishAsync('q2/ok', String(i), { qos: 2 });
    expect(fx.tb.broker.stats().mqttReceiveMaximumExceeded).toBe(0);
  });
});

describe('listeners[].options.receiveMaximum', () => {
  it.each([0, 65_536, 'many'])('%s is refused with the key and the expected form', (receiveMaximum) => {
    const error = configErrorOf(() =>
      parseConfig({ listeners: [{ protocol: 'mqtt', options: { receiveMaximum } }] }, { env: {} }),
    );
    expect(error.issues).toEqual([
      {
        path: 'listeners[0].options.receiveMaximum',
        message: `expected an integer from 1 to 65535, got ${JSON.stringify(receiveMaximum)}`,
      },
    ]);
  });
});
