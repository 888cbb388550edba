import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_LIMITS,
  parseSubscriptionPattern,
  estimatedRouteBytes,
  ROUTE_ENTRY_BYTES,
  TopicEngine,
  type SubscriptionHandle,
  type SubscriptionPattern,
} from '../../server/topics/index.js';
import type { CachedRoute } from '../../server/topics/route.js';

const exact = (topic: string): SubscriptionPattern => parseSubscriptionPattern({ topic }, DEFAULT_TOPIC_LIMITS);
const regex = (source: string): SubscriptionPattern =>
  parseSubscriptionPattern({ regex: source }, DEFAULT_TOPIC_LIMITS);
const sorted = (values: readonly string[]): string[] => [...values].sort();
/** The cached routes a subscription's back-references name (evicted ones are swept out lazily). */
const liveRoutes = (handle: SubscriptionHandle<string>): CachedRoute<string, unknown>[] =>
  handle.routes.filter((r) => !r.evicted);

describe('TopicEngine', () => {
  it('defaults the cache size and rejects nonsense sizes', () => {
    expect(() => new TopicEngine<string>()).not.toThrow();
    expect(() => new TopicEngine<string>({ routeCacheSize: 0 })).toThrow(RangeError);
    expect(() => new TopicEngine<string>({ routeCacheSize: 1.5 })).toThrow(RangeError);
  });

  it('routes to exact, wildcard and regex subscriptions together', () => {
    const engine = new TopicEngine<string>();
    engine.add(exact('a/b/c'), 'exact');
    engine.add(exact('a/+/c'), 'plus');
    engine.add(exact('a/#'), 'hash');
    engine.add(exact('x/#'), 'other');
    engine.add(regex('b/c$'), 'regex');
    engine.add(regex('^b'), 'anchored');
    expect(sorted(engine.route('a/b/c').entries)).toEqual(['exact', 'hash', 'plus', 'regex']);
    expect(engine.subscriptionCount).toBe(6);
  });

  it('returns the same cached Route object on a hit, and caches routes nobody wants', () => {
    const engine = new TopicEngine<string>();
    const empty = engine.route('nobody/listens');
    expect(empty.entries).toEqual([]);
    expect(empty.topic).toBe('nobody/listens');
    expect(engine.route('nobody/listens')).toBe(empty);
    expect(engine.cachedRouteCount).toBe(1);
  });

  it('gives one entry per matching subscription, even for the same value', () => {
    const engine = new TopicEngine<string>();
    engine.add(exact('a/b'), 'v');
    engine.add(exact('a/+'), 'v');
    engine.add(regex('a'), 'v');
    engine.add(exact('a/b'), 'v');
    expect(engine.route('a/b').entries).toEqual(['v', 'v', 'v', 'v']);
  });

  it('updates cached routes in place on add and remove, resetting the plan', () => {
    const engine = new TopicEngine<string, string>();
    const ab = engine.route('a/b');
    const ac = engine.route('a/c');
    ab.plan = 'plan-ab';
    ac.plan = 'plan-ac';

    const handle = engine.add(exact('a/b'), 'one');
    expect(engine.route('a/b')).toBe(ab);
    expect(ab.entries).toEqual(['one']);
    expect(ab.plan).toBeNull();
    expect(ac.plan).toBe('plan-ac'); // untouched route keeps its plan

    ab.plan = 'plan-ab-2';
    const wildcard = engine.add(exact('a/+'), 'two');
    // A wildcard reaches each cached route at its next lookup, not at the subscribe.
    expect(ab.entries).toEqual(['one']);
    expect(liveRoutes(wildcard).length).toBe(0);
    expect(engine.route('a/b')).toBe(ab);
    expect(engine.route('a/c')).toBe(ac);
    expect(sorted(ab.entries)).toEqual(['one', 'two']);
    expect(ac.entries).toEqual(['two']);
    expect(ab.plan).toBeNull();
    expect(ac.plan).toBeNull();

    ab.plan = 'p';
    ac.plan = 'p';
    engine.remove(handle);
    expect(ab.entries).toEqual(['two']);
    expect(ab.plan).toBeNull();
    expect(ac.plan).toBe('p');
    expect(liveRoutes(wildcard).length).toBe(2);
    expect(liveRoutes(handle).length).toBe(0);
    expect(engine.route('a/b')).toBe(ab);
    expect(engine.route('a/c')).toBe(ac);
  });

  it('never mutates an entries array it has handed out (copy-on-write)', () => {
    const engine = new TopicEngine<string>();
    const route = engine.route('a/b');
    const first = engine.add(exact('a/b'), 'one');
    const afterFirstAdd = route.entries;
    expect(afterFirstAdd).toEqual(['one']);

    engine.add(exact('a/#'), 'two');
    expect(engine.route('a/b')).toBe(route);
    expect(afterFirstAdd).toEqual(['one']);
    const afterSecondAdd = route.entries;
    expect(afterSecondAdd).not.toBe(afterFirstAdd);

    engine.add(regex('b'), 'three');
    expect(engine.route('a/b')).toBe(route); // a regex reaches a cached route at its next lookup
    expect(afterSecondAdd).toEqual(['one', 'two']);
    const beforeRemove = route.entries;

    engine.remove(first);
    expect(beforeRemove).toEqual(['one', 'two', 'three']);
    expect(route.entries).toEqual(['two', 'three']);
  });

  it('keeps a delivery loop iterating the old entries safe from concurrent changes', () => {
    const engine = new TopicEngine<string>();
    const handles = ['a', 'b', 'c'].map((v) => engine.add(exact('t'), v));
    const seen: string[] = [];
    for (const entry of engine.route('t').entries) {
      seen.push(entry);
      // A subscriber reacting to a delivery by unsubscribing everyone and subscribing someone new.
      for (const handle of handles) engine.remove(handle);
      engine.add(exact('t'), 'late');
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(engine.route('t').entries).toEqual(['late', 'late', 'late']);
  });

  it('makes remove idempotent', () => {
    const engine = new TopicEngine<string>();
    const one = engine.add(exact('a/+'), 'one');
    engine.add(exact('a/+'), 'two');
    const route = engine.route('a/b');
    engine.remove(one);
    engine.remove(one);
    expect(route.entries).toEqual(['two']);
    expect(engine.subscriptionCount).toBe(1);
    expect(engine.matchUncached('a/b')).toEqual(['two']);
  });

  it('applies each kind of subscription to routes cached before it', () => {
    const engine = new TopicEngine<string>();
    const topics = ['a', 'a/b', 'a/b/c', '$SYS/a', 'b/a'];
    const routes = topics.map((t) => engine.route(t));
    engine.add(exact('a/b'), 'exact');
    engine.add(exact('#'), 'all');
    engine.add(exact('a/#'), 'under-a');
    engine.add(regex('^\\$|/a$'), 'regex');
    // Regexes reach cached routes when each is next looked up: the same route objects, updated.
    topics.forEach((t, i) => expect(engine.route(t)).toBe(routes[i]));
    expect(routes.map((r) => sorted(r.entries))).toEqual([
      ['all', 'under-a'],
      ['all', 'exact', 'under-a'],
      ['all', 'under-a'],
      ['regex'],
      ['all', 'regex'],
    ]);
    expect(engine.cachedRouteCount).toBe(topics.length);
  });

  it('evicts the oldest route when the cache is full and forgets it in the handles', () => {
    const engine = new TopicEngine<string>({ routeCacheSize: 2 });
    const handle = engine.add(exact('#'), 'all');
    const first = engine.route('t/1');
    const second = engine.route('t/2');
    expect(liveRoutes(handle).length).toBe(2);
    engine.route('t/2'); // a hit does not refresh insertion order
    const third = engine.route('t/3');
    expect(engine.cachedRouteCount).toBe(2);
    expect(liveRoutes(handle).some((r) => r === first)).toBe(false);
    expect(liveRoutes(handle).length).toBe(2);
    expect(engine.route('t/2')).toBe(second);
    expect(engine.route('t/3')).toBe(third);

    // The evicted route is no longer maintained; the topic gets a fresh one on its next miss.
    const entriesOfEvicted = first.entries;
    engine.remove(handle);
    expect(first.entries).toBe(entriesOfEvicted);
    expect(second.entries).toEqual([]);
    const again = engine.route('t/1');
    expect(again).not.toBe(first);
    expect(again.entries).toEqual([]);
    expect(engine.cachedRouteCount).toBe(2);
  });

  it('matchUncached does not touch the cache', () => {
    const engine = new TopicEngine<string>();
    engine.add(exact('a/+'), 'x');
    expect(engine.matchUncached('a/b')).toEqual(['x']);
    expect(engine.cachedRouteCount).toBe(0);
  });
});

// The route cache's estimated bytes are budgeted: without it, 200 subscriptions to `#` over
// 100,000 cached topics held 20M references (917 MB), and 100,000 topics of 1 KB held 200 MB.
describe('TopicEngine: the cached routes are budgeted in estimated bytes (maxCachedBytes)', () => {
  const wildcard = (topic: string): SubscriptionPattern => parseSubscriptionPattern({ topic }, DEFAULT_TOPIC_LIMITS);
  /** What the cache counts for `routes` cached topics of `topicLength` characters holding `entries` in all. */
  const bytesOf = (routes: number, topicLength: number, entries: number): number =>
    routes * estimatedRouteBytes('x'.repeat(topicLength), 0) + entries * ROUTE_ENTRY_BYTES;

  it('counts every route, topic and entry, and gives them back', () => {
    const counters = { regexEvaluations: 0, routesEvictedForBytes: 0, routeCacheBytes: 0 };
    const engine = new TopicEngine<string>({ counters });
    const h = engine.add(exact('a/b'), 'one');
    engine.route('a/b');
    engine.route('a/c');
    expect(engine.cachedByteCount).toBe(bytesOf(2, 3, 1));
    expect(counters.routeCacheBytes).toBe(engine.cachedByteCount);
    const w = engine.add(wildcard('a/+'), 'two');
    engine.route('a/b');
    engine.route('a/c');
    expect(engine.cachedByteCount).toBe(bytesOf(2, 3, 3));
    engine.removeAll([h, w]);
    expect(engine.cachedByteCount).toBe(bytesOf(2, 3, 0));
    expect(counters.routeCacheBytes).toBe(engine.cachedByteCount);
  });

  it('evicts the oldest routes beyond the budget, counts them, and still routes every topic exactly', () => {
    const counters = { regexEvaluations: 0, routesEvictedForBytes: 0, routeCacheBytes: 0 };
    const budget = bytesOf(50, 4, 0); // fifty topics like t/42, no subscriptions
    const engine = new TopicEngine<string>({ maxCachedBytes: budget, counters });
    const topics = Array.from({ length: 50 }, (_, i) => `t/${10 + i}`);
    for (const t of topics) engine.route(t);
    expect(engine.cachedRouteCount).toBe(50);
    const handles = [];
    for (let s = 0; s < 10; s++) handles.push(engine.add(wildcard('#'), `all${s}`));
    // Each route takes the ten on its next lookup; the budget holds after every one.
    for (const t of topics) {
      expect(engine.route(t).entries).toHaveLength(10);
      expect(engine.cachedByteCount).toBeLessThanOrEqual(budget);
    }
    engine.add(exact('t/17'), 'seventeen');
    const fullRoutes = Math.floor(budget / bytesOf(1, 4, 10));
    expect(engine.cachedRouteCount).toBeLessThanOrEqual(fullRoutes);
    expect(counters.routesEvictedForBytes).toBeGreaterThanOrEqual(50 - fullRoutes);
    for (const t of topics) expect(sorted(engine.route(t).entries)).toEqual(sorted(engine.matchUncached(t)));
    expect(engine.route('t/17').entries).toContain('seventeen');
    expect(engine.cachedByteCount).toBeLessThanOrEqual(budget);
    // Removing the subscriptions gives their entries back.
    for (const h of handles) engine.remove(h);
    for (const t of topics) expect(engine.route(t).entries).toEqual(t === 't/17' ? ['seventeen'] : []);
    // Every cached topic is back to its base cost, plus t/17's one entry if it is still cached.
    expect(engine.cachedByteCount - bytesOf(engine.cachedRouteCount, 4, 0)).toBeLessThanOrEqual(ROUTE_ENTRY_BYTES);
    expect(engine.cachedByteCount).toBeLessThanOrEqual(budget);
  });

  it('counts long topics: a budget for 100 short topics holds fewer long ones', () => {
    const engine = new TopicEngine<string>({ maxCachedBytes: bytesOf(100, 5, 0) });
    for (let i = 0; i < 100; i++) engine.route(`t/${100 + i}`);
    expect(engine.cachedRouteCount).toBe(100);
    const long = (i: number): string => `${'x'.repeat(1_000)}/${i}`;
    for (let i = 0; i < 100; i++) engine.route(long(i));
    expect(engine.cachedRouteCount).toBeLessThan(100);
    expect(engine.cachedRouteCount).toBe(Math.floor(bytesOf(100, 5, 0) / estimatedRouteBytes(long(10), 0)));
  });

  it('does no per-route work at a wildcard subscribe: routes catch up at their next lookup', () => {
    const engine = new TopicEngine<string>();
    const topics = Array.from({ length: 2_000 }, (_, i) => `t/${i}`);
    for (const t of topics) engine.route(t);
    const empty = engine.cachedByteCount;
    const all = Array.from({ length: 40 }, (_, s) => engine.add(wildcard(s % 2 === 0 ? '#' : 't/+'), `w${s}`));
    expect(engine.cachedByteCount).toBe(empty);
    expect(all.every((h) => h.routes.length === 0)).toBe(true);
    expect(engine.route('t/5').entries).toHaveLength(40);
    expect(liveRoutes(all[0]).length).toBe(1);
    expect(engine.cachedByteCount).toBe(empty + 40 * ROUTE_ENTRY_BYTES);
    // A subscription removed before a route caught up never reaches it.
    engine.removeAll(all.slice(0, 10));
    expect(sorted(engine.route('t/6').entries)).toEqual(sorted(all.slice(10).map((h) => h.value)));
    // A batch removal compacts every route it is in and gives the entries back.
    engine.removeAll(all);
    expect(engine.cachedByteCount).toBe(empty);
    expect(engine.route('t/5').entries).toEqual([]);
    expect(engine.subscriptionCount).toBe(0);
  });

  it('serves a route estimated at more than the budget alone without caching it', () => {
    const engine = new TopicEngine<string>({ maxCachedBytes: estimatedRouteBytes('big', 3) });
    for (let s = 0; s < 5; s++) engine.add(exact('big'), `s${s}`);
    expect(sorted(engine.route('big').entries)).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(engine.cachedRouteCount).toBe(0);
    expect(engine.cachedByteCount).toBe(0);
    engine.route('small');
    expect(engine.cachedRouteCount).toBe(1);
  });

  it('rejects nonsense budgets', () => {
    expect(() => new TopicEngine<string>({ maxCachedBytes: 0 })).toThrow(RangeError);
    expect(() => new TopicEngine<string>({ maxCachedBytes: 2.5 })).toThrow(RangeError);
  });
});
