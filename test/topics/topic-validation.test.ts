import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_LIMITS,
  parseSubscriptionPattern,
  TopicError,
  validatePublishTopic,
  type TopicErrorCode,
  type TopicLimits,
} from '../../server/topics/index.js';

const limits: TopicLimits = { maxTopicLength: 1024, maxLevels: 64, maxRegexLength: 512 };

function errorOf(fn: () => unknown): TopicError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TopicError) return err;
    throw err;
  }
  throw new Error('expected a TopicError, nothing was thrown');
}

function expectCode(fn: () => unknown, code: TopicErrorCode, message?: string | RegExp): void {
  const err = errorOf(fn);
  expect(err.code).toBe(code);
  expect(err.name).toBe('TopicError');
  if (message !== undefined) expect(err.message).toMatch(message);
}

describe('DEFAULT_TOPIC_LIMITS', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_TOPIC_LIMITS).toMatchObject({ maxTopicLength: 1024, maxLevels: 64, maxRegexLength: 512 });
  });
});

describe('validatePublishTopic', () => {
  it.each(['a', 'a/b/c', '$SYS/broker/load', 'a//b', '/leading', 'trailing/', '/', 'sp ace/tab\t', 'ünïcödé/日本/🎉'])(
    'accepts %j',
    (topic) => {
      expect(() => validatePublishTopic(topic, limits)).not.toThrow();
    },
  );

  it('rejects the empty topic', () => {
    expectCode(() => validatePublishTopic('', limits), 'INVALID_TOPIC', /non-empty/);
  });

  it('rejects a non-string topic from untyped input', () => {
    expectCode(() => validatePublishTopic(42 as unknown as string, limits), 'INVALID_TOPIC');
  });

  it('rejects NUL anywhere', () => {
    expectCode(() => validatePublishTopic('a/\u0000/b', limits), 'INVALID_TOPIC', /NUL/);
    expectCode(() => validatePublishTopic('\u0000', limits), 'INVALID_TOPIC', /NUL/);
  });

  it.each(['+', 'a/+', 'a/b+', '#', 'a/#', 'a#b', 'x/y/z+#'])('rejects wildcard characters in %j', (topic) => {
    expectCode(() => validatePublishTopic(topic, limits), 'INVALID_TOPIC', /not allowed in a publish topic/);
  });

  it('rejects unpaired surrogates, which have no UTF-8 encoding', () => {
    expectCode(() => validatePublishTopic('a/\ud800', limits), 'INVALID_TOPIC', /surrogate/);
    expectCode(() => validatePublishTopic('\udc00/a', limits), 'INVALID_TOPIC', /surrogate/);
    expectCode(() => validatePublishTopic('\ud800x', limits), 'INVALID_TOPIC', /surrogate/);
  });

  it('enforces the level limit', () => {
    const sixtyFour = Array.from({ length: 64 }, (_, i) => `l${i}`).join('/');
    expect(() => validatePublishTopic(sixtyFour, limits)).not.toThrow();
    expectCode(
      () => validatePublishTopic(`${sixtyFour}/x`, limits),
      'TOPIC_TOO_LONG',
      'topic has 65 levels; the limit is 64',
    );
    expectCode(() => validatePublishTopic('/'.repeat(64), limits), 'TOPIC_TOO_LONG', /65 levels/);
  });

  it('counts the length in UTF-8 bytes, not characters', () => {
    expect(() => validatePublishTopic('a'.repeat(1024), limits)).not.toThrow();
    expectCode(
      () => validatePublishTopic('a'.repeat(1025), limits),
      'TOPIC_TOO_LONG',
      'topic is 1025 bytes; the limit is 1024',
    );
    // 2-byte 'é': 512 chars is exactly the limit, 513 chars (far under 1024 chars) is 1026 bytes.
    expect(() => validatePublishTopic('é'.repeat(512), limits)).not.toThrow();
    expectCode(
      () => validatePublishTopic('é'.repeat(513), limits),
      'TOPIC_TOO_LONG',
      'topic is 1026 bytes; the limit is 1024',
    );
    // 3-byte '€'.
    expect(() => validatePublishTopic('€'.repeat(341), limits)).not.toThrow();
    expectCode(
      () => validatePublishTopic('€'.repeat(342), limits),
      'TOPIC_TOO_LONG',
      'topic is 1026 bytes; the limit is 1024',
    );
    // 4-byte emoji, two UTF-16 code units each.
    expect(() => validatePublishTopic('🎉'.repeat(256), limits)).not.toThrow();
    expectCode(
      () => validatePublishTopic('🎉'.repeat(257), limits),
      'TOPIC_TOO_LONG',
      'topic is 1028 bytes; the limit is 1024',
    );
  });

  it('reports the byte size for a huge topic too', () => {
    expectCode(
      () => validatePublishTopic('x'.repeat(2048), limits),
      'TOPIC_TOO_LONG',
      'topic is 2048 bytes; the limit is 1024',
    );
  });

  it('checks the byte length even when the character count is small relative to the limit', () => {
    const tight: TopicLimits = { ...limits, maxTopicLength: 10 };
    expect(() => validatePublishTopic('ééééé', tight)).not.toThrow(); // 10 bytes
    expectCode(() => validatePublishTopic('éééééa', tight), 'TOPIC_TOO_LONG', 'topic is 11 bytes; the limit is 10');
  });
});

