// Byte-level mutations of an encoded input, as data, so fast-check can generate and shrink them:
// flipped bits, overwritten, inserted, deleted or duplicated bytes, truncation. Positions are
// drawn as 16-bit numbers and taken modulo the input's length, so one mutation fits any input.
import fc from 'fast-check';

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly count: number }
  | { readonly kind: 'truncate'; readonly at: number };

/** Bytes parsers treat specially: zero, sign and continuation bits, msgpack's unused 0xc1, UTF-8 lead and invalid bytes. */
const INTERESTING = [
  0x00, 0x01, 0x7f, 0x80, 0x81, 0xc0, 0xc1, 0xc3, 0xdd, 0xdf, 0xe0, 0xed, 0xf4, 0xf8, 0xfe, 0xff, 0x22, 0x5c, 0x7b,
  0x7d,
];

const position = fc.nat({ max: 0xffff });
const byte = fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 }));

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, value: byte }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      byte.map((b) => Uint8Array.of(b)),
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
);

/** None most of the time, so valid inputs reach the deep paths too; else one to four. */
export const mutationsArb: fc.Arbitrary<readonly Mutation[]> = fc.oneof(
  { weight: 2, arbitrary: fc.constant([]) },
  { weight: 3, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 4 }) },
);

export function applyMutations(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = input;
  for (const m of mutations) bytes = applyMutation(bytes, m);
  return bytes;
}

function applyMutation(bytes: Buffer, m: Mutation): Buffer {
  const length = bytes.length;
  const at = length === 0 ? 0 : m.at % length;
  switch (m.kind) {
    case 'flip': {
      if (length === 0) return bytes;
      const out = Buffer.from(bytes);
      out[at] = out[at]! ^ (1 << m.bit);
      return out;
    }
    case 'set': {
      if (length === 0) return Buffer.of(m.value);
      const out = Buffer.from(bytes);
      out[at] = m.value;
      return out;
    }
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    case 'delete':
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.count)]);
    case 'duplicate':
      return Buffer.concat([bytes.subarray(0, at + m.count), bytes.subarray(at)]);
    case 'truncate':
      return bytes.subarray(0, at);
  }
}
