// Randomised but deterministic churn: subscriptions come and go while routes are cached, and the
// incrementally maintained cache must always agree with matching from scratch.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_LIMITS,
  estimatedRouteBytes,
  parseSubscriptionPattern,
  TopicEngine,
  type Route,
  type SubscriptionHandle,
  type SubscriptionPattern,
} from '../../server/topics/index.js';
import { mulberry32, pick } from '../helpers/prng.js';
import { referenceMatches } from './reference-matcher.js';

const SEGMENTS = ['a', 'b', 'c', 'sensors', 'temp', '', '$SYS', 'ü', '日本'];

function buildTopicPool(random: () => number, size: number): string[] {
  const topics = new Set<string>(['a', 'a/b', 'a//b', '$SYS/a', '$SYS', 'sensors/a/temp', '/', 'a/']);
  while (topics.size < size) {
    const depth = 1 + Math.floor(random() * 4);
    const levels: string[] = [];
    for (let i = 0; i < depth; i++) levels.push(pick(random, SEGMENTS));
    const topic = levels.join('/');
    if (topic !== '') topics.add(topic);
  }
  return [...topics];
}

/** Filters derived from pool topics (so they match something), plus a few that span everything. */
function buildFilterPool(random: () => number, topics: readonly string[], size: number): string[] {
  const filters = new Set<string>(['#', '+', '+/+', '+/#', '$SYS/#', 'a/#', '/#', 'a/+/b', '+/a/+']);
  while (filters.size < size) {
    const levels = pick(random, topics).split('/');
    for (let i = 0; i < levels.length; i++) if (random() < 0.35) levels[i] = '+';
    if (random() < 0.4) levels.splice(Math.floor(random() * levels.length) + 1, levels.length, '#');
    filters.add(levels.join('/'));
  }
  return [...filters];
}

const REGEXES = ['^a/', 'b$', 'a.*b', '^\\$SYS', '/c/', '^[^/]+/[^/]+$', '日本', '^$|^/', '(a|b)+/temp', 'ü/'];

/** expect() is too slow for the inner loops here; only build a report when something is wrong. */
function check(condition: boolean, describe: () => string): void {
  if (!condition) expect.fail(describe());
}

function sameMultiset(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const x = multiset(a);
  const y = multiset(b);
  return x.every((v, i) => v === y[i]);
}

function multiset(values: readonly number[]): number[] {
  return [...values].sort((x, y) => x - y);
}

function countOf(values: readonly number[], value: number): number {
  let count = 0;
  for (const v of values) if (v === value) count++;
  return count;
}

interface Held {
  route: Route<number, string>;
  entries: readonly number[];
}

interface ChurnOptions {
  seed: number;
  steps: number;
  routeCacheSize: number;
  maxCachedBytes?: number;
}

