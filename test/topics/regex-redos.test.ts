// Regexes come from untrusted clients. These patterns take exponential time under a backtracking
// engine (JS RegExp); under re2js they must stay linear in the topic length.
import { describe, expect, it } from 'vitest';
import { parseSubscriptionPattern, TopicEngine, type TopicLimits } from '../../server/topics/index.js';

const roomyLimits: TopicLimits = { maxTopicLength: 1_000_000, maxLevels: 64, maxRegexLength: 512 };

function fastestOf(runs: number, fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

describe.each(['(a+)+$', '^(a|a)*$'])('catastrophic-backtracking pattern %s', (source) => {
  it('matches a 100,000-char non-matching topic, in time linear in its length', () => {
    const engine = new TopicEngine<string>({ routeCacheSize: 16 });
    engine.add(parseSubscriptionPattern({ regex: source }, roomyLimits), 'evil');
    // A trailing '!' defeats both patterns only after the whole run of 'a's has been consumed.
    const short = `${'a'.repeat(25_000)}!`;
    const long = `${'a'.repeat(100_000)}!`;

    expect(engine.route(long).entries).toEqual([]);
    expect(engine.matchUncached(short)).toEqual([]);
    expect(engine.matchUncached('aaaa')).toEqual(['evil']); // sanity: the pattern does match something

    // The fastest of five runs each: a preempted run on a loaded machine does not count.
    const shortMs = fastestOf(5, () => engine.matchUncached(short));
    const longMs = fastestOf(5, () => engine.matchUncached(long));
    // 4x the input should cost about 4x; 16x (plus timer noise) would mean super-linear growth.
    // No absolute bound: backtracking would not finish at all, and the test's timeout catches that.
    expect(longMs).toBeLessThan(16 * shortMs + 5);
  });
});
