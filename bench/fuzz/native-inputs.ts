// Native protocol inputs (docs/protocol.md): commands built as objects, sometimes with a field
// removed, retyped or added, encoded as the connection's subprotocol (now and then as the other
// one, or as the wrong frame type), and sometimes mutated byte by byte.
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import type { Encoding } from '../../protocol/native.js';
import { FUZZ_USERS } from './fuzz-config.js';
import { applyMutations, mutationsArb } from './mutations.js';

/** One WebSocket message as sent. */
export interface WireMessage {
  readonly data: Buffer;
  readonly binary: boolean;
}

export interface NativeCase {
  readonly protocol: 'native';
  readonly encoding: Encoding;
  /** Log on as this user first (a valid logon, not a fuzz input), or send the inputs before any logon. */
  readonly logonAs: string | null;
  readonly inputs: readonly WireMessage[];
  /** How the fuzzer leaves: a closing handshake or a dropped socket. */
  readonly leave: 'close' | 'terminate';
}

const packr = new Packr({ useRecords: false });

export function encodeNative(encoding: Encoding, frame: unknown): Buffer {
  return encoding === 'json' ? Buffer.from(JSON.stringify(frame) ?? 'null', 'utf8') : packr.pack(frame);
}

const rid = fc.oneof(
  { weight: 5, arbitrary: fc.nat({ max: 1000 }) },
  fc.integer(),
  fc.double(),
  fc.constant(-1),
  fc.string({ maxLength: 4 }),
);
const sid = fc.oneof(
  { weight: 5, arbitrary: fc.nat({ max: 20 }) },
  fc.integer(),
  fc.constant(0x7fffffff),
  fc.constant(0x80000000),
);
const user = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FUZZ_USERS) },
  fc.string({ maxLength: 12 }),
  fc.string({ minLength: 250, maxLength: 300 }),
);

const topic = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('fz/a', 'fz/b/c', 'fz/a/b/c/d', 'ret/1', 'fz/x') },
  fc.constantFrom(
    'ctl/native',
    'ctl/mqtt',
    '',
    '/',
    'fz//a',
    'fz/\u0000',
    '$SYS/broker',
    '$share/g/fz/a',
    'fz/é/😀',
    'fz/\ud800',
  ),
  fc.string({ maxLength: 20 }).map((s) => `fz/${s}`),
  fc.string({ maxLength: 20 }),
);
const filterTopic = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('fz/#', 'fz/+', 'fz/+/c', '#', '+/+', 'fz/a', 'ret/#') },
  fc.constantFrom('fz/#/a', 'fz/a+', '+', '', '$share/g/fz/#', '$SYS/#', 'ctl/#'),
  topic,
);
const regex = fc.oneof(
  fc.constantFrom('^fz/.*$', 'fz/[ab]+', 'fz/(a|b)/c', '(a+)+$', '(a)\\1', '(?=x)y', '[', '.*', 'fz/\\d{1,3}'),
  fc.string({ maxLength: 16 }),
);
const filter = fc.oneof(
  fc.constantFrom(
    'px > 0',
    'sym = "a"',
    '$exists(n)',
    'px > 100 and n.m = 1',
    'secret != ""',
    'px >',
    '$eval("1")',
    '((((',
    'tags[0] = 1',
    'true',
  ),
  fc.string({ maxLength: 24 }),
);
const select = fc.oneof(
  fc.constantFrom('-/,+/sym', '+/px', '-/secret', '-/,+/n/m,+/px', '+/a,,-/b', '*/a', '-/a\\x', ''),
  fc.string({ maxLength: 24 }),
);

/** Message-like documents (so filters and select lists find their fields) and any JSON value. */
const freshPayloadArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      sym: fc.constantFrom('a', 'b', ''),
      px: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 4 }), fc.constant(null)),
      n: fc.oneof(fc.record({ m: fc.jsonValue({ maxDepth: 2 }) }), fc.jsonValue({ maxDepth: 2 })),
      secret: fc.string({ maxLength: 8 }),
      tags: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 4 }),
);

// Generating a rich JSON value costs more than everything else in an input: most payloads come
// from a pool drawn once (with a fixed seed, so runs stay reproducible), some are drawn fresh.
const PAYLOAD_POOL = fc.sample(freshPayloadArb, { seed: 0x5eed, numRuns: 1024 });
export const payloadArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: PAYLOAD_POOL.length - 1 }).map((i) => PAYLOAD_POOL[i]) },
  { weight: 1, arbitrary: freshPayloadArb },
);

const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

const commandArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record(
    {
      op: fc.constant('logon'),
      rid,
      user,
      password: optional(fc.string({ maxLength: 12 })),
      token: optional(fc.string({ maxLength: 40 })),
      mechanism: optional(fc.constantFrom('password', 'token', 'SCRAM-SHA-256', 'implicit', 'PLAIN', '')),
      data: optional(fc.constantFrom('n,,n=fuzz,r=abcdef', 'n,,n=,r=', 'garbage', 'c=biws,r=x,p=eQ==')),
    },
    { requiredKeys: ['op'] },
  ),
  fc.record(
    {
      op: fc.constant('auth'),
      rid,
      data: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('c=biws,r=abcdef,p=eQ==')),
    },
    { requiredKeys: ['op'] },
  ),
  fc.record(
    { op: fc.constant('subscribe'), rid, sid, topic: filterTopic, regex, filter, select },
    { requiredKeys: ['op', 'rid', 'sid'] },
  ),
  fc.record({ op: fc.constant('unsubscribe'), rid, sid }, { requiredKeys: ['op'] }),
  fc.record(
    {
      op: fc.constant('publish'),
      rid,
      topic,
      data: payloadArb,
      bytes: fc.uint8Array({ maxLength: 32 }),
      ack: fc.oneof(fc.boolean(), fc.constant(1)),
    },
    { requiredKeys: ['op', 'topic'] },
  ),
  // The common publish, valid: most deliveries come from here.
  fc.record({ op: fc.constant('publish'), rid: fc.nat({ max: 1000 }), topic, data: payloadArb, ack: fc.boolean() }),
  fc.record({ op: fc.constant('ping'), rid }, { requiredKeys: ['op'] }),
  fc.record({ op: fc.oneof(fc.constantFrom('nope', 'PUBLISH', ''), fc.jsonValue({ maxDepth: 1 })), rid }),
);

/** A field removed, retyped, or a hostile one added; or the whole frame replaced by a non-object. */
type FrameEdit =
  | { readonly kind: 'none' }
  | { readonly kind: 'remove'; readonly index: number }
  | { readonly kind: 'retype'; readonly index: number; readonly value: unknown }
  | { readonly kind: 'add'; readonly key: string; readonly value: unknown }
  | { readonly kind: 'replace'; readonly value: unknown };

const frameEditArb: fc.Arbitrary<FrameEdit> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.record({ kind: fc.constant('remove' as const), index: fc.nat({ max: 16 }) }),
  fc.record({ kind: fc.constant('retype' as const), index: fc.nat({ max: 16 }), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({
    kind: fc.constant('add' as const),
    key: fc.constantFrom('__proto__', 'constructor', 'toString', 'extra', ''),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({ kind: fc.constant('replace' as const), value: fc.jsonValue({ maxDepth: 2 }) }),
);

function editFrame(frame: Record<string, unknown>, edit: FrameEdit): unknown {
  const keys = Object.keys(frame);
  switch (edit.kind) {
    case 'none':
      return frame;
    case 'remove': {
      const copy = { ...frame };
      delete copy[keys[edit.index % keys.length]!];
      return copy;
    }
    case 'retype':
      return { ...frame, [keys[edit.index % keys.length]!]: edit.value };
    case 'add': {
      // defineProperty: a literal `__proto__` key must be an own key on the wire, not a prototype.
      const copy: Record<string, unknown> = { ...frame };
      Object.defineProperty(copy, edit.key, {
        value: edit.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return copy;
    }
    case 'replace':
      return edit.value;
  }
}

/** One input for a connection of `encoding`: usually its own frame type, sometimes the other. */
function inputArb(encoding: Encoding): fc.Arbitrary<WireMessage> {
  return fc
    .tuple(
      commandArb,
      frameEditArb,
      fc.oneof({ weight: 9, arbitrary: fc.constant(encoding) }, fc.constantFrom<Encoding>('json', 'msgpack')),
      mutationsArb,
      fc.oneof({ weight: 19, arbitrary: fc.constant(false) }, fc.constant(true)),
    )
    .map(([command, edit, as, mutations, wrongFrameType]) => {
      const data = applyMutations(encodeNative(as, editFrame(command, edit)), mutations);
      const binary = (as === 'msgpack') !== wrongFrameType;
      return { data, binary };
    });
}

function caseArb(encoding: Encoding): fc.Arbitrary<NativeCase> {
  return fc.record({
    protocol: fc.constant('native' as const),
    encoding: fc.constant(encoding),
    logonAs: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...FUZZ_USERS.filter((u) => u !== '')) },
      fc.constant(null),
    ),
    inputs: fc.array(inputArb(encoding), { minLength: 1, maxLength: 8 }),
    leave: fc.constantFrom('close' as const, 'terminate' as const),
  });
}

// Built once per encoding: building arbitraries per generated case costs more than generating.
export const nativeCaseArb: fc.Arbitrary<NativeCase> = fc.oneof(caseArb('json'), caseArb('msgpack'));