function runChurn({ seed, steps, routeCacheSize, maxCachedBytes }: ChurnOptions): {
  adds: number;
  removes: number;
  routes: number;
} {
  const random = mulberry32(seed);
  const topics = buildTopicPool(random, 200);
  const filters = buildFilterPool(random, topics, 120);
  const patternPool: SubscriptionPattern[] = [
    ...topics.slice(0, 80).map((topic) => parseSubscriptionPattern({ topic }, DEFAULT_TOPIC_LIMITS)),
    ...filters.map((topic) => parseSubscriptionPattern({ topic }, DEFAULT_TOPIC_LIMITS)),
    ...REGEXES.map((regex) => parseSubscriptionPattern({ regex }, DEFAULT_TOPIC_LIMITS)),
  ];
  expect(new Set(patternPool.map((p) => p.kind))).toEqual(new Set(['exact', 'wildcard', 'regex']));

  const wildcardPool = patternPool.filter((p) => p.kind === 'wildcard');
  const engine = new TopicEngine<number, string>({ routeCacheSize, maxCachedBytes });
  const live: SubscriptionHandle<number>[] = [];
  // Route objects obtained earlier, per topic, with the entries array they had when last checked.
  const held = new Map<string, Held>();
  // Whether no route is ever evicted, so a route object must be updated in place, never replaced.
  const cacheIsLarge = routeCacheSize >= topics.length && maxCachedBytes === undefined;
  let adds = 0;
  let removes = 0;
  let routes = 0;

  const checkAgainstGroundTruth = (topic: string): void => {
    const route = engine.route(topic);
    const truth = engine.matchUncached(topic);
    if (!sameMultiset(route.entries, truth)) expect(multiset(route.entries)).toEqual(multiset(truth));
    if (cacheIsLarge) {
      const previous = held.get(topic);
      check(
        previous === undefined || route === previous.route,
        () => `route for ${JSON.stringify(topic)} was replaced, not updated`,
      );
    }
    held.set(topic, { route, entries: route.entries });
  };

  for (let step = 0; step < steps; step++) {
    const roll = random();
    let changed: { pattern: SubscriptionPattern; value: number; delta: 1 | -1 } | null = null;
    if (roll < 0.3) {
      const topic = pick(random, topics);
      checkAgainstGroundTruth(topic);
      held.get(topic)!.route.plan = 'plan';
      routes++;
    } else {
      for (const h of held.values()) h.route.plan = 'plan';
      if (roll >= 0.65 && roll < 0.7) {
        // A burst of wildcards: routes catch up through a trie walk, not one test per new filter.
        for (let i = 0; i < 40; i++) live.push(engine.add(pick(random, wildcardPool), Math.floor(random() * 25)));
        adds += 40;
      } else if (roll >= 0.7 && live.length > 0 && random() < 0.2) {
        // A closing connection: several at once, one of them twice.
        const batch: SubscriptionHandle<number>[] = [];
        const count = 1 + Math.floor(random() * Math.min(30, live.length));
        for (let i = 0; i < count; i++) {
          const index = Math.floor(random() * live.length);
          batch.push(live[index]);
          live[index] = live[live.length - 1];
          live.pop();
        }
        batch.push(batch[0]);
        engine.removeAll(batch);
        removes += count;
      } else if (roll < 0.7 || live.length === 0) {
        const pattern = pick(random, patternPool);
        const value = Math.floor(random() * 25); // small value space: the same value recurs across patterns
        live.push(engine.add(pattern, value));
        changed = { pattern, value, delta: 1 };
        adds++;
      } else {
        const index = Math.floor(random() * live.length);
        const handle = live[index];
        live[index] = live[live.length - 1];
        live.pop();
        engine.remove(handle);
        if (random() < 0.1) engine.remove(handle); // idempotence under churn
        changed = { pattern: handle.pattern, value: handle.value, delta: -1 };
        removes++;
      }
    }

    if (changed !== null && cacheIsLarge) {
      // Every held route was cached before the change: by its next lookup (a regex is applied then,
      // the other kinds at once) it must have been updated in place, exactly when the changed
      // subscription matches its topic, with a fresh array and a reset plan.
      const { pattern, value, delta } = changed;
      for (const [topic, h] of held) {
        const route = h.route;
        check(engine.route(topic) === route, () => `route for ${JSON.stringify(topic)} was replaced, not updated`);
        const where = (): string =>
          `step ${step}, ${delta > 0 ? 'add' : 'remove'} ${JSON.stringify(pattern)}, topic ${JSON.stringify(topic)}`;
        if (referenceMatches(pattern, topic)) {
          check(route.entries !== h.entries, () => `entries array mutated in place or not updated: ${where()}`);
          check(route.entries.length === h.entries.length + delta, () => `wrong entry count: ${where()}`);
          check(
            countOf(route.entries, value) === countOf(h.entries, value) + delta,
            () => `wrong value count: ${where()}`,
          );
          check(route.plan === null, () => `plan not reset: ${where()}`);
        } else {
          check(route.entries === h.entries, () => `unrelated route changed: ${where()}`);
          check(route.plan === 'plan', () => `unrelated route lost its plan: ${where()}`);
        }
        h.entries = route.entries;
      }
    } else if (roll >= 0.3 && cacheIsLarge) {
      // A burst or a batch: held routes are compared with the truth below; start the next step from here.
      for (const [topic, h] of held) {
        check(engine.route(topic) === h.route, () => `route for ${JSON.stringify(topic)} was replaced, not updated`);
        h.entries = h.route.entries;
      }
    }

    for (let i = 0; i < 4; i++) checkAgainstGroundTruth(pick(random, topics));
    if (step % 250 === 0) for (const topic of topics) checkAgainstGroundTruth(topic);
    expect(engine.cachedRouteCount).toBeLessThanOrEqual(routeCacheSize);
    if (maxCachedBytes !== undefined) expect(engine.cachedByteCount).toBeLessThanOrEqual(maxCachedBytes);
    expect(engine.subscriptionCount).toBe(live.length);
  }

  // Back-references must name each route once, and each cached one must really contain the handle.
  // Evicted routes may linger in the list until a sweep, but never more than the cache holds and then some.
  for (const handle of live) {
    const cached = handle.routes.filter((route) => !route.evicted);
    expect(cached.length).toBeLessThanOrEqual(routeCacheSize);
    expect(handle.routes.length - cached.length).toBeLessThanOrEqual(
      1.5 * Math.min(routeCacheSize, topics.length) + 16,
    );
    expect(new Set(handle.routes).size).toBe(handle.routes.length);
    for (const route of cached) {
      expect(route.handles).toContain(handle);
      expect(engine.route(route.topic)).toBe(route);
    }
  }
  for (const topic of topics) checkAgainstGroundTruth(topic);
  return { adds, removes, routes };
}

describe('route cache under subscription churn', () => {
  it.each([1, 2, 3])('stays equal to uncached matching with a large cache (seed %i)', (seed) => {
    const counts = runChurn({ seed, steps: 1500, routeCacheSize: 100_000 });
    expect(counts.adds).toBeGreaterThan(400);
    expect(counts.removes).toBeGreaterThan(300);
    expect(counts.routes).toBeGreaterThan(300);
  });

  it.each([4, 5])('stays equal to uncached matching while evicting from a cache of 8 (seed %i)', (seed) => {
    runChurn({ seed, steps: 2000, routeCacheSize: 8 });
  });

  it.each([6, 7])('stays equal to uncached matching with a budget of about 40 cached topics (seed %i)', (seed) => {
    runChurn({ seed, steps: 2000, routeCacheSize: 100_000, maxCachedBytes: 40 * estimatedRouteBytes('a/b/c', 5) });
  });

  it('is deterministic for a seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const seqA = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
