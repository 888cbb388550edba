// A vhost's subscriptions as the cluster replicates them: keys that another node parses back into
// the same namespace, so a message is forwarded to a node only for its own vhost's subscribers.
import { expect, it } from 'vitest';
import { interestKeyOf, parseInterestKey } from '../../server/cluster/interest-key.js';
import { DEFAULT_TOPIC_LIMITS, parseSubscriptionPattern, TopicEngine } from '../../server/topics/index.js';
import { VhostNamespace } from '../../server/vhosts/vhost-namespace.js';

const A = new VhostNamespace('a.example');
const B = new VhostNamespace('b.example');

it('round-trips exact, wildcard, regex and shared patterns of a vhost, matching its topics only', () => {
  const engine = new TopicEngine<string>();
  const specs = [{ topic: 'x/1' }, { topic: 'x/#' }, { regex: '^x/[0-9]+$' }];
  for (const spec of specs) {
    const pattern = A.pattern(parseSubscriptionPattern(spec, DEFAULT_TOPIC_LIMITS));
    const key = interestKeyOf(pattern, null);
    const parsed = parseInterestKey(key, DEFAULT_TOPIC_LIMITS)!;
    expect(interestKeyOf(parsed.pattern, null)).toBe(key);
    engine.add(parsed.pattern, key);
  }
  const shared = parseInterestKey(
    interestKeyOf(A.pattern(parseSubscriptionPattern({ topic: 'x/+' }, DEFAULT_TOPIC_LIMITS)), `g/${A.topic('x/+')}`),
    DEFAULT_TOPIC_LIMITS,
  )!;
  expect(shared.share).toBe(`g/${A.topic('x/+')}`);
  engine.add(shared.pattern, 'shared');
  expect(engine.matchUncached(A.topic('x/1')).length).toBe(4);
  expect(engine.matchUncached(B.topic('x/1'))).toEqual([]);
  expect(engine.matchUncached('x/1')).toEqual([]);
});

it("falls back to everything in the key's own namespace when a key does not parse here", () => {
  const tight = { ...DEFAULT_TOPIC_LIMITS, maxRegexLength: 4 };
  const key = interestKeyOf(A.pattern(parseSubscriptionPattern({ regex: '^x/[0-9]+$' }, DEFAULT_TOPIC_LIMITS)), null);
  const engine = new TopicEngine<string>();
  engine.add(parseInterestKey(key, tight)!.pattern, 'any');
  expect(engine.matchUncached(A.topic('y'))).toEqual(['any']);
  expect(engine.matchUncached(B.topic('y'))).toEqual([]);
  expect(engine.matchUncached('y')).toEqual([]);
});
