import { describe, expect, it } from 'vitest';
import { PatternError, type PlaceholderValues } from '../../../server/security/entitlement/placeholders.js';
import { bindTopicPattern, parseTopicPattern } from '../../../server/security/entitlement/topic-pattern.js';
import type { TopicMatcher } from '../../../server/security/entitlement/topic-matcher.js';

const BOTH = ['user', 'group'] as const;

function matcher(text: string, values: PlaceholderValues = { user: 'u', group: 'g' }): TopicMatcher {
  const bound = bindTopicPattern(parseTopicPattern(text, BOTH), values);
  if (!('matcher' in bound)) throw new Error(`unbound: ${bound.unbound}`);
  return bound.matcher;
}

describe('entitlement topic patterns', () => {
  it('matches exact topics exactly', () => {
    const m = matcher('a/b');
    expect(m.matches('a/b')).toBe(true);
    expect(m.matches('a/b/c')).toBe(false);
    expect(m.matches('a')).toBe(false);
  });

  it('gives + one level (an empty one too) and # the parent and everything below', () => {
    const plus = matcher('a/+/c');
    expect(plus.matches('a/b/c')).toBe(true);
    expect(plus.matches('a//c')).toBe(true);
    expect(plus.matches('a/b/x/c')).toBe(false);
    const hash = matcher('a/#');
    expect(hash.matches('a')).toBe(true);
    expect(hash.matches('a/b/c')).toBe(true);
    expect(hash.matches('ab')).toBe(false);
    expect(hash.matches('b/a')).toBe(false);
  });

  it('matches topics beginning with $ like any other', () => {
    expect(matcher('#').matches('$sys/x')).toBe(true);
    expect(matcher('+/x').matches('$sys/x')).toBe(true);
  });

  it('anchors re: patterns at both ends', () => {
    const m = matcher('re:a/[0-9]+');
    expect(m.matches('a/12')).toBe(true);
    expect(m.matches('xa/12')).toBe(false);
    expect(m.matches('a/12x')).toBe(false);
    // A pattern for a topic that itself starts with "re:" is written as a regex.
    expect(matcher('re:re:lit').matches('re:lit')).toBe(true);
  });

  it('compiles a pattern without placeholders once, for every user', () => {
    const pattern = parseTopicPattern('a/+', BOTH);
    expect(pattern.kind).toBe('fixed');
    const first = bindTopicPattern(pattern, { user: 'x', group: 'g' });
    const second = bindTopicPattern(pattern, { user: 'y', group: 'h' });
    expect(first).toEqual(second);
    expect('matcher' in first && 'matcher' in second && first.matcher === second.matcher).toBe(true);
  });

  it('says why a pattern cannot be bound', () => {
    const level = parseTopicPattern('a/${user}', BOTH);
    expect(bindTopicPattern(level, { user: '', group: 'g' })).toEqual({ unbound: 'a placeholder value is empty' });
    expect(bindTopicPattern(level, { user: 'x/y', group: 'g' })).toEqual({
      unbound: 'a placeholder value contains "/"',
    });
    const regex = parseTopicPattern('re:a/${user}', BOTH);
    expect(bindTopicPattern(regex, { user: '', group: 'g' })).toEqual({ unbound: 'a placeholder value is empty' });
    expect(bindTopicPattern(regex, { user: 'x'.repeat(5000), group: 'g' })).toEqual({
      unbound: expect.stringMatching(/regex is \d+ characters/),
    });
  });

  it('rejects invalid patterns with a reason', () => {
    for (const [text, reason] of [
      ['', 'topic must be a non-empty string'],
      ['a/b#', "'#' must occupy a whole topic level"],
      ['re:', 'regex must be a non-empty string'],
      ['re:a(?=b)', 'regex does not compile'],
      ['a/${nobody}', 'unknown placeholder "${nobody}"'],
      ['a/${user', 'unknown placeholder "${user"'],
    ] as const) {
      expect(() => parseTopicPattern(text, BOTH), text).toThrow(PatternError);
      expect(() => parseTopicPattern(text, BOTH), text).toThrow(reason);
    }
    expect(() => parseTopicPattern('a/${user}', [])).toThrow('placeholders such as "${user}" are not supported here');
  });
});
