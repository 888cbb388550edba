// The hand-written PUBLISH encoder must produce exactly mqtt-packet's bytes, and what mqtt-packet's
// parser reads back, for every header flag, QoS, protocol version and Remaining Length width.
import { describe, expect, it } from 'vitest';
import mqttPacket, { type IPublishPacket } from 'mqtt-packet';
import { encodePublish } from '../../server/mqtt/publish-encoder.js';
import { mulberry32, pick } from '../helpers/prng.js';

const TOPICS = ['a', 'sensors/room-1/temp', 'ünïcödé/τοπικό/话题', 'x'.repeat(300), '$share-like/with spaces'];
// Payload sizes that put the Remaining Length on each side of the 1/2/3-byte boundaries.
const SIZES = [0, 1, 100, 120, 121, 122, 125, 126, 127, 128, 16_370, 16_380, 16_384, 2_097_140, 2_097_152];

function parseOne(bytes: Buffer, protocolVersion: 4 | 5): IPublishPacket {
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: IPublishPacket[] = [];
  parser.on('packet', (p) => packets.push(p as IPublishPacket));
  parser.on('error', (err) => {
    throw err;
  });
  parser.parse(bytes);
  expect(packets).toHaveLength(1);
  return packets[0]!;
}

describe('encodePublish', () => {
  it('matches mqtt-packet byte for byte across flags, QoS, versions and length widths', () => {
    const random = mulberry32(61);
    let cases = 0;
    for (const size of SIZES) {
      for (const v5 of [false, true]) {
        for (const qos of [0, 1, 2] as const) {
          const topic = pick(random, TOPICS);
          const payload = Buffer.alloc(size, Math.floor(random() * 256));
          const messageId = qos === 0 ? undefined : 1 + Math.floor(random() * 65_535);
          const dup = qos > 0 && random() < 0.5;
          const retain = random() < 0.5;
          const mine = encodePublish(topic, payload, qos, messageId, dup, retain, v5);
          const theirs = mqttPacket.generate(
            { cmd: 'publish', topic, payload, qos, messageId, dup, retain },
            { protocolVersion: v5 ? 5 : 4 },
          );
          expect(mine.equals(theirs), `size ${size} v5 ${v5} qos ${qos}`).toBe(true);
          const parsed = parseOne(mine, v5 ? 5 : 4);
          expect(parsed.topic).toBe(topic);
          expect(parsed.qos).toBe(qos);
          expect(parsed.retain).toBe(retain);
          expect(parsed.dup).toBe(dup);
          expect(parsed.messageId).toBe(messageId);
          expect(Buffer.compare(parsed.payload as Buffer, payload)).toBe(0);
          cases++;
        }
      }
    }
    expect(cases).toBe(SIZES.length * 6);
  });
});
