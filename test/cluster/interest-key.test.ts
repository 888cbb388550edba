// Interest keys: the same key for the same pattern on every node, read back as that pattern; a
// vhost's pattern keeps its namespace, and the default namespace's keys are what they always were.
import { describe, expect, it } from 'vitest';
import { interestKeyOf, parseInterestKey } from '../../server/cluster/interest-key.js';
import {
  DEFAULT_TOPIC_LIMITS,
  parseSubscriptionPattern,
  TopicEngine,
  type SubscriptionPattern,
} from '../../server/topics/index.js';
import { VhostNamespace } from '../../server/vhosts/vhost-namespace.js';

const limits = DEFAULT_TOPIC_LIMITS;
const parse = (spec: { topic?: string; regex?: string }): SubscriptionPattern => parseSubscriptionPattern(spec, limits);
const a = new VhostNamespace('a.com');

function shape(pattern: SubscriptionPattern): unknown {
  return pattern.kind === 'regex' ? { ...pattern, regex: pattern.regex.pattern() } : pattern;
}

describe('interest keys', () => {
  it('keeps the default namespace keys as they were', () => {
    expect(interestKeyOf(parse({ topic: 'a/b' }), null)).toBe('e:a/b');
    expect(interestKeyOf(parse({ topic: 'a/#' }), null)).toBe('w:a/#');
    expect(interestKeyOf(parse({ regex: '^a/.*' }), null)).toBe('r:^a/.*');
    expect(interestKeyOf(parse({ topic: 'a/#' }), 'g/a/#')).toBe('s:g/a/#');
  });

  it('gives a vhost pattern its internal text, a regex its namespace level before the source', () => {
    expect(interestKeyOf(a.pattern(parse({ topic: 'a/b' })), null)).toBe('e:\u0000a.com/a/b');
    expect(interestKeyOf(a.pattern(parse({ topic: 'a/#' })), null)).toBe('w:\u0000a.com/a/#');
    expect(interestKeyOf(a.pattern(parse({ regex: '^a/.*' })), null)).toBe('r:\u0000a.com/^a/.*');
    expect(interestKeyOf(a.pattern(parse({ topic: 'a/#' })), 'g/\u0000a.com/a/#')).toBe('s:g/\u0000a.com/a/#');
  });

  const cases: [string, { topic?: string; regex?: string }][] = [
    ['exact', { topic: 'orders/1' }],
    ['wildcard', { topic: 'orders/+/#' }],
    ['$ wildcard', { topic: '$SYS/#' }],
    ['regex', { regex: '^orders/[0-9]+$' }],
  ];
  it.each([VhostNamespace.DEFAULT, a].flatMap((ns) => cases.map(([what, spec]) => [ns.name, what, spec] as const)))(
    'reads back a %s %s key as the same pattern',
    (name, _what, spec) => {
      const ns = name === a.name ? a : VhostNamespace.DEFAULT;
      const pattern = ns.pattern(parse(spec));
      const key = interestKeyOf(pattern, null);
      const parsed = parseInterestKey(key, limits)!;
      expect(parsed.share).toBeNull();
      expect(shape(parsed.pattern)).toEqual(shape(pattern));
      expect(interestKeyOf(parsed.pattern, null)).toBe(key);
    },
  );

  it('reads back a vhost shared group with its namespaced filter', () => {
    const pattern = a.pattern(parse({ topic: 'orders/#' }));
    const share = `g/${VhostNamespace.storedText(pattern)}`;
    const parsed = parseInterestKey(interestKeyOf(pattern, share), limits)!;
    expect(parsed.share).toBe('g/\u0000a.com/orders/#');
    expect(parsed.pattern).toEqual(pattern);
  });

  it('takes a key it cannot parse as matching every topic of its own namespace only', () => {
    const tight = { ...limits, maxRegexLength: 4 };
    const engine = new TopicEngine<string>();
    const keys = {
      default: 'r:^a-long-regex$',
      regex: 'r:\u0000a.com/^a-long-regex$',
      share: `s:g/\u0000a.com/${'x/'.repeat(200)}`,
    };
    for (const [label, key] of Object.entries(keys)) engine.add(parseInterestKey(key, tight)!.pattern, label);
    expect(engine.matchUncached('anything')).toEqual(['default']);
    expect(engine.matchUncached('\u0000a.com/anything').sort()).toEqual(['regex', 'share']);
    expect(engine.matchUncached('\u0000b.com/anything')).toEqual([]);
    expect(parseInterestKey('s:g/\u0000a.com/' + 'x/'.repeat(200), tight)!.share).toBe(
      'g/\u0000a.com/' + 'x/'.repeat(200),
    );
  });
});
