// A vhost's namespace: the hidden first level of its internal topics and patterns, and the stored
// text of a namespaced pattern read back as the same pattern.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_LIMITS,
  parseSubscriptionPattern,
  TopicEngine,
  TopicError,
  type SubscriptionPattern,
} from '../../server/topics/index.js';
import { VhostNamespace } from '../../server/vhosts/vhost-namespace.js';

const limits = DEFAULT_TOPIC_LIMITS;
const parse = (spec: { topic?: string; regex?: string }): SubscriptionPattern => parseSubscriptionPattern(spec, limits);
const a = new VhostNamespace('a.com');

/** A pattern's comparable shape: the compiled regex replaced by its source. */
function shape(pattern: SubscriptionPattern): unknown {
  return pattern.kind === 'regex' ? { ...pattern, regex: pattern.regex.pattern() } : pattern;
}

describe('VhostNamespace', () => {
  it('names the default namespace $default, with no prefix, and a vhost NUL + its name', () => {
    expect(VhostNamespace.DEFAULT.name).toBe('$default');
    expect(VhostNamespace.DEFAULT.prefix).toBe('');
    expect(VhostNamespace.DEFAULT.isDefault).toBe(true);
    expect(new VhostNamespace('$default').prefix).toBe('');
    expect(a.name).toBe('a.com');
    expect(a.prefix).toBe('\u0000a.com');
    expect(a.isDefault).toBe(false);
    expect(new VhostNamespace('*.example.com').prefix).toBe('\u0000*.example.com');
    expect(new VhostNamespace('0:0:0:0:0:0:0:1').prefix).toBe('\u00000:0:0:0:0:0:0:1');
  });

  it('takes only canonical vhost names', () => {
    expect(() => new VhostNamespace('A.com')).toThrow('no vhost namespace for "A.com": its canonical name is "a.com"');
    expect(() => new VhostNamespace('#.*.com')).toThrow('its canonical name is "*.#.com"');
    expect(() => new VhostNamespace('a/b')).toThrow(/^no vhost namespace for "a\/b": /);
    expect(() => new VhostNamespace('a\u0000b')).toThrow(/^no vhost namespace for /);
    expect(() => new VhostNamespace('')).toThrow(/^no vhost namespace for "": /);
  });

  it('makes internal topics, and gives the client topic and the namespace back', () => {
    expect(a.topic('orders/1')).toBe('\u0000a.com/orders/1');
    expect(a.topic('$SYS/x')).toBe('\u0000a.com/$SYS/x');
    expect(VhostNamespace.DEFAULT.topic('orders/1')).toBe('orders/1');
    expect(VhostNamespace.clientTopic('\u0000a.com/orders/1')).toBe('orders/1');
    expect(VhostNamespace.clientTopic('\u0000a.com//')).toBe('/');
    expect(VhostNamespace.clientTopic('orders/1')).toBe('orders/1');
    expect(VhostNamespace.clientTopic('\u0000a.com')).toBe('');
    expect(VhostNamespace.namespaceOf('\u0000a.com/orders/1')).toBe('\u0000a.com');
    expect(VhostNamespace.namespaceOf('\u0000a.com')).toBe('\u0000a.com');
    expect(VhostNamespace.namespaceOf('orders/1')).toBe('');
    expect(VhostNamespace.namespaceOf('$SYS/x')).toBe('');
  });

  it('moves each kind of pattern into the namespace', () => {
    expect(a.pattern(parse({ topic: 'orders/1' }))).toEqual({ kind: 'exact', topic: '\u0000a.com/orders/1' });
    expect(a.pattern(parse({ topic: 'orders/+/x/#' }))).toEqual({
      kind: 'wildcard',
      filter: '\u0000a.com/orders/+/x/#',
      levels: ['\u0000a.com', 'orders', '+', 'x', '#'],
    });
    const regex = parse({ regex: '^orders/' });
    const moved = a.pattern(regex);
    expect(moved).toMatchObject({ kind: 'regex', source: '^orders/', namespace: '\u0000a.com' });
    expect(moved.kind === 'regex' && moved.regex).toBe(regex.kind === 'regex' && regex.regex);
  });

  it('leaves the default namespace pattern itself, and refuses to namespace a pattern twice', () => {
    for (const spec of [{ topic: 'a/b' }, { topic: 'a/#' }, { regex: 'a' }]) {
      const pattern = parse(spec);
      expect(VhostNamespace.DEFAULT.pattern(pattern)).toBe(pattern);
      expect(() => a.pattern(a.pattern(pattern))).toThrow(TypeError);
    }
  });

  it('routes namespaced subscriptions to their own namespace only', () => {
    const b = new VhostNamespace('b.com');
    const engine = new TopicEngine<string>();
    for (const [ns, tag] of [
      [VhostNamespace.DEFAULT, 'default'],
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      engine.add(ns.pattern(parse({ topic: '#' })), `${tag} #`);
      engine.add(ns.pattern(parse({ topic: 'orders/1' })), `${tag} exact`);
      engine.add(ns.pattern(parse({ regex: '^orders/' })), `${tag} regex`);
      engine.add(ns.pattern(parse({ topic: '$SYS/#' })), `${tag} $SYS`);
    }
    expect([...engine.route(a.topic('orders/1')).entries].sort()).toEqual(['a #', 'a exact', 'a regex']);
    expect([...engine.route('orders/1').entries].sort()).toEqual(['default #', 'default exact', 'default regex']);
    expect(engine.route(b.topic('$SYS/load')).entries).toEqual(['b $SYS']);
    expect(engine.route('$SYS/load').entries).toEqual(['default $SYS']);
  });
});

describe('stored patterns', () => {
  const namespaces = [VhostNamespace.DEFAULT, a, new VhostNamespace('*.example.com')];
  const specs = [{ topic: 'orders/1' }, { topic: 'orders/#' }, { topic: '+' }, { topic: '$SYS/+' }, { regex: '^a/b$' }];

  it.each(namespaces.flatMap((ns) => specs.map((spec) => [ns.name, spec] as const)))(
    'reads back %s %j as the same pattern',
    (name, spec) => {
      const ns = namespaces.find((n) => n.name === name)!;
      const pattern = ns.pattern(parse(spec));
      const text = VhostNamespace.storedText(pattern);
      expect(text.startsWith(ns.prefix)).toBe(true);
      const back = VhostNamespace.parseStoredPattern(
        spec.topic !== undefined ? { topic: text } : { regex: text },
        limits,
      );
      expect(shape(back)).toEqual(shape(pattern));
      expect(VhostNamespace.storedText(back)).toBe(text);
    },
  );

  it('stores the default namespace as the client text, and parses it exactly as parseSubscriptionPattern does', () => {
    expect(VhostNamespace.storedText(parse({ regex: '^a' }))).toBe('^a');
    expect(VhostNamespace.storedText(parse({ topic: 'a/#' }))).toBe('a/#');
    expect(VhostNamespace.storedText(a.pattern(parse({ regex: '^a' })))).toBe('\u0000a.com/^a');
    expect(() => VhostNamespace.parseStoredPattern({ topic: 'a/#/b' }, limits)).toThrow(
      '\'#\' must be the last topic level in "a/#/b"',
    );
    expect(() => VhostNamespace.parseStoredPattern({ topic: 'a', regex: 'a' }, limits)).toThrow(
      'exactly one of topic or regex is required',
    );
  });

  it('parses the client part under the limits, and refuses a malformed namespace level', () => {
    const fail = (spec: { topic?: string; regex?: string }): string => {
      try {
        VhostNamespace.parseStoredPattern(spec, limits);
      } catch (error) {
        expect(error).toBeInstanceOf(TopicError);
        return `${(error as TopicError).code}: ${(error as Error).message}`;
      }
      return 'parsed';
    };
    expect(fail({ topic: '\u0000a.com/a/#/b' })).toBe(`INVALID_TOPIC: '#' must be the last topic level in "a/#/b"`);
    expect(fail({ topic: '\u0000a.com/' })).toBe('INVALID_TOPIC: topic must be a non-empty string');
    expect(fail({ topic: '\u0000a.com' })).toMatch(/^INVALID_TOPIC: stored pattern has no valid vhost namespace level/);
    expect(fail({ topic: '\u0000/a' })).toMatch(/^INVALID_TOPIC: stored pattern has no valid vhost namespace level/);
    expect(fail({ topic: '\u0000a\u0000b/a' })).toMatch(/^INVALID_TOPIC: stored pattern has no valid vhost/);
    expect(fail({ topic: '\u0000a.com/x\u0000' })).toMatch(/^INVALID_TOPIC: topic contains a NUL character/);
    expect(fail({ regex: '\u0000a.com' })).toMatch(/^INVALID_REGEX: stored pattern has no valid vhost namespace level/);
    expect(fail({ regex: '\u0000a.com/(' })).toMatch(/^INVALID_REGEX: regex does not compile/);
    // A regex source may hold '/': only the first one ends the namespace level.
    const regex = VhostNamespace.parseStoredPattern({ regex: '\u0000a.com/^x/y$' }, limits);
    expect(regex).toMatchObject({ kind: 'regex', source: '^x/y$', namespace: '\u0000a.com' });
    // A topic that is not a filter is exact, as in the default namespace.
    expect(VhostNamespace.parseStoredPattern({ topic: '\u0000a.com/$share/g/x' }, limits)).toEqual({
      kind: 'exact',
      topic: '\u0000a.com/$share/g/x',
    });
  });
});
