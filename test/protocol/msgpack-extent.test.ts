// The msgpack extent scanner that lets publishes keep their payload bytes: it must agree with a
// real encoder on where every value ends, and refuse what a payload may not hold.
import { describe, expect, it } from 'vitest';
import { Packr, Unpackr } from 'msgpackr';
import { MAX_MSGPACK_DEPTH, MsgpackExtentError, msgpackValueEnd } from '../../server/native/msgpack-extent.js';
import { mulberry32 } from '../helpers/prng.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });

function randomValue(rand: () => number, depth = 0): unknown {
  const kind = Math.floor(rand() * (depth > 4 ? 8 : 10));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor(rand() * 300) - 150;
    case 3:
      return Math.floor(rand() * 2 ** 40) * (rand() < 0.5 ? -1 : 1);
    case 4:
      return rand() * 1e9;
    case 5:
      return 'x'.repeat(Math.floor(rand() * 300));
    case 6:
      return 'ü'.repeat(Math.floor(rand() * 40000));
    case 7:
      return Buffer.alloc(Math.floor(rand() * 70000), 7);
    case 8:
      return Array.from({ length: Math.floor(rand() * 20) }, () => randomValue(rand, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 20); i > 0; i--) o[`k${i}`] = randomValue(rand, depth + 1);
      return o;
    }
  }
}

describe('msgpackValueEnd', () => {
  it('finds the end of every value a real encoder produces, followed by other bytes', () => {
    const rand = mulberry32(99);
    for (let i = 0; i < 300; i++) {
      const encoded = packr.pack(randomValue(rand));
      const framed = Buffer.concat([Buffer.from([0x01]), encoded, Buffer.from([0xc0, 0x05])]);
      expect(msgpackValueEnd(framed, 1)).toBe(1 + encoded.length);
    }
  });

  it('refuses every truncation of a value, byte by byte', () => {
    const encoded = packr.pack({ a: [1, 2.5, 'three', Buffer.from([4]), { b: null, c: true }], long: 'y'.repeat(300) });
    for (let cut = 0; cut < encoded.length; cut++) {
      expect(() => msgpackValueEnd(encoded.subarray(0, cut), 0), `cut at ${cut}`).toThrow(MsgpackExtentError);
    }
  });

  it('refuses extension types, the never-used byte and nesting beyond the limit', () => {
    expect(() => msgpackValueEnd(Buffer.from([0xd6, 0xff, 0, 0, 0, 0]), 0)).toThrow(/extension types/);
    expect(() => msgpackValueEnd(Buffer.from([0xc1]), 0)).toThrow(/0xc1/);
    let deep: unknown = 1;
    for (let i = 0; i < MAX_MSGPACK_DEPTH; i++) deep = [deep];
    expect(msgpackValueEnd(packr.pack(deep), 0)).toBeGreaterThan(0);
    expect(() => msgpackValueEnd(packr.pack([deep]), 0)).toThrow(/nesting deeper/);
  });

  it('stops at the end of the buffer on a huge declared length instead of looping', () => {
    expect(() => msgpackValueEnd(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]), 0)).toThrow(/truncated/);
  });

  // Found by the fuzzer: msgpackr cannot make an object key of a map, an array or bytes and throws
  // when it decodes one, long after the scanner accepted the value (a native auth's `data`).
  it('refuses a map key that is a map, an array or bytes, at any depth, and accepts scalar keys', () => {
    const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
    const badKeys = [
      Buffer.from([0x81, 0x80, 0x01]), // {{}: 1}
      Buffer.from([0x81, 0x91, 0x01, 0x02]), // {[1]: 2}
      Buffer.from([0x81, 0xc4, 0x01, 0x41, 0x02]), // {bin "A": 2}
      Buffer.from([0x92, 0x01, 0x81, 0xa1, 0x61, 0x81, 0x80, 0x02]), // [1, {a: {{}: 2}}]
      Buffer.from([0x82, 0xa1, 0x61, 0x01, 0xde, 0x00, 0x00, 0x02]), // {a: 1, map16 {}: 2}
    ];
    for (const bytes of badKeys) {
      expect(() => unpackr.unpack(bytes)).toThrow();
      expect(() => msgpackValueEnd(bytes, 0)).toThrow(/map key is a map, an array or bytes/);
    }
    // Values that are maps, arrays or bytes are fine, and so are string, number, boolean and nil keys.
    const good = Buffer.from([0x84, 0xa1, 0x61, 0x80, 0x01, 0x91, 0x02, 0xc3, 0xc0, 0xc0, 0xc4, 0x01, 0x41]); // {a: {}, 1: [2], true: nil, nil: bin "A"}
    expect(msgpackValueEnd(good, 0)).toBe(good.length);
    expect(() => unpackr.unpack(good)).not.toThrow();
  });
});
