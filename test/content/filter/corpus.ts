// A seeded corpus of message documents for the differential test: nested objects, arrays (of
// scalars, of objects, nested), numbers (0, negative, fractional, huge), strings (empty, accented,
// CJK, astral, whitespace of every kind), booleans, null, and fields that are often missing.
import { mulberry32, pick } from '../../helpers/prng.js';

/** Stands for "leave the field out". */
const MISSING = Symbol('missing');
type Choice = unknown;

// Infinity and NaN cannot come from JSON but can from MessagePack, so they are in the corpus too.
const PX: readonly Choice[] = [
  0,
  1,
  -1,
  0.5,
  99.5,
  100,
  100.0001,
  101,
  250,
  1000,
  -250,
  1e21,
  Infinity,
  -Infinity,
  NaN,
  '101',
  'abc',
  '',
  true,
  false,
  null,
  [101],
  [1, 2],
  [],
  {},
  { v: 1 },
  MISSING,
];
const QTY: readonly Choice[] = [0, 1, 2, 5, 7, -3, 2.5, 10, '5', null, MISSING];
const SCORE: readonly Choice[] = [0.1, 0.2, 0.3, 0.1 + 0.2, 1e-7, -1e-7, 123456789.123456789, 0, 3, MISSING];
const REGION: readonly Choice[] = ['EU', 'US', 'eu', 'Eu', '', null, 5, ['EU'], MISSING];
const DESK_NAME: readonly Choice[] = [
  'ldn-1',
  'LDN-22',
  'nyc',
  '',
  'Zürich',
  'ZÜRICH',
  '東京',
  '😀desk',
  'x y',
  'a\u00a0b',
  MISSING,
];
// No astral characters in `sym`: JavaScript regexes count them as two characters, RE2 as one (docs).
const SYM: readonly Choice[] = [
  'EURUSD',
  'GBPUSD',
  'eurusd',
  'USDJPY',
  'EUR',
  'EUREUR',
  '',
  'ÉCU',
  'x\ny',
  'x y',
  'tab\there',
  ' spaced ',
  'line1\u2028line2',
  'a\u3000b',
  'aab',
  'USD',
  42,
  null,
  ['EURUSD'],
  MISSING,
];
const TAGS: readonly Choice[] = [
  [],
  ['a'],
  ['a', 'b'],
  ['EU', 'fx'],
  'a',
  [1, 'a'],
  [['a']],
  [0, Infinity],
  { 0: 'a', length: 1 },
  null,
  MISSING,
];
const FLAG: readonly Choice[] = [true, false, 'true', 0, 1, null, MISSING];
const MATRIX: readonly Choice[] = [[[1, 2], [3]], [[1], [2, [3]]], [], [[]], [5], MISSING];
const EMPTY: readonly Choice[] = [{}, [], '', 0, MISSING];
const LEAF: readonly Choice[] = [1, 0, 'c', '', true, null, [1, 2], [], { d: 1 }, MISSING];

export function generateCorpus(seed: number, count: number): unknown[] {
  const random = mulberry32(seed);
  const documents: unknown[] = [];
  // Documents that are not objects, as a message body may be any JSON value.
  documents.push(null, 42, 'plain', true, [], [{ px: 101, desk: { region: 'EU' } }, { px: 5 }], [{ px: 101 }]);
  while (documents.length < count) documents.push(generateDocument(random));
  return documents;
}

function generateDocument(random: () => number): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  const set = (key: string, value: Choice): void => {
    if (value !== MISSING && random() > 0.12) document[key] = value;
  };
  set('px', pick(random, PX));
  set('qty', pick(random, QTY));
  set('score', pick(random, SCORE));
  set('sym', pick(random, SYM));
  set('desk', generateDesk(random));
  set('tags', pick(random, TAGS));
  set('items', generateItems(random));
  set('flag', pick(random, FLAG));
  if (random() < 0.5) document['n'] = null;
  set('nested', generateNested(random));
  set('matrix', pick(random, MATRIX));
  set('empty', pick(random, EMPTY));
  // Keys that name Object.prototype members: a path must only ever see own properties.
  if (random() < 0.1) {
    // As JSON.parse makes it: an own "__proto__" property, not a prototype change.
    Object.defineProperty(document, '__proto__', { value: 1, enumerable: true, writable: true, configurable: true });
    document['constructor'] = 'c';
  }
  return document;
}

function generateDesk(random: () => number): Choice {
  const shape = random();
  if (shape < 0.65) {
    const desk: Record<string, unknown> = {};
    const region = pick(random, REGION);
    if (region !== MISSING) desk['region'] = region;
    const name = pick(random, DESK_NAME);
    if (name !== MISSING) desk['name'] = name;
    if (random() < 0.5) desk['id'] = Math.floor(random() * 4);
    return desk;
  }
  if (shape < 0.75) return [{ region: 'EU', name: 'ldn-1' }, { region: 'US' }];
  if (shape < 0.82) return [{ region: pick(random, ['EU', 'US']) }];
  if (shape < 0.88) return null;
  if (shape < 0.93) return 'EU';
  return MISSING;
}

function generateItems(random: () => number): Choice {
  const shape = random();
  if (shape < 0.6) {
    const items: unknown[] = [];
    const length = Math.floor(random() * 4);
    for (let i = 0; i < length; i++) {
      const item: Record<string, unknown> = {};
      const qty = pick(random, QTY);
      if (qty !== MISSING) item['qty'] = qty;
      if (random() < 0.6) item['name'] = pick(random, ['a', 'b', 'EURUSD', '']);
      items.push(item);
    }
    return items;
  }
  if (shape < 0.7) return { qty: pick(random, [5, 0, 'x']) };
  if (shape < 0.8) return [[{ qty: 1 }], [{ qty: 2 }, { qty: 3 }]];
  if (shape < 0.85) return [{ qty: [1, 2] }, { qty: [3] }];
  if (shape < 0.9) return [{ qty: [[4]] }];
  return MISSING;
}

function generateNested(random: () => number): Choice {
  const shape = random();
  const leaf = (): Record<string, unknown> => {
    const value = pick(random, LEAF);
    return value === MISSING ? {} : { c: value };
  };
  if (shape < 0.5) return { a: { b: leaf() } };
  if (shape < 0.7) return { a: [{ b: leaf() }, { b: leaf() }] };
  if (shape < 0.8) return { a: [{ b: [leaf(), leaf()] }] };
  if (shape < 0.9) return { a: { b: [] } };
  return MISSING;
}
