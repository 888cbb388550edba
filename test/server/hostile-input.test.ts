// Nothing a client sends can crash the broker: a seeded stream of random frames (garbage bytes,
// random values, commands with random fields) on both subprotocols, after which the broker still
// serves that connection and everyone else.
import { afterEach, describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import type { Encoding } from '../../protocol/native.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { mulberry32 } from '../helpers/prng.js';

const packr = new Packr({ useRecords: false });
const OPS = ['logon', 'subscribe', 'unsubscribe', 'publish', 'ping', 'msg', 'ack', '', 'x'];
const FIELDS = [
  'op',
  'rid',
  'sid',
  'topic',
  'regex',
  'data',
  'bytes',
  'ack',
  'user',
  'filter',
  'select',
  '__proto__',
  'constructor',
];

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 7 : 10));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor(rand() * 2 ** 33) - 2 ** 32;
    case 3:
      return rand() * 1e6 - 5e5;
    case 4:
      return ['a/+', '#', '', 'a/b', '(a', '^(a+)+$', 'x'.repeat(Math.floor(rand() * 3000)), '\u0000', '\ud800'][
        Math.floor(rand() * 9)
      ];
    case 5:
      return OPS[Math.floor(rand() * OPS.length)];
    case 6:
      return Buffer.from(Array.from({ length: Math.floor(rand() * 16) }, () => Math.floor(rand() * 256)));
    case 7:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 6); i > 0; i--) {
        // defineProperty, so a "__proto__" key is an own property (as a decoder would produce), not a prototype swap
        const key = FIELDS[Math.floor(rand() * FIELDS.length)]!;
        Object.defineProperty(o, key, {
          value: randomValue(rand, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return o;
    }
  }
}

describe.each<Encoding>(['msgpack', 'json'])('hostile input over %s', (encoding) => {
  let tb: TestBroker;
  afterEach(async () => tb.close());

  it('survives 2,000 random frames and keeps serving', async () => {
    tb = await startTestBroker({ listener: { maxProtocolErrors: 10_000, maxFrameBytes: 8192 } });
    const bystander = await RawClient.logon(tb.url, 'msgpack', 'bystander');
    await bystander.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'health' });
    const attacker = await RawClient.logon(tb.url, encoding, 'attacker');
    const rand = mulberry32(encoding === 'json' ? 7 : 11);
    for (let i = 0; i < 2000; i++) {
      const r = rand();
      if (r < 0.2) {
        const junk = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
        // Text frames must stay valid UTF-8 (ws itself closes with 1007 otherwise): latin1 text of the junk is.
        if (rand() < 0.5) attacker.sendRaw(junk, true);
        else attacker.sendRaw(junk.toString('latin1'), false);
      } else {
        const frame =
          r < 0.6 ? { op: OPS[Math.floor(rand() * 5)], ...(randomValue(rand) as object) } : randomValue(rand);
        attacker.sendRaw(
          encoding === 'json' ? (JSON.stringify(frame) ?? 'null') : packr.pack(frame),
          encoding === 'msgpack',
        );
      }
    }
    // The attacker's own connection survives too, and every bad frame got an answer.
    expect(await attacker.request({ op: 'ping', rid: 1e9 })).toMatchObject({ op: 'ack' });
    expect(attacker.frames.filter((f) => f.op === 'error').length).toBeGreaterThan(1000);
    const publisher = await RawClient.logon(tb.url, encoding, 'publisher');
    await publisher.request({ op: 'publish', rid: 1, topic: 'health', data: 'ok', ack: true });
    expect(await bystander.next((f) => f.op === 'msg')).toMatchObject({ topic: 'health', data: 'ok' });
    await Promise.all([bystander.close(), attacker.close(), publisher.close()]);
  });
});
