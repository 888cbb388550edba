// The engine has two wildcard matchers: the trie (route misses) and wildcardMatches (new
// subscriptions against cached routes). Both must agree with a naive oracle on every input.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_LIMITS,
  parseSubscriptionPattern,
  wildcardMatches,
  WildcardTrie,
} from '../../server/topics/index.js';
import { mulberry32, pick } from '../helpers/prng.js';
import { referenceMatches } from './reference-matcher.js';

const LEVELS = ['a', 'b', '', '$x', 'ab', 'é'];

function randomTopic(random: () => number): string {
  const depth = 1 + Math.floor(random() * 4);
  const levels: string[] = [];
  for (let i = 0; i < depth; i++) levels.push(pick(random, LEVELS));
  const topic = levels.join('/');
  return topic === '' ? '/' : topic; // the empty topic is invalid
}

function randomFilter(random: () => number): string {
  const levels = randomTopic(random).split('/');
  for (let i = 0; i < levels.length; i++) if (random() < 0.4) levels[i] = '+';
  if (random() < 0.4) levels.push('#');
  else if (random() < 0.1) levels[levels.length - 1] = '#';
  return levels.join('/');
}

describe('wildcard matchers agree with a naive oracle', () => {
  it('on 20,000 random filter/topic pairs, including $ topics and empty levels', () => {
    const random = mulberry32(7);
    const filters: string[] = [];
    for (let i = 0; i < 200; i++) filters.push(randomFilter(random));
    const trie = new WildcardTrie<number>();
    const patterns = filters.map((filter) => parseSubscriptionPattern({ topic: filter }, DEFAULT_TOPIC_LIMITS));
    patterns.forEach((pattern, i) => {
      if (pattern.kind === 'wildcard') trie.add(pattern.levels, i);
    });

    let matched = 0;
    let compared = 0;
    for (let t = 0; t < 100; t++) {
      const topic = randomTopic(random);
      const fromTrie: number[] = [];
      trie.collect(topic.split('/'), fromTrie);
      const expected: number[] = [];
      patterns.forEach((pattern, i) => {
        if (pattern.kind !== 'wildcard') return;
        const reference = referenceMatches(pattern, topic);
        if (wildcardMatches(pattern.levels, topic) !== reference) {
          expect.fail(
            `wildcardMatches(${JSON.stringify(pattern.filter)}, ${JSON.stringify(topic)}) should be ${reference}`,
          );
        }
        if (reference) expected.push(i);
        compared++;
      });
      expect(fromTrie.sort((x, y) => x - y)).toEqual(expected);
      matched += expected.length;
    }
    // The generators must actually produce both outcomes, or this test proves nothing.
    expect(compared).toBeGreaterThan(15_000);
    expect(matched).toBeGreaterThan(500);
    expect(compared - matched).toBeGreaterThan(5_000);
  });

  it('on vhost namespaces: no wildcard crosses a namespace, and `$` is hidden one level down', () => {
    const random = mulberry32(11);
    const namespaces = ['', '\u0000a.com', '\u0000b.com'];
    const inNamespace = (ns: string, text: string): string => (ns === '' ? text : `${ns}/${text}`);
    const filters: string[][] = [];
    for (let i = 0; i < 300; i++) {
      const levels = randomFilter(random).split('/');
      const ns = pick(random, namespaces);
      filters.push(ns === '' ? levels : [ns, ...levels]);
    }
    // A namespace's level followed by only a literal would not be a wildcard filter: the engine
    // keeps those as exact topics, so the trie never holds one.
    const wildcards = filters.filter((levels) => levels.includes('+') || levels.includes('#'));
    const trie = new WildcardTrie<number>();
    wildcards.forEach((levels, i) => trie.add(levels, i));

    let matched = 0;
    let compared = 0;
    for (let t = 0; t < 150; t++) {
      const topic = inNamespace(pick(random, namespaces), randomTopic(random));
      const fromTrie: number[] = [];
      trie.collect(topic.split('/'), fromTrie);
      const expected: number[] = [];
      wildcards.forEach((levels, i) => {
        const reference = referenceMatches({ kind: 'wildcard', filter: levels.join('/'), levels }, topic);
        if (wildcardMatches(levels, topic) !== reference) {
          expect.fail(`wildcardMatches(${JSON.stringify(levels)}, ${JSON.stringify(topic)}) should be ${reference}`);
        }
        if (reference) expected.push(i);
        compared++;
      });
      expect(fromTrie.sort((x, y) => x - y)).toEqual(expected);
      matched += expected.length;
    }
    expect(compared).toBeGreaterThan(20_000);
    expect(matched).toBeGreaterThan(300);
  });

  it.each([
    // filter levels, topic, matches
    [['#'], '\u0000A/x', false],
    [['+', '#'], '\u0000A/x', false],
    [['+', 'x'], '\u0000A/x', false],
    [['\u0000A', '#'], '\u0000A/x', true],
    [['\u0000A', '#'], '\u0000A/x/y', true],
    [['\u0000A', '+'], '\u0000A/x', true],
    [['\u0000A', '#'], '\u0000B/x', false],
    [['\u0000A', '#'], '\u0000A/$SYS/x', false],
    [['\u0000A', '+', 'x'], '\u0000A/$SYS/x', false],
    [['\u0000A', '+'], '\u0000A/$SYS', false],
    [['\u0000A', '$SYS', '#'], '\u0000A/$SYS/x', true],
    [['\u0000A', '$SYS', '#'], '\u0000A/$SYS', true],
    [['\u0000A', '$SYS', '+'], '\u0000A/$SYS/x', true],
    // The namespace level alone is no client's topic: `#` after it does not match its parent.
    [['\u0000A', '#'], '\u0000A', false],
    [['\u0000A', '+'], '\u0000A', false],
    // An empty first client level is a level like any other.
    [['\u0000A', '#'], '\u0000A/', true],
    [['\u0000A', '+'], '\u0000A/', true],
    // Default namespace, unchanged.
    [['a', '#'], 'a', true],
    [['#'], '$SYS/x', false],
    [['$SYS', '#'], '$SYS/x', true],
  ] as const)('%j against %j: %s', (levels, topic, expected) => {
    expect(wildcardMatches(levels, topic)).toBe(expected);
    const trie = new WildcardTrie<number>();
    trie.add(levels, 1);
    const out: number[] = [];
    trie.collect(topic.split('/'), out);
    expect(out.length === 1).toBe(expected);
  });
});
