// Maps a topic to the values of every subscription matching it. Matching results are cached per
// topic and kept current incrementally, so a publish to a known topic is one Map lookup no matter
// how many wildcard or regex subscriptions exist. What the cache holds grows with (cached topics x
// their matching subscriptions): 200 subscriptions to `#` over 100,000 cached topics held 20M
// references and took seconds per subscribe. So the references are budgeted too
// (maxCachedEntries), the oldest routes evicted beyond it.
import { FifoRing } from './fifo-ring.js';
import { RegexIndex, type RegexCounters } from './regex-index.js';
import { CachedRoute, type Route } from './route.js';
import { SubscriptionHandle } from './subscription-handle.js';
import type { SubscriptionPattern } from './topic-validation.js';
import { wildcardMatches } from './wildcard-match.js';
import { WildcardTrie } from './wildcard-trie.js';
import { removeUnordered } from './unordered-list.js';

export interface TopicEngineOptions {
  /** Most routes kept cached; the oldest inserted is evicted beyond it. Default 100,000. */
  routeCacheSize?: number;
  /**
   * Most subscription references held by all cached routes together (a route matching n
   * subscriptions holds n); the oldest routes are evicted beyond it, and a route holding more is
   * computed for its publish and not cached. Default 1,000,000.
   */
  maxCachedEntries?: number;
  /** Where regex tests and route-cache evictions are counted (the broker passes its BrokerStats). */
  counters?: TopicEngineCounters;
}

export interface TopicEngineCounters extends RegexCounters {
  /** Routes evicted because the cached routes' references passed maxCachedEntries. */
  routesEvictedForEntries: number;
}

export const DEFAULT_ROUTE_CACHE_SIZE = 100_000;
export const DEFAULT_ROUTE_CACHE_MAX_ENTRIES = 1_000_000;

export class TopicEngine<T, P = unknown> {
  private readonly routes: Map<string, CachedRoute<T, P>>;
  /** Cached routes oldest first; routes leave the cache only by eviction, so it mirrors `routes`. */
  private readonly insertionOrder: FifoRing<CachedRoute<T, P>>;
  private readonly exact: Map<string, SubscriptionHandle<T>[]>;
  private readonly wildcards: WildcardTrie<SubscriptionHandle<T>>;
  private readonly regexes: RegexIndex<T>;
  /** Handles picked up by a route's regex catch-up; reused, so a catch-up allocates no list. */
  private readonly scratch: SubscriptionHandle<T>[];
  private subscriptions: number;
  private readonly maxCachedEntries: number;
  /** Subscription references held by the cached routes (sum of their handles' lengths). */
  private cachedEntries: number;
  private readonly counters: TopicEngineCounters;

  constructor(options: TopicEngineOptions = {}) {
    const routeCacheSize = options.routeCacheSize ?? DEFAULT_ROUTE_CACHE_SIZE;
    if (!Number.isSafeInteger(routeCacheSize) || routeCacheSize < 1) {
      throw new RangeError(`routeCacheSize must be a positive integer, got ${routeCacheSize}`);
    }
    const maxCachedEntries = options.maxCachedEntries ?? DEFAULT_ROUTE_CACHE_MAX_ENTRIES;
    if (!Number.isSafeInteger(maxCachedEntries) || maxCachedEntries < 1) {
      throw new RangeError(`maxCachedEntries must be a positive integer, got ${maxCachedEntries}`);
    }
    this.maxCachedEntries = maxCachedEntries;
    this.cachedEntries = 0;
    this.counters = options.counters ?? { regexEvaluations: 0, routesEvictedForEntries: 0 };
    this.routes = new Map();
    this.insertionOrder = new FifoRing(routeCacheSize);
    this.exact = new Map();
    this.wildcards = new WildcardTrie();
    this.regexes = new RegexIndex(this.counters);
    this.scratch = [];
    this.subscriptions = 0;
  }

  get subscriptionCount(): number {
    return this.subscriptions;
  }

  get cachedRouteCount(): number {
    return this.routes.size;
  }

  /** Subscription references the cached routes hold (bounded by maxCachedEntries, plus one subscribe's worth). */
  get cachedEntryCount(): number {
    return this.cachedEntries;
  }

  /** The publish hot path: one Map lookup and one number comparison on a hit. */
  route(topic: string): Route<T, P> {
    const cached = this.routes.get(topic);
    if (cached !== undefined) {
      if (cached.regexEpoch !== this.regexes.epoch) this.catchUpRegexes(cached);
      return cached;
    }
    return this.cacheNewRoute(topic);
  }

