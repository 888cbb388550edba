import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_LIMITS,
  parseSubscriptionPattern,
  TopicEngine,
  wildcardMatches,
  WildcardTrie,
  type SubscriptionSpec,
} from '../../server/topics/index.js';

type Row = [spec: SubscriptionSpec, topic: string, matches: boolean];

const rows: Row[] = [
  // exact
  [{ topic: 'a/b' }, 'a/b', true],
  [{ topic: 'a/b' }, 'a/b/c', false],
  [{ topic: 'a/b' }, 'a', false],
  [{ topic: 'a/b' }, 'A/b', false],
  [{ topic: '$SYS/x' }, '$SYS/x', true],
  // '+' matches exactly one level
  [{ topic: 'a/+' }, 'a/b', true],
  [{ topic: 'a/+' }, 'a/b/c', false],
  [{ topic: 'a/+' }, 'a', false],
  [{ topic: 'a/+' }, 'a/', true],
  [{ topic: 'a/+/c' }, 'a/b/c', true],
  [{ topic: 'a/+/c' }, 'a/b/d', false],
  [{ topic: '+' }, 'a', true],
  [{ topic: '+' }, 'a/b', false],
  [{ topic: '+' }, '/', false],
  [{ topic: '+/+' }, '/', true],
  [{ topic: '+/+' }, 'a/b', true],
  [{ topic: '+/b' }, 'x/b', true],
  [{ topic: 'a/+/+' }, 'a/b', false],
  // '#' matches the parent level and any number below it
  [{ topic: 'a/#' }, 'a', true],
  [{ topic: 'a/#' }, 'a/b', true],
  [{ topic: 'a/#' }, 'a/b/c/d', true],
  [{ topic: 'a/#' }, 'a/', true],
  [{ topic: 'a/#' }, 'ab', false],
  [{ topic: 'a/#' }, 'b/a', false],
  [{ topic: 'a/b/#' }, 'a', false],
  [{ topic: '#' }, 'a', true],
  [{ topic: '#' }, 'a/b/c', true],
  [{ topic: '#' }, '/', true],
  [{ topic: '+/#' }, 'a', true],
  [{ topic: '+/#' }, 'a/b/c', true],
  [{ topic: '/#' }, '/x', true],
  [{ topic: '/#' }, 'x', false],
  // [MQTT-4.7.2-1]: filters starting with a wildcard do not match '$' topics
  [{ topic: '#' }, '$SYS/x', false],
  [{ topic: '#' }, '$SYS', false],
  [{ topic: '+/x' }, '$SYS/x', false],
  [{ topic: '+' }, '$SYS', false],
  [{ topic: '+/#' }, '$SYS/x', false],
  [{ topic: '$SYS/#' }, '$SYS/x', true],
  [{ topic: '$SYS/#' }, '$SYS', true],
  [{ topic: '$SYS/+' }, '$SYS/x', true],
  [{ topic: 'a/+' }, 'a/$x', true],
  [{ topic: 'a/#' }, 'a/$x', true],
  [{ topic: '+/$x' }, 'a/$x', true],
  // empty levels are real levels
  [{ topic: 'a/+/b' }, 'a//b', true],
  [{ topic: 'a/+/b' }, 'a/b', false],
  [{ topic: '+/+/+' }, '//', true],
  [{ topic: 'a//+' }, 'a//x', true],
  [{ topic: 'a//+' }, 'a/x', false],
  // regexes search anywhere unless anchored
  [{ regex: 'b/c' }, 'a/b/c/d', true],
  [{ regex: '^b/c' }, 'a/b/c/d', false],
  [{ regex: '^a/b' }, 'a/b/c/d', true],
  [{ regex: 'c/d$' }, 'a/b/c/d', true],
  [{ regex: 'c$' }, 'a/b/c/d', false],
  [{ regex: '^a/b$' }, 'a/b', true],
  [{ regex: '^a/b$' }, 'a/b/c', false],
  [{ regex: '^[^/]+/[^/]+$' }, 'x/y', true],
  [{ regex: '^[^/]+/[^/]+$' }, 'x/y/z', false],
  [{ regex: '\\$SYS' }, '$SYS/x', true],
  [{ regex: '.' }, '$SYS/x', true],
  [{ regex: '日本' }, 'ünï/日本/x', true],
  [{ regex: '(?i)^ALPHA' }, 'alpha/beta', true],
  [{ regex: 'a.c' }, 'a/c', true],
];

