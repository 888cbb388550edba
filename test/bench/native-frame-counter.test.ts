// The native load generator's streaming frame counter, fed deliveries built by the broker's own
// encoder (server/delivery/delivery-frame.ts) in RFC 6455 server frames: one byte
// at a time, in seeded random chunk sizes and all at once, it must count every delivery, read
// exactly the stamps written, decode the other frames and owe a pong per ping.
import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { NativeFrameCounter } from '../../bench/native-raw/frame-counter.js';
import { OPCODE_PONG, publishTemplate } from '../../bench/native-raw/frames.js';
import {
  DIGITS_MARKER,
  readStamp,
  stampMarker,
  writeStamp,
  type StampFormat,
  type StampKind,
} from '../../bench/load/stamp.js';
import { encodeDeliveryBody, encodeDeliveryPrefix } from '../../server/delivery/delivery-frame.js';
import { Payload } from '../../server/delivery/payload.js';
import { mulberry32 } from '../helpers/prng.js';

const packr = new Packr({ useRecords: false });

/** An unmasked, final server frame (2-, 4- or 10-byte header by length). */
function serverFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const header = Buffer.alloc(n < 126 ? 2 : n < 65536 ? 4 : 10);
  header[0] = 0x80 | opcode;
  if (n < 126) header[1] = n;
  else if (n < 65536) {
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([header, payload]);
}

/** A broker delivery frame for `payload` (raw bytes, or an object sent as msgpack `data`). */
function delivery(sids: number[], topic: string, payload: Buffer | Record<string, unknown>): Buffer {
  const body = Buffer.isBuffer(payload) ? Payload.ofBytes(payload) : Payload.ofMsgpack(packr.pack(payload));
  return serverFrame(
    0x2,
    Buffer.concat([encodeDeliveryPrefix('msgpack', sids), encodeDeliveryBody('msgpack', topic, body)]),
  );
}

interface Stream {
  bytes: Buffer;
  deliveries: number;
  stamps: number[];
  replies: Record<string, unknown>[];
  pings: number;
}

/**
 * Deliveries of one shape (so the stamp sits at a fixed distance from the frame's end) with
 * payload sizes whose frames take 2- and 4-byte headers (a 70,000-byte one takes a 10-byte header),
 * every 3rd stamped; an ack and an error up front, pings in between.
 */
function buildStream(
  seed: number,
  messages: number,
  kind: StampKind,
  payloadBytes: number,
): { stream: Stream; format: StampFormat } {
  const random = mulberry32(seed);
  const replies = [
    { op: 'ack', rid: 1, user: 'u', session: 's' },
    { op: 'error', rid: 2, code: 'NOT_ENTITLED', message: 'no' },
  ];
  const parts: Buffer[] = replies.map((r) => serverFrame(0x2, packr.pack(r)));
  const stamps: number[] = [];
  let pings = 0;
  // The stamp's distance from the end, as the generator derives it from its publish frame.
  const payload = (): Buffer | Record<string, unknown> => {
    if (kind === 'digits') return { sym: 'ABCD', px: 101.25, note: 'x'.repeat(payloadBytes), ts: DIGITS_MARKER };
    const b = Buffer.alloc(payloadBytes);
    stampMarker('binary').copy(b, 0);
    return b;
  };
  const p = payload();
  const template = publishTemplate('t', Buffer.isBuffer(p) ? { bytes: p } : { data: p }, kind);
  const format: StampFormat = { kind, offset: -template.stampFromEnd };
  for (let i = 0; i < messages; i++) {
    if (random() < 0.05) {
      parts.push(serverFrame(0x9, Buffer.from(`ping${i}`)));
      pings++;
    }
    const frame = delivery([1, 2], 'bench/topic', p);
    const at = frame.length - template.stampFromEnd;
    if (i % 3 === 0) {
      // Whole µs, so the digits form reads back the exact value.
      const stamp = (1_700_000_000_000_000 + i * 1001 + Math.floor(random() * 1000)) / 1000;
      writeStamp(frame, at, kind, stamp);
      stamps.push(stamp);
    } else {
      writeStamp(frame, at, kind, 0);
    }
    parts.push(frame);
  }
  return { stream: { bytes: Buffer.concat(parts), deliveries: messages, stamps, replies, pings }, format };
}