  add(pattern: SubscriptionPattern, value: T): SubscriptionHandle<T> {
    const handle = new SubscriptionHandle(pattern, value);
    switch (pattern.kind) {
      case 'exact': {
        const list = this.exact.get(pattern.topic);
        if (list === undefined) this.exact.set(pattern.topic, [handle]);
        else list.push(handle);
        const route = this.routes.get(pattern.topic);
        if (route !== undefined) {
          appendTo(route, handle);
          this.cachedEntries++;
          this.trim();
        }
        break;
      }
      case 'wildcard': {
        this.wildcards.add(pattern.levels, handle);
        const levels = pattern.levels;
        // The ring, not the Map: after many evictions V8's Map iterator still walks the deleted slots.
        let added = 0;
        this.insertionOrder.forEach((route) => {
          if (wildcardMatches(levels, route.topic)) {
            appendTo(route, handle);
            added++;
          }
        });
        this.cachedEntries += added;
        this.trim();
        break;
      }
      case 'regex':
        // Not tested against the cached routes now: each route catches up when next used (route()),
        // so a subscribe costs no regex work however many routes are cached.
        this.regexes.add(handle, pattern.source, pattern.regex);
        break;
    }
    this.subscriptions++;
    return handle;
  }

  /** Idempotent. Touches only the cached routes the subscription is in. */
  remove(handle: SubscriptionHandle<T>): void {
    if (!handle.active) return;
    handle.active = false;
    const pattern = handle.pattern;
    switch (pattern.kind) {
      case 'exact': {
        const list = this.exact.get(pattern.topic);
        if (list !== undefined && removeUnordered(list, handle) && list.length === 0) this.exact.delete(pattern.topic);
        break;
      }
      case 'wildcard':
        this.wildcards.remove(pattern.levels, handle);
        break;
      case 'regex':
        this.regexes.remove(handle, pattern.source);
        break;
    }
    for (const route of handle.routes) if (route.drop(handle)) this.cachedEntries--;
    handle.routes.clear();
    this.subscriptions--;
  }

  /** Ground truth computed without the cache (for tests and diagnostics); leaves the cache untouched. */
  matchUncached(topic: string): T[] {
    const handles: SubscriptionHandle<T>[] = [];
    this.collectMatches(topic, handles);
    const values: T[] = [];
    for (let i = 0; i < handles.length; i++) values.push(handles[i].value);
    return values;
  }

  private cacheNewRoute(topic: string): CachedRoute<T, P> {
    const handles: SubscriptionHandle<T>[] = [];
    this.collectMatches(topic, handles);
    const route = new CachedRoute<T, P>(topic, handles, this.regexes.epoch);
    // Over the whole budget alone: serve this publish, keep nothing (no back-references either).
    if (handles.length > this.maxCachedEntries) return route;
    const evicted = this.insertionOrder.pushEvicting(route);
    if (evicted !== undefined) this.evict(evicted);
    for (let i = 0; i < handles.length; i++) handles[i].routes.add(route);
    this.routes.set(topic, route);
    this.cachedEntries += handles.length;
    this.trim();
    return route;
  }

  /** Each matching subscription is pushed exactly once: a handle has one pattern. */
  private collectMatches(topic: string, out: SubscriptionHandle<T>[]): void {
    const exact = this.exact.get(topic);
    if (exact !== undefined) for (let i = 0; i < exact.length; i++) out.push(exact[i]);
    if (this.wildcards.size > 0) this.wildcards.collect(topic.split('/'), out);
    if (this.regexes.size > 0) this.regexes.collect(topic, out);
  }

  /** Adds to a cached route the regex subscriptions made since it was computed that match its topic. */
  private catchUpRegexes(route: CachedRoute<T, P>): void {
    const found = this.scratch;
    found.length = 0;
    this.regexes.collectSince(route.regexEpoch, route.topic, found);
    route.regexEpoch = this.regexes.epoch;
    if (found.length === 0) return;
    route.appendAll(found);
    for (let i = 0; i < found.length; i++) found[i].routes.add(route);
    this.cachedEntries += found.length;
    found.length = 0; // hold no handles past the call
    this.trim();
  }

  /** An evicted route is no longer maintained, so it must leave its handles' back-references. */
  private evict(route: CachedRoute<T, P>): void {
    this.routes.delete(route.topic);
    for (let i = 0; i < route.handles.length; i++) route.handles[i].routes.delete(route);
    this.cachedEntries -= route.handles.length;
  }

  /** Evict the oldest routes while the cached references are over budget. */
  private trim(): void {
    while (this.cachedEntries > this.maxCachedEntries) {
      const oldest = this.insertionOrder.shift();
      if (oldest === undefined) return;
      this.evict(oldest);
      this.counters.routesEvictedForEntries++;
    }
  }
}

function appendTo<T>(route: CachedRoute<T, unknown>, handle: SubscriptionHandle<T>): void {
  route.append(handle);
  handle.routes.add(route);
}

