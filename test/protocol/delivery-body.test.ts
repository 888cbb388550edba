// The frame a fan-out shares (Message.frame, SharedFrame) against what each receiver must get: for
// every receiver of a plan, the bytes it would write decode in the SDK to exactly its delivery
// (its sids, the topic, its projection of the payload), and receivers with equal subscription ids
// and body are handed the same frame object, whose WebSocket frame is built once.
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { createCodec } from '../../client/codec.js';
import type { Encoding } from '../../protocol/native.js';
import { DeliveryPlan } from '../../server/delivery/delivery-plan.js';
import { Message } from '../../server/delivery/message.js';
import { Payload } from '../../server/delivery/payload.js';
import { SubscriptionEntry } from '../../server/delivery/subscription-entry.js';
import { compileFilter } from '../../server/content/filter/index.js';
import { compileSelect } from '../../server/content/select/index.js';
import { ALLOW_ALL } from '../../server/security/decision.js';
import { BrokerStats } from '../../server/stats.js';
import type { SharedFrame } from '../../server/transports/shared-frame.js';
import { recordingReceiver, type RecordingReceiver } from '../helpers/native-receiver.js';

const packr = new Packr({ useRecords: false });

/** The payload of one whole unmasked WebSocket frame, checking its header. */
function unframe(frame: Buffer, binary: boolean): Buffer {
  expect(frame[0]).toBe(0x80 | (binary ? 2 : 1));
  const len7 = frame[1]! & 0x7f;
  expect(frame[1]! & 0x80).toBe(0); // server frames are not masked
  const [length, start] =
    len7 === 126 ? [frame.readUInt16BE(2), 4] : len7 === 127 ? [Number(frame.readBigUInt64BE(2)), 10] : [len7, 2];
  expect(frame.length).toBe(start + length);
  return frame.subarray(start);
}

/** What the SDK makes of `frame` as its receiver's connection sends it (ws: the frame; uWS: its payload). */
function decoded(frame: SharedFrame, encoding: Encoding): unknown {
  const binary = encoding === 'msgpack';
  const payload = unframe(frame.wsFrame(binary), binary);
  expect(frame.payload(binary).equals(payload)).toBe(true);
  const codec = createCodec(encoding);
  return codec.decode(binary ? payload : payload.toString('utf8'));
}

const DOC = { n: 1, px: 20, secret: 's', nested: { a: [1, 2, 'x'] } };
const big = { n: 2, px: 20, secret: 's', text: 'y'.repeat(70_000) };

const PAYLOADS: [string, () => Payload, Record<string, unknown>][] = [
  ['msgpack as published', () => Payload.ofMsgpack(packr.pack(DOC)), DOC],
  ['a decoded value', () => Payload.ofValue(DOC), DOC],
  ['a 70 kB value (64-bit frame length)', () => Payload.ofValue(big), big],
];

describe.each(PAYLOADS)('a fan-out of %s', (_name, payloadOf, doc) => {
  const { secret: _s, ...projected } = doc;
  it('gives each receiver its own delivery, from one frame per distinct (sids, body)', () => {
    const stats = new BrokerStats();
    const hideSecret = compileSelect('-/secret');
    const r = {
      a: recordingReceiver('msgpack'),
      b: recordingReceiver('msgpack'),
      c: recordingReceiver('msgpack'), // sid 2
      d: recordingReceiver('msgpack'), // select list
      e: recordingReceiver('json'),
      f: recordingReceiver('json'),
      g: recordingReceiver('msgpack'), // sids 1 and 3; 3's filter fails
      h: recordingReceiver('msgpack'), // a filter that passes, no select list
    };
    const entries = [
      new SubscriptionEntry(r.a, 1, null, null),
      new SubscriptionEntry(r.b, 1, null, null),
      new SubscriptionEntry(r.c, 2, null, null),
      new SubscriptionEntry(r.d, 1, null, hideSecret),
      new SubscriptionEntry(r.e, 1, null, null),
      new SubscriptionEntry(r.f, 1, null, null),
      new SubscriptionEntry(r.g, 1, null, null),
      new SubscriptionEntry(r.g, 3, compileFilter('px > 100'), null),
      new SubscriptionEntry(r.h, 1, compileFilter('px > 10'), null),
    ];
    const plan = DeliveryPlan.build('t/1', entries);
    const message = new Message('t/1', payloadOf(), stats);
    for (let i = 0; i < plan.targets.length; i++) expect(plan.deliver(i, ALLOW_ALL, message, stats)).toBe(1);

    const msg = (sids: number[], data: unknown) => ({ op: 'msg', sids, topic: 't/1', data });
    const expected: Record<keyof typeof r, unknown> = {
      a: msg([1], doc),
      b: msg([1], doc),
      c: msg([2], doc),
      d: msg([1], projected),
      e: msg([1], doc),
      f: msg([1], doc),
      g: msg([1], doc),
      h: msg([1], doc),
    };
    for (const [name, target] of Object.entries(r)) {
      expect(target.frames, name).toHaveLength(1);
      expect(decoded(target.frames[0]!, target.encoding), name).toEqual(expected[name as keyof typeof r]);
    }

    // Shared: equal sids and body, one frame object and one WebSocket frame.
    const frameOf = (t: RecordingReceiver) => t.frames[0]!;
    expect(frameOf(r.b)).toBe(frameOf(r.a));
    expect(frameOf(r.h)).toBe(frameOf(r.a));
    expect(frameOf(r.f)).toBe(frameOf(r.e));
    expect(frameOf(r.b).wsFrame(true)).toBe(frameOf(r.a).wsFrame(true));
    expect(frameOf(r.a).payload(true).buffer).toBe(frameOf(r.a).wsFrame(true).buffer);
    // Not shared where the bytes differ, though the body is where only the sids do.
    expect(frameOf(r.c)).not.toBe(frameOf(r.a));
    expect(frameOf(r.c).tail).toBe(frameOf(r.a).tail);
    expect(frameOf(r.d).tail).not.toBe(frameOf(r.a).tail);
    expect(frameOf(r.g)).not.toBe(frameOf(r.a)); // its own prefix of the matching sids
  });
});
