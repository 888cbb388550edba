// Vhost namespaces in one engine, randomised but deterministic: subscriptions of three namespaces
// (the default one, `\u0000a.com` and `\u0000b.com`) come and go while routes are cached. At every
// check (a) no subscription matches a topic of another namespace, (b) within a namespace the matches
// are exactly those of the same client-level patterns on the client topic in an engine of their own,
// without namespaces, and (c) cached routes equal matching from scratch, after wildcard bursts too
// (a route catching up with more than 32 new wildcards walks the trie instead of testing each).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_LIMITS,
  parseSubscriptionPattern,
  TopicEngine,
  type SubscriptionHandle,
  type SubscriptionPattern,
} from '../../server/topics/index.js';
import { VhostNamespace } from '../../server/vhosts/vhost-namespace.js';
import { mulberry32, pick } from '../helpers/prng.js';
import { referenceMatches } from './reference-matcher.js';

const NAMESPACES = [VhostNamespace.DEFAULT, new VhostNamespace('a.com'), new VhostNamespace('b.com')];
const SEGMENTS = ['a', 'b', '', '$SYS', '$x', 'c', '日本'];
const FIXED_FILTERS = ['#', '+', '+/#', '+/+', '$SYS/#', '$SYS/+', '$x/#', 'a/#', '/#', '+/a/#', 'a/+/c'];
const REGEXES = ['.*', '^a', '^\\$SYS', 'b$', '^$|^/', '^[^/]+$', '日本', '^\\$'];

function buildClientTopics(random: () => number, size: number): string[] {
  const topics = new Set<string>(['a', 'a/b', '$SYS', '$SYS/a', '/', 'a/', '$x/b/c']);
  while (topics.size < size) {
    const depth = 1 + Math.floor(random() * 4);
    const levels: string[] = [];
    for (let i = 0; i < depth; i++) levels.push(pick(random, SEGMENTS));
    const topic = levels.join('/');
    if (topic !== '') topics.add(topic);
  }
  return [...topics];
}

function buildClientFilters(random: () => number, topics: readonly string[], size: number): string[] {
  const filters = new Set<string>(FIXED_FILTERS);
  while (filters.size < size) {
    const levels = pick(random, topics).split('/');
    for (let i = 0; i < levels.length; i++) if (random() < 0.4) levels[i] = '+';
    if (random() < 0.4) levels.splice(Math.floor(random() * levels.length) + 1, levels.length, '#');
    filters.add(levels.join('/'));
  }
  return [...filters];
}

/** expect() is too slow for the inner loops here; only build a report when something is wrong. */
function check(condition: boolean, describe: () => string): void {
  if (!condition) expect.fail(describe());
}

const sorted = (values: readonly number[]): number[] => [...values].sort((x, y) => x - y);
function same(x: readonly number[], y: readonly number[]): boolean {
  if (x.length !== y.length) return false;
  const a = sorted(x);
  const b = sorted(y);
  return a.every((v, i) => v === b[i]);
}

interface Live {
  readonly ns: number;
  readonly client: SubscriptionPattern;
  readonly pattern: SubscriptionPattern;
  readonly handle: SubscriptionHandle<number>;
  /** The same client-level pattern's handle in its namespace's own engine. */
  readonly plainHandle: SubscriptionHandle<number>;
}