function check(stream: Stream, format: StampFormat, nextSize: () => number): void {
  const seen: number[] = [];
  const counter = new NativeFrameCounter({ stamp: format, onSample: (s) => seen.push(s) });
  const pongs: Buffer[] = [];
  for (let at = 0; at < stream.bytes.length;) {
    const size = Math.min(stream.bytes.length - at, nextSize());
    // A copy, so the counter cannot depend on bytes beyond the chunk.
    counter.feed(Buffer.from(stream.bytes.subarray(at, at + size)));
    const p = counter.takePongs();
    if (p !== null) pongs.push(p);
    at += size;
  }
  expect(counter.deliveries).toBe(stream.deliveries);
  expect(counter.unreadable).toBe(0);
  expect(counter.stamped).toBe(stream.stamps.length);
  expect(seen).toEqual(stream.stamps);
  expect(counter.replies).toEqual(stream.replies);
  // Each pong is a masked (key 0) final frame: 0x8A, 0x80|len, 4 zero bytes, the ping's payload.
  const all = Buffer.concat(pongs);
  let count = 0;
  for (let at = 0; at < all.length; count++) {
    expect(all[at]).toBe(0x80 | OPCODE_PONG);
    const len = all[at + 1]! & 0x7f;
    expect(all.readUInt32BE(at + 2)).toBe(0);
    expect(all.subarray(at + 6, at + 6 + len).toString()).toMatch(/^ping\d+$/);
    at += 6 + len;
  }
  expect(count).toBe(stream.pings);
}

describe('NativeFrameCounter', () => {
  for (const [kind, sizes] of [
    ['binary', [8, 128, 300, 70_000]],
    ['digits', [10, 128, 300]],
  ] as const) {
    for (const size of sizes) {
      it(`counts deliveries and reads ${kind} stamps (${size}-byte payloads) fed one byte at a time, in random chunks and at once`, () => {
        const { stream, format } = buildStream(size, size > 1000 ? 20 : 200, kind, size);
        check(stream, format, () => 1);
        for (const seed of [2, 3, 4]) {
          const random = mulberry32(seed * 7919);
          check(stream, format, () =>
            random() < 0.5 ? 1 + Math.floor(random() * 8) : 1 + Math.floor(random() * 4096),
          );
        }
        check(stream, format, () => stream.bytes.length);
      });
    }
  }

  it('counts an unreadable stamp instead of reporting a wrong one', () => {
    const counter = new NativeFrameCounter({
      stamp: { kind: 'digits', offset: -16 },
      onSample: () => expect.unreachable(),
    });
    counter.feed(delivery([1], 't', { ts: 'not-sixteen-digs' }));
    expect(counter.deliveries).toBe(1);
    expect(counter.unreadable).toBe(1);
  });

  it('notes the close code', () => {
    const counter = new NativeFrameCounter();
    counter.feed(serverFrame(0x8, Buffer.from([0x0f, 0xa1, 0x61])));
    expect(counter.closeCode).toBe(4001);
  });
});

describe('stamps', () => {
  it('round-trips whole microseconds through 16 digits, and "not sampled" as 0', () => {
    const buf = Buffer.alloc(20);
    writeStamp(buf, 2, 'digits', 1_712_345_678_901.234);
    expect(buf.subarray(2, 18).toString()).toBe('1712345678901234');
    expect(readStamp(buf, 0, 18, { kind: 'digits', offset: -16 })).toBe(1_712_345_678_901.234);
    writeStamp(buf, 2, 'digits', 0);
    expect(readStamp(buf, 2, 18, { kind: 'digits', offset: 0 })).toBe(0);
  });

  it('finds the stamp of a publish frame at the same distance from the end as in the delivery', () => {
    const template = publishTemplate('bench/trades', { data: { px: 1, ts: DIGITS_MARKER } }, 'digits');
    expect(template.stampFromEnd).toBe(16);
    const frame = Buffer.from(template.bytes);
    writeStamp(frame, template.stampAt, 'digits', 1_700_000_000_000.5);
    // Key 0: the masked payload is the plain msgpack; it decodes to the command with the stamp.
    const decoded = packr.unpack(frame.subarray(frame.length - (frame[1]! & 0x7f))) as Record<string, unknown>;
    expect(decoded).toEqual({ op: 'publish', topic: 'bench/trades', data: { px: 1, ts: '1700000000000500' } });
  });
});