function describeRow([spec, topic, matches]: Row): string {
  return `${JSON.stringify(spec)} ${matches ? 'matches' : 'does not match'} ${JSON.stringify(topic)}`;
}

describe('matching semantics', () => {
  it.each(rows.map((row) => [describeRow(row), row] as const))('%s', (_name, [spec, topic, matches]) => {
    const pattern = parseSubscriptionPattern(spec, DEFAULT_TOPIC_LIMITS);
    const expected = matches ? ['sub'] : [];

    // Subscription added before the route is cached: computed on the miss.
    const before = new TopicEngine<string>({ routeCacheSize: 16 });
    before.add(pattern, 'sub');
    expect(before.matchUncached(topic)).toEqual(expected);
    expect(before.route(topic).entries).toEqual(expected);
    expect(before.route(topic).entries).toEqual(expected); // cache hit

    // Subscription added after the route is cached: the incremental path.
    const after = new TopicEngine<string>({ routeCacheSize: 16 });
    const route = after.route(topic);
    expect(route.entries).toEqual([]);
    after.add(pattern, 'sub');
    expect(after.route(topic)).toBe(route);
    expect(route.entries).toEqual(expected);

    if (pattern.kind === 'wildcard') {
      expect(wildcardMatches(pattern.levels, topic)).toBe(matches);
      const trie = new WildcardTrie<string>();
      trie.add(pattern.levels, 'sub');
      const out: string[] = [];
      trie.collect(topic.split('/'), out);
      expect(out).toEqual(expected);
    }
  });

  it('collects every matching filter from one trie walk', () => {
    const trie = new WildcardTrie<string>();
    const filters = ['#', '+', 'a/#', 'a/+', 'a/b', '+/b', '+/+', 'a/b/#', 'a/+/#', 'a/c', '$SYS/#', 'b/#'];
    for (const filter of filters) trie.add(filter.split('/'), filter);
    const collected = (topic: string): string[] => {
      const out: string[] = [];
      trie.collect(topic.split('/'), out);
      return out.sort();
    };
    expect(collected('a/b')).toEqual(['#', '+/+', '+/b', 'a/#', 'a/+', 'a/+/#', 'a/b', 'a/b/#'].sort());
    expect(collected('a')).toEqual(['#', '+', 'a/#'].sort());
    expect(collected('$SYS/x')).toEqual(['$SYS/#']);
    expect(trie.size).toBe(filters.length);
  });

  it('prunes the trie on removal and tolerates removing what is not there', () => {
    const trie = new WildcardTrie<string>();
    trie.add(['a', '+', 'c'], 'x');
    trie.add(['a', '+', 'c'], 'y');
    trie.add(['a', '#'], 'z');
    expect(trie.remove(['a', '+', 'c'], 'nope')).toBe(false);
    expect(trie.remove(['q', '#'], 'z')).toBe(false);
    expect(trie.remove(['a', '+', 'c'], 'x')).toBe(true);
    expect(trie.remove(['a', '+', 'c'], 'x')).toBe(false);
    expect(trie.remove(['a', '+', 'c'], 'y')).toBe(true);
    expect(trie.remove(['a', '#'], 'z')).toBe(true);
    expect(trie.size).toBe(0);
    // The root must be bare again: nothing left to walk.
    const root = (trie as unknown as { root: { children: unknown; plusChild: unknown } }).root;
    expect(root.children).toBeNull();
    expect(root.plusChild).toBeNull();
  });
});