function run(seed: number, steps: number, routeCacheSize: number): { checks: number; bursts: number } {
  const random = mulberry32(seed);
  const clientTopics = buildClientTopics(random, 50);
  const clientPatterns: SubscriptionPattern[] = [
    ...clientTopics.slice(0, 20).map((topic) => parseSubscriptionPattern({ topic }, DEFAULT_TOPIC_LIMITS)),
    ...buildClientFilters(random, clientTopics, 60).map((topic) =>
      parseSubscriptionPattern({ topic }, DEFAULT_TOPIC_LIMITS),
    ),
    ...REGEXES.map((regex) => parseSubscriptionPattern({ regex }, DEFAULT_TOPIC_LIMITS)),
  ];
  const wildcardPatterns = clientPatterns.filter((p) => p.kind === 'wildcard');
  const topics = NAMESPACES.flatMap((ns, n) =>
    clientTopics.map((topic) => ({ n, topic: ns.topic(topic), topic0: topic })),
  );

  const engine = new TopicEngine<number>({ routeCacheSize });
  // The reference for (b): one engine per namespace, holding the client-level patterns.
  const plain = NAMESPACES.map(() => new TopicEngine<number>());
  const live = new Map<number, Live>();
  let nextValue = 0;
  let checks = 0;
  let bursts = 0;

  const add = (n: number, client: SubscriptionPattern): void => {
    const value = nextValue++;
    const pattern = NAMESPACES[n].pattern(client);
    const handle = engine.add(pattern, value);
    live.set(value, { ns: n, client, pattern, handle, plainHandle: plain[n].add(client, value) });
  };
  const removeSome = (count: number): void => {
    const values = [...live.keys()];
    const batch: SubscriptionHandle<number>[] = [];
    for (let i = 0; i < count && values.length > 0; i++) {
      const index = Math.floor(random() * values.length);
      const entry = live.get(values[index])!;
      values.splice(index, 1);
      live.delete(entry.handle.value);
      batch.push(entry.handle);
      plain[entry.ns].remove(entry.plainHandle);
    }
    engine.removeAll(batch);
  };
  const checkTopic = ({ n, topic, topic0 }: (typeof topics)[number]): void => {
    checks++;
    const truth = engine.matchUncached(topic);
    // (a) only this namespace's subscriptions.
    for (const value of truth) {
      check(
        live.get(value)?.ns === n,
        () => `${JSON.stringify(topic)} matched subscription ${value} of another namespace`,
      );
    }
    // (b) what the same client-level patterns match on the client topic, without namespaces; and the oracle agrees.
    const expected = plain[n].matchUncached(topic0);
    check(
      same(truth, expected),
      () => `${JSON.stringify(topic)}: ${sorted(truth)} but client-level ${sorted(expected)}`,
    );
    const oracle: number[] = [];
    for (const [value, entry] of live) if (referenceMatches(entry.pattern, topic)) oracle.push(value);
    check(
      same(truth, oracle),
      () => `${JSON.stringify(topic)}: ${sorted(truth)} but the oracle says ${sorted(oracle)}`,
    );
    // (c) the cached route.
    const entries = engine.route(topic).entries;
    check(
      same(entries, truth),
      () => `${JSON.stringify(topic)}: cached ${sorted(entries)} but uncached ${sorted(truth)}`,
    );
  };

  for (let step = 0; step < steps; step++) {
    const roll = random();
    const n = Math.floor(random() * NAMESPACES.length);
    if (roll < 0.35) {
      checkTopic(pick(random, topics));
    } else if (roll < 0.6) {
      add(n, pick(random, clientPatterns));
    } else if (roll < 0.63) {
      // A burst past the catch-up scan limit (32): cached routes catch up by a trie walk.
      for (let i = 0; i < 40; i++) add(Math.floor(random() * NAMESPACES.length), pick(random, wildcardPatterns));
      bursts++;
    } else if (roll < 0.88) {
      removeSome(1);
    } else if (roll < 0.93) {
      removeSome(1 + Math.floor(random() * 30));
    } else if (roll < 0.94) {
      // Every topic, cached or not: all of them catch up with what changed since they were cached.
      for (const topic of topics) checkTopic(topic);
    }
  }
  for (const topic of topics) checkTopic(topic);
  return { checks, bursts };
}

describe('vhost namespaces in one topic engine', () => {
  it.each([1, 2, 3])('keep namespaces apart and agree with client-level matching (seed %i)', (seed) => {
    const { checks, bursts } = run(seed, 1500, 100_000);
    expect(checks).toBeGreaterThan(1000);
    expect(bursts).toBeGreaterThan(10);
  });

  it('agree while evicting from a cache of 16 routes', () => {
    const { checks } = run(4, 1500, 16);
    expect(checks).toBeGreaterThan(1000);
  });

  it('make both outcomes happen in every namespace', () => {
    // Guard against a generator that proves nothing: each namespace sees matches and misses of each kind.
    const engine = new TopicEngine<string>();
    for (const ns of NAMESPACES) {
      engine.add(ns.pattern(parseSubscriptionPattern({ topic: '#' }, DEFAULT_TOPIC_LIMITS)), `${ns.name} #`);
      engine.add(ns.pattern(parseSubscriptionPattern({ regex: '.*' }, DEFAULT_TOPIC_LIMITS)), `${ns.name} .*`);
    }
    for (const ns of NAMESPACES) {
      expect([...engine.route(ns.topic('a/b')).entries].sort()).toEqual([`${ns.name} #`, `${ns.name} .*`]);
      expect(engine.route(ns.topic('$SYS/a')).entries).toEqual([`${ns.name} .*`]);
    }
  });
});
