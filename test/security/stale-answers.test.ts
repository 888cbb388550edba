// The store of answers a remote service gave, on a hand-moved clock: given again for up to
// maxAgeMs after the service gave them, never an answer for another request, bounded by entries
// and bytes, keyed by an HMAC that keeps no credential.
import { describe, expect, it } from 'vitest';
import { ENTRY_BYTES, StaleAnswers } from '../../server/security/stale-answers.js';

function store(limits: { maxAgeMs?: number; maxEntries?: number; maxBytes?: number } = {}) {
  const clock = { now: 5_000_000 };
  const answers = new StaleAnswers<string>(
    { maxAgeMs: 1000, maxEntries: 100, maxBytes: 1_000_000, ...limits },
    (answer) => 2 * answer.length,
    () => clock.now,
  );
  return { answers, clock };
}

describe('StaleAnswers', () => {
  it('gives an answer again until maxAgeMs after it was given, and counts it', () => {
    const { answers, clock } = store();
    const key = answers.key(['alice', 'read', 'topic', 'a/b']);
    answers.remember(key, 'allow');
    clock.now += 999;
    expect(answers.recall(key)).toEqual({ answer: 'allow', ageMs: 999, at: 5_000_000 });
    expect(answers.served).toBe(1);
    clock.now += 1;
    expect(answers.recall(key)).toBeUndefined();
    expect(answers.size).toBe(0); // too old: forgotten
    expect(answers.served).toBe(1);
  });

  it('a new answer from the service starts its age again', () => {
    const { answers, clock } = store();
    const key = answers.key(['alice']);
    answers.remember(key, 'old');
    clock.now += 900;
    answers.remember(key, 'new');
    clock.now += 900;
    expect(answers.recall(key)?.answer).toBe('new');
  });

  it('never gives an answer for another request', () => {
    const { answers } = store();
    answers.remember(answers.key(['alice', 'read', 'topic', 'a/b']), 'allow');
    expect(answers.recall(answers.key(['alice', 'read', 'topic', 'a/c']))).toBeUndefined();
    expect(answers.recall(answers.key(['bob', 'read', 'topic', 'a/b']))).toBeUndefined();
    expect(answers.recall(answers.key(['alice', 'write', 'topic', 'a/b']))).toBeUndefined();
    // Parts are kept apart whatever they hold.
    expect(answers.key(['a\u0000b', 'c'])).not.toBe(answers.key(['a', 'b\u0000c']));
    expect(answers.key(['a', null])).not.toBe(answers.key(['a', 'null']));
  });

  it('keys are an HMAC under a key of its own: no credential in them, different in each store', () => {
    const one = store().answers;
    const other = store().answers;
    const parts = ['alice', 'password', 'hunter2-secret', null];
    const key = one.key(parts);
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(key).not.toContain('hunter2');
    expect(one.key(parts)).toBe(key);
    expect(other.key(parts)).not.toBe(key);
  });

  it('keeps at most maxEntries, the least recently used going first, and counts evictions', () => {
    const { answers } = store({ maxEntries: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((name) => answers.key([name]));
    answers.remember(a!, 'A');
    answers.remember(b!, 'B');
    answers.recall(a!); // a is now the most recently used
    answers.remember(c!, 'C');
    expect(answers.size).toBe(2);
    expect(answers.evicted).toBe(1);
    expect(answers.recall(b!)).toBeUndefined();
    expect(answers.recall(a!)?.answer).toBe('A');
    expect(answers.recall(c!)?.answer).toBe('C');
  });

  it('counts the bytes it holds against maxBytes, and does not keep an answer bigger than all of it', () => {
    const perEntry = ENTRY_BYTES + 2 * 100;
    const { answers } = store({ maxBytes: 2 * perEntry });
    answers.remember(answers.key(['a']), 'x'.repeat(100));
    answers.remember(answers.key(['b']), 'x'.repeat(100));
    expect(answers.bytes).toBe(2 * perEntry);
    answers.remember(answers.key(['c']), 'x'.repeat(100));
    expect(answers.size).toBe(2);
    expect(answers.bytes).toBe(2 * perEntry);
    expect(answers.recall(answers.key(['a']))).toBeUndefined();
    // Too big to keep at all: not kept, and an older answer for the same key goes too.
    const big = answers.key(['b']);
    answers.remember(big, 'x'.repeat(perEntry));
    expect(answers.recall(big)).toBeUndefined();
    expect(answers.size).toBe(1);
  });

  it('maxAgeMs 0 remembers nothing', () => {
    const { answers } = store({ maxAgeMs: 0 });
    expect(answers.enabled).toBe(false);
    const key = answers.key(['alice']);
    answers.remember(key, 'allow');
    expect(answers.recall(key)).toBeUndefined();
    expect(answers.size).toBe(0);
  });
});
