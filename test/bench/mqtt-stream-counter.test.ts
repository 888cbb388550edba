// The load generator's streaming MQTT counter, fed real packets encoded by mqtt-packet: one byte
// at a time, in seeded random chunk sizes and all at once, it must count every packet and read
// exactly the stamped timestamps.
import { describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { MqttStreamCounter } from '../../bench/mqtt-load/stream-counter.js';
import { connectPacket, publishTemplate, subscribePacket } from '../../bench/mqtt-load/packets.js';
import { mulberry32 } from '../helpers/prng.js';

const { generate } = mqttPacket;

interface Stream {
  bytes: Buffer;
  publishes: number;
  pubacks: number;
  stamps: number[];
  /** Packet ids of the QoS 1 publishes, in order. */
  qos1Ids: number[];
}

/** A mixed stream: CONNACK, SUBACK, QoS 0 and QoS 1 publishes (every 3rd stamped), PUBACKs, PINGRESP. */
function buildStream(seed: number, messages: number): Stream {
  const random = mulberry32(seed);
  const parts: Buffer[] = [
    generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }),
    generate({ cmd: 'suback', messageId: 1, granted: [0] }),
  ];
  const stamps: number[] = [];
  const qos1Ids: number[] = [];
  let publishes = 0;
  let pubacks = 0;
  for (let i = 0; i < messages; i++) {
    const kind = random();
    if (kind < 0.1) {
      parts.push(generate({ cmd: 'puback', messageId: 1 + i }));
      pubacks++;
      continue;
    }
    if (kind < 0.15) {
      parts.push(generate({ cmd: 'pingresp' }));
      continue;
    }
    const qos = random() < 0.5 ? 0 : 1;
    // Payload sizes that make the remaining length take 1, 2 and 3 bytes.
    const payloadBytes = [8, 128, 300, 20_000][Math.floor(random() * 4)]!;
    const topic = `t/${'x'.repeat(Math.floor(random() * 40))}`;
    const t = publishTemplate(topic, payloadBytes, qos);
    const packet = Buffer.from(t.bytes);
    if (qos === 1) {
      const id = 1 + Math.floor(random() * 65535);
      packet.writeUInt16BE(id, t.idAt);
      qos1Ids.push(id);
    }
    if (i % 3 === 0) {
      const stamp = 1_700_000_000_000 + i + random();
      packet.writeDoubleLE(stamp, t.stampAt);
      stamps.push(stamp);
    }
    parts.push(packet);
    publishes++;
  }
  return { bytes: Buffer.concat(parts), publishes, pubacks, stamps, qos1Ids };
}

function feedInChunks(counter: MqttStreamCounter, bytes: Buffer, nextSize: () => number): void {
  for (let at = 0; at < bytes.length;) {
    const size = Math.min(bytes.length - at, nextSize());
    // A copy, so the counter cannot depend on bytes beyond the chunk.
    counter.feed(Buffer.from(bytes.subarray(at, at + size)));
    at += size;
  }
}

function acksToIds(acks: Buffer[]): number[] {
  const all = Buffer.concat(acks);
  const ids: number[] = [];
  for (let at = 0; at < all.length; at += 4) {
    expect(all[at]).toBe(0x40);
    expect(all[at + 1]).toBe(0x02);
    ids.push(all.readUInt16BE(at + 2));
  }
  return ids;
}

function check(stream: Stream, nextSize: () => number): void {
  const seen: number[] = [];
  const counter = new MqttStreamCounter({ onSample: (s) => seen.push(s), ackQos1: true });
  const acks: Buffer[] = [];
  for (let at = 0; at < stream.bytes.length;) {
    const size = Math.min(stream.bytes.length - at, nextSize());
    counter.feed(Buffer.from(stream.bytes.subarray(at, at + size)));
    const a = counter.takeAcks();
    if (a !== null) acks.push(a);
    at += size;
  }
  expect(counter.publishes).toBe(stream.publishes);
  expect(counter.pubacks).toBe(stream.pubacks);
  expect(counter.counts[2]).toBe(1); // CONNACK
  expect(counter.counts[9]).toBe(1); // SUBACK
  expect(counter.stamped).toBe(stream.stamps.length);
  expect(seen).toEqual(stream.stamps);
  expect(acksToIds(acks)).toEqual(stream.qos1Ids);
}

describe('MqttStreamCounter', () => {
  it('counts packets and reads timestamps fed one byte at a time', () => {
    check(buildStream(1, 200), () => 1);
  });

  it('counts packets and reads timestamps fed in random chunk sizes (seeded)', () => {
    for (const seed of [2, 3, 4, 5, 6]) {
      const random = mulberry32(seed * 7919);
      const stream = buildStream(seed, 400);
      // Small chunks that split headers, and large ones that hold many packets.
      check(stream, () => (random() < 0.5 ? 1 + Math.floor(random() * 8) : 1 + Math.floor(random() * 4096)));
    }
  });

  it('counts packets fed all at once', () => {
    const stream = buildStream(9, 300);
    check(stream, () => stream.bytes.length);
  });

  it('ignores payloads with no timestamp and packets it does not track', () => {
    const counter = new MqttStreamCounter({ onSample: () => expect.unreachable() });
    const t = publishTemplate('bench/x', 128, 0, 16);
    feedInChunks(counter, Buffer.concat([connectPacket('c'), subscribePacket('bench/#', 0), t.bytes]), () => 5);
    expect(counter.publishes).toBe(16);
    expect(counter.stamped).toBe(0);
    expect(counter.counts[1]).toBe(1); // CONNECT
    expect(counter.counts[8]).toBe(1); // SUBSCRIBE
    expect(counter.takeAcks()).toBeNull();
  });

  it('rejects a remaining length longer than four bytes', () => {
    const counter = new MqttStreamCounter();
    expect(() => counter.feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/remaining length/);
  });
});