describe('parseSubscriptionPattern', () => {
  it('requires exactly one of topic or regex', () => {
    expectCode(
      () => parseSubscriptionPattern({}, limits),
      'INVALID_TOPIC',
      'exactly one of topic or regex is required',
    );
    expectCode(() => parseSubscriptionPattern({ topic: 'a', regex: 'a' }, limits), 'INVALID_TOPIC', /exactly one/);
  });

  it('parses exact topics', () => {
    expect(parseSubscriptionPattern({ topic: 'a/b' }, limits)).toEqual({ kind: 'exact', topic: 'a/b' });
    expect(parseSubscriptionPattern({ topic: '$SYS/x' }, limits)).toEqual({ kind: 'exact', topic: '$SYS/x' });
    expect(parseSubscriptionPattern({ topic: 'a//b' }, limits)).toEqual({ kind: 'exact', topic: 'a//b' });
  });

  it.each([
    ['+', ['+']],
    ['#', ['#']],
    ['a/+', ['a', '+']],
    ['+/b', ['+', 'b']],
    ['a/#', ['a', '#']],
    ['+/+/#', ['+', '+', '#']],
    ['a//+', ['a', '', '+']],
    ['$SYS/#', ['$SYS', '#']],
    ['/#', ['', '#']],
  ])('parses wildcard filter %j', (filter, levels) => {
    expect(parseSubscriptionPattern({ topic: filter }, limits)).toEqual({ kind: 'wildcard', filter, levels });
  });

  it.each([
    ['a/b+', '\'+\' must occupy a whole topic level in "a/b+"'],
    ['a/b+/c', '\'+\' must occupy a whole topic level in "a/b+/c"'],
    ['+a', "'+' must occupy a whole topic level"],
    ['a/++', "'+' must occupy a whole topic level"],
    ['#x', '\'#\' must occupy a whole topic level in "#x"'],
    ['a/b#', "'#' must occupy a whole topic level"],
    ['a/#/b', '\'#\' must be the last topic level in "a/#/b"'],
    ['#/', "'#' must be the last topic level"],
    ['a/##', "'#' must occupy a whole topic level"],
  ])('rejects misplaced wildcards in %j', (filter, message) => {
    expectCode(() => parseSubscriptionPattern({ topic: filter }, limits), 'INVALID_TOPIC', message);
  });

  it('applies the publish-topic checks to subscription topics and filters', () => {
    expectCode(() => parseSubscriptionPattern({ topic: '' }, limits), 'INVALID_TOPIC');
    expectCode(() => parseSubscriptionPattern({ topic: 'a/\u0000/+' }, limits), 'INVALID_TOPIC', /NUL/);
    expectCode(() => parseSubscriptionPattern({ topic: '+/'.repeat(64) + '#' }, limits), 'TOPIC_TOO_LONG', /65 levels/);
    expectCode(
      () => parseSubscriptionPattern({ topic: `${'ü'.repeat(512)}/#` }, limits),
      'TOPIC_TOO_LONG',
      'topic is 1026 bytes',
    );
    expectCode(() => parseSubscriptionPattern({ topic: 'a'.repeat(1025) }, limits), 'TOPIC_TOO_LONG');
  });

  it('compiles regexes with re2js', () => {
    const pattern = parseSubscriptionPattern({ regex: '^sensors/[^/]+/temp$' }, limits);
    expect(pattern.kind).toBe('regex');
    if (pattern.kind !== 'regex') return;
    expect(pattern.source).toBe('^sensors/[^/]+/temp$');
    expect(pattern.regex.test('sensors/k1/temp')).toBe(true);
    expect(pattern.regex.test('sensors/k1/k2/temp')).toBe(false);
  });

  it('rejects a NUL in a regex: it is reserved for vhost namespaces', () => {
    expectCode(() => parseSubscriptionPattern({ regex: 'a\u0000b' }, limits), 'INVALID_REGEX', /NUL/);
    // The escape is a different thing: it is no NUL in the source, and matches none in a client's topic.
    expect(parseSubscriptionPattern({ regex: 'a\\x00b' }, limits).kind).toBe('regex');
  });

  it('rejects an empty regex', () => {
    expectCode(() => parseSubscriptionPattern({ regex: '' }, limits), 'INVALID_REGEX', /non-empty/);
  });

  it('limits the regex source length', () => {
    expect(parseSubscriptionPattern({ regex: 'a'.repeat(512) }, limits).kind).toBe('regex');
    expectCode(
      () => parseSubscriptionPattern({ regex: 'a'.repeat(513) }, limits),
      'TOPIC_TOO_LONG',
      'regex is 513 characters; the limit is 512',
    );
  });

  it.each([
    ['(a', /missing closing \)/],
    ['(a)\\1', /invalid escape sequence/],
    ['(?=a)', /invalid or unsupported Perl syntax/],
    ['(?!a)', /invalid or unsupported Perl syntax/],
    ['(?<=a)b', /regex does not compile/],
    ['(?<!a)b', /regex does not compile/],
    ['a**', /invalid nested repetition operator/],
    ['[z-a]', /invalid character class range/],
    ['a{1001}', /invalid repeat count/],
  ])('rejects %j, which re2js cannot compile', (source, reason) => {
    const err = errorOf(() => parseSubscriptionPattern({ regex: source }, limits));
    expect(err.code).toBe('INVALID_REGEX');
    expect(err.message).toMatch(/^regex does not compile: /);
    expect(err.message).toMatch(reason);
  });

  it('rejects regexes whose compiled program is too large, even when the source is short', () => {
    expectCode(() => parseSubscriptionPattern({ regex: '\\pL{999}\\pL{999}' }, limits), 'INVALID_REGEX', /too complex/);
    const tight: TopicLimits = { ...limits, maxRegexProgramSize: 50 };
    expectCode(() => parseSubscriptionPattern({ regex: 'a{60}' }, tight), 'INVALID_REGEX', /the limit is 50/);
    expect(parseSubscriptionPattern({ regex: 'a{40}' }, tight).kind).toBe('regex');
  });
});
