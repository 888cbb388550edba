// The load generator's pre-encoded packets for scenarios 2 and 6: a CONNECT with credentials and
// the many-topics buffer (one PUBLISH per topic, the first one's timestamp offset), checked by
// decoding them with mqtt-packet's parser and by the streaming counter.
import { describe, expect, it } from 'vitest';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { MqttStreamCounter } from '../../bench/mqtt-load/stream-counter.js';
import { STAMP_OFFSET, connectPacket, multiTopicTemplate } from '../../bench/mqtt-load/packets.js';

function decode(bytes: Buffer): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: Packet[] = [];
  parser.on('packet', (p: Packet) => packets.push(p));
  parser.on('error', (err: Error) => {
    throw err;
  });
  parser.parse(bytes);
  return packets;
}

describe('load generator packets', () => {
  it('encodes a CONNECT with a user name and password, and one without', () => {
    const [withCredentials] = decode(connectPacket('c1', { username: 'bench', password: 'pw' }));
    expect(withCredentials).toMatchObject({
      cmd: 'connect',
      clientId: 'c1',
      username: 'bench',
      keepalive: 0,
      clean: true,
    });
    expect((withCredentials as mqttPacket.IConnectPacket).password?.toString('utf8')).toBe('pw');
    const [without] = decode(connectPacket('c2'));
    expect(without).toMatchObject({ cmd: 'connect', clientId: 'c2' });
    expect((without as mqttPacket.IConnectPacket).username).toBeUndefined();
  });

  it('builds one QoS 0 PUBLISH per topic, and stamps only the first', () => {
    const topics = Array.from({ length: 20 }, (_, k) => `t/7/${k}`);
    const template = multiTopicTemplate(topics, 128);
    const bytes = Buffer.from(template.bytes);
    bytes.writeDoubleLE(1234.5, template.stampAt);
    const packets = decode(bytes) as mqttPacket.IPublishPacket[];
    expect(packets.map((p) => p.topic)).toEqual(topics);
    expect(packets.every((p) => p.cmd === 'publish' && p.qos === 0 && p.payload.length === 128)).toBe(true);
    expect((packets[0]!.payload as Buffer).readDoubleLE(STAMP_OFFSET)).toBe(1234.5);
    expect(packets.slice(1).every((p) => (p.payload as Buffer).readDoubleLE(STAMP_OFFSET) === 0)).toBe(true);

    const stamps: number[] = [];
    const counter = new MqttStreamCounter({ stampOffset: STAMP_OFFSET, onSample: (s) => stamps.push(s) });
    counter.feed(bytes);
    expect(counter.publishes).toBe(20);
    expect(stamps).toEqual([1234.5]);
  });
});
