// The framer and the PUBLISH fast path against mqtt-packet's own parser: a seeded stream of mixed
// packets (v3.1.1 and v5, with and without properties) cut into random chunks must decode to the
// same packets as mqtt-packet parsing the stream in one piece.
import { describe, expect, it } from 'vitest';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { PacketFramer } from '../../server/mqtt/packet-framer.js';
import { decodePlainPublish } from '../../server/mqtt/publish-decoder.js';
import { mulberry32, pick } from '../helpers/prng.js';

type Version = 4 | 5;

function randomPacket(random: () => number, version: Version): Packet {
  const kind = Math.floor(random() * 6);
  const messageId = 1 + Math.floor(random() * 65_535);
  const topic = pick(random, ['a/b', 'sensors/τ/1', 'x'.repeat(1 + Math.floor(random() * 200))]);
  const payload = Buffer.alloc(Math.floor(random() * (random() < 0.1 ? 40_000 : 300)), Math.floor(random() * 256));
  switch (kind) {
    case 0:
    case 1:
    case 2: {
      const qos = Math.floor(random() * 3) as 0 | 1 | 2;
      const withProps = version === 5 && random() < 0.3;
      return {
        cmd: 'publish',
        topic,
        payload,
        qos,
        retain: random() < 0.3,
        dup: qos > 0 && random() < 0.3,
        ...(qos > 0 ? { messageId } : {}),
        ...(withProps ? { properties: { userProperties: { k: 'v' }, contentType: 'text/plain' } } : {}),
      } as Packet;
    }
    case 3:
      return { cmd: 'puback', messageId };
    case 4:
      return { cmd: 'subscribe', messageId, subscriptions: [{ topic: 'a/+', qos: 1 }] } as Packet;
    default:
      return { cmd: 'pingreq' };
  }
}

/** What matters of a packet for comparison (mqtt-packet adds parser bookkeeping fields). */
function essence(packet: Packet): unknown {
  const p = packet as unknown as Record<string, unknown>;
  return {
    cmd: p.cmd,
    topic: p.topic,
    qos: p.qos,
    dup: p.dup,
    retain: p.retain,
    messageId: p.messageId,
    length: p.length,
    properties: p.properties,
    payload: Buffer.isBuffer(p.payload) ? (p.payload as Buffer).toString('hex') : p.payload,
    subscriptions: p.subscriptions,
  };
}

function parseWhole(stream: Buffer, version: Version): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets: Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  parser.parse(stream);
  return packets;
}

function parseChunked(chunks: Buffer[], version: Version): { packets: Packet[]; fastPath: number } {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets: Packet[] = [];
  let fastPath = 0;
  parser.on('packet', (p) => packets.push(p));
  const framer = new PacketFramer({
    onAnnounced: () => true,
    onFrame(buf, start, end, bodyStart) {
      const publish = buf[start]! >> 4 === 3 ? decodePlainPublish(buf, start, end, bodyStart, version === 5) : null;
      if (publish !== null) {
        fastPath++;
        packets.push(publish);
      } else parser.parse(buf.subarray(start, end));
      return true;
    },
    onMalformedLength() {
      throw new Error('unexpected malformed length');
    },
  });
  for (const chunk of chunks) framer.push(chunk);
  return { packets, fastPath };
}

describe('PacketFramer + decodePlainPublish', () => {
  for (const version of [4, 5] as const) {
    it(`decode a chunked v${version} stream exactly as mqtt-packet does`, () => {
      const random = mulberry32(version * 1000 + 7);
      let fastTotal = 0;
      let publishes = 0;
      for (let round = 0; round < 40; round++) {
        const sent = Array.from({ length: 1 + Math.floor(random() * 60) }, () => randomPacket(random, version));
        const stream = Buffer.concat(sent.map((p) => mqttPacket.generate(p, { protocolVersion: version })));
        // Cut points: single bytes, header splits and large spans alike.
        const chunks: Buffer[] = [];
        for (let at = 0; at < stream.length;) {
          const size = random() < 0.3 ? 1 + Math.floor(random() * 3) : 1 + Math.floor(random() * 5000);
          chunks.push(stream.subarray(at, at + size));
          at += size;
        }
        const expected = parseWhole(stream, version).map(essence);
        const { packets, fastPath } = parseChunked(chunks, version);
        expect(packets.map(essence)).toEqual(expected);
        expect(packets).toHaveLength(sent.length);
        fastTotal += fastPath;
        publishes += sent.filter((p) => p.cmd === 'publish').length;
      }
      // Most publishes are plain (v5: 30% carry properties and go to mqtt-packet).
      expect(fastTotal).toBeGreaterThan(publishes / 2);
      expect(fastTotal).toBeLessThanOrEqual(publishes);
    });
  }

  it('takes the fast path for plain publishes only', () => {
    const plain = mqttPacket.generate(
      { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, messageId: 9, retain: false, dup: false },
      { protocolVersion: 5 },
    );
    const withProps = mqttPacket.generate(
      {
        cmd: 'publish',
        topic: 't',
        payload: Buffer.from('x'),
        qos: 0,
        retain: false,
        dup: false,
        properties: { contentType: 'a' },
      },
      { protocolVersion: 5 },
    );
    const bothQosBits = Buffer.from([0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01]);
    expect(parseChunked([plain], 5).fastPath).toBe(1);
    expect(parseChunked([withProps], 5).fastPath).toBe(0);
    expect(decodePlainPublish(bothQosBits, 0, bothQosBits.length, 2, false)).toBeNull();
    // A topic length running past the packet's end is left to mqtt-packet (which refuses it).
    const overlong = Buffer.from([0x30, 0x03, 0x00, 0x09, 0x61]);
    expect(decodePlainPublish(overlong, 0, overlong.length, 2, false)).toBeNull();
  });

  it('reports a Remaining Length longer than four bytes', () => {
    const rests: Buffer[] = [];
    const framer = new PacketFramer({
      onAnnounced: () => true,
      onFrame: () => true,
      onMalformedLength: (rest) => rests.push(rest),
    });
    const ping = Buffer.from([0xc0, 0x00]);
    framer.push(Buffer.concat([ping, Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]));
    expect(rests).toHaveLength(1);
    expect(rests[0]![0]).toBe(0x30);
  });

  it('announces a packet size before its body arrives, and stops when told', () => {
    const announced: number[] = [];
    const frames: number[] = [];
    const framer = new PacketFramer({
      onAnnounced: (n) => (announced.push(n), n < 1000),
      onFrame: (_b, s, e) => (frames.push(e - s), true),
      onMalformedLength: () => {},
    });
    const big = mqttPacket.generate(
      { cmd: 'publish', topic: 't', payload: Buffer.alloc(5000), qos: 0, retain: false, dup: false },
      { protocolVersion: 4 },
    );
    framer.push(big.subarray(0, 4));
    expect(announced).toEqual([big.length]);
    expect(frames).toEqual([]);
  });
});
