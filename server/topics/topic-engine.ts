// Maps a topic to the values of every subscription matching it. Matching results are cached per
// topic and kept current incrementally, so a publish to a known topic is one Map lookup no matter
// how many wildcard or regex subscriptions exist.
//
// No subscribe or unsubscribe walks the whole cache. A new wildcard or regex subscription bumps the
// engine's epoch, and each cached route catches up with what was added since when it is next used:
// 200 subscriptions to `#` over 100,000 cached routes used to cost 1.7 s of blocked loop each. A
// removal touches only the routes the subscription is in, and each route once per removeAll(). What
// the cache holds grows with its topics' lengths and (cached topics x their matching subscriptions),
// so beside the count of routes it has a budget of estimated bytes (maxCachedBytes), the oldest
// routes evicted beyond it.
import { EpochLog } from './epoch-log.js';
import { FifoRing } from './fifo-ring.js';
import { RegexIndex, type RegexCounters } from './regex-index.js';
import { CachedRoute, SubscriptionHandle, type Route } from './route.js';
import { SharedLists } from './shared-lists.js';
import type { SubscriptionPattern } from './topic-validation.js';
import { wildcardMatches } from './wildcard-match.js';
import { WildcardTrie } from './wildcard-trie.js';
import { removeUnordered } from './unordered-list.js';

export interface TopicEngineOptions {
  /** Most routes kept cached; the oldest inserted is evicted beyond it. Default 100,000. */
  routeCacheSize?: number;
  /**
   * Most estimated heap bytes all cached routes hold together (routeCacheBytes); the oldest routes
   * are evicted beyond it, and a route estimated at more is computed for its publish and not
   * cached. Default 64 MiB.
   */
  maxCachedBytes?: number;
  /** Where regex tests and route-cache evictions are counted (the broker passes its BrokerStats). */
  counters?: TopicEngineCounters;
}

/** Told of every subscription added to and removed from an engine (the cluster's interest, cluster/local-interest.ts). */
export interface TopicEngineObserver<T> {
  added(pattern: SubscriptionPattern, value: T): void;
  removed(pattern: SubscriptionPattern, value: T): void;
}

export interface TopicEngineCounters extends RegexCounters {
  /** Routes evicted because the cached routes' estimated bytes passed maxCachedBytes. */
  routesEvictedForBytes: number;
  /** Estimated heap bytes the cached routes hold now (a gauge the engine keeps current). */
  routeCacheBytes: number;
}

/**
 * Estimated heap bytes of one cached route beside its topic and entries: the route, its Map and
 * ring slots, its empty lists and the broker's delivery plan. Measured on the broker's heap after
 * a full GC: 250 to 330 bytes per cached topic with no subscribers (bench/RESULTS.md).
 */
export const ROUTE_BASE_BYTES = 384;
/**
 * Estimated heap bytes per subscription a cached route holds: its slots in the route's two lists
 * and the plan's, its back-reference (evicted ones linger until swept) and the lists' spare
 * capacity. Measured: 58 bytes.
 */
export const ROUTE_ENTRY_BYTES = 64;

/** The estimate a route is counted at: a topic may be a two-byte string, so 2 bytes per character. */
export function estimatedRouteBytes(topic: string, entries: number): number {
  return ROUTE_BASE_BYTES + 2 * topic.length + ROUTE_ENTRY_BYTES * entries;
}

export const DEFAULT_ROUTE_CACHE_SIZE = 100_000;
/**
 * A route catching up with more new wildcard subscriptions than this walks the trie (cost: the
 * topic's levels) instead of testing each new filter (cost: the number added).
 */
const WILDCARD_CATCH_UP_SCAN_LIMIT = 32;
export const DEFAULT_ROUTE_CACHE_MAX_BYTES = 64 * 1024 * 1024;

export class TopicEngine<T, P = unknown> {
  private readonly routes: Map<string, CachedRoute<T, P>>;
  /** Cached routes oldest first; routes leave the cache only by eviction, so it mirrors `routes`. */
  private readonly insertionOrder: FifoRing<CachedRoute<T, P>>;
  private readonly exact: Map<string, SubscriptionHandle<T>[]>;
  private readonly wildcards: WildcardTrie<SubscriptionHandle<T>>;
  /** Active wildcard subscriptions in the order they were added, for routes catching up. */
  private readonly wildcardLog: EpochLog<T>;
  private readonly regexes: RegexIndex<T>;
  /** Bumped by each wildcard or regex add; a route at this epoch has every such answer. */
  private epoch: number;
  /** Handles picked up by a route's catch-up or miss; reused, so neither allocates a list of its own. */
  private readonly scratch: SubscriptionHandle<T>[];
  /** The last list given to a route, for the next route with the same subscriptions. */
  private readonly lists: SharedLists<T>;
  /** Routes queued by one removeAll(), each once (CachedRoute.removalStamp); reused. */
  private readonly toCompact: CachedRoute<T, P>[];
  private removalStamp: number;
  private subscriptions: number;
  private readonly maxCachedBytes: number;
  /** Estimated bytes the cached routes hold (sum of estimatedRouteBytes over them). */
  private cachedBytes: number;
  private readonly counters: TopicEngineCounters;

  constructor(options: TopicEngineOptions = {}) {
    const routeCacheSize = options.routeCacheSize ?? DEFAULT_ROUTE_CACHE_SIZE;
    if (!Number.isSafeInteger(routeCacheSize) || routeCacheSize < 1) {
      throw new RangeError(`routeCacheSize must be a positive integer, got ${routeCacheSize}`);
    }
    const maxCachedBytes = options.maxCachedBytes ?? DEFAULT_ROUTE_CACHE_MAX_BYTES;
    if (!Number.isSafeInteger(maxCachedBytes) || maxCachedBytes < 1) {
      throw new RangeError(`maxCachedBytes must be a positive integer, got ${maxCachedBytes}`);
    }
    this.maxCachedBytes = maxCachedBytes;
    this.cachedBytes = 0;
    this.counters = options.counters ?? { regexEvaluations: 0, routesEvictedForBytes: 0, routeCacheBytes: 0 };
    this.routes = new Map();
    this.insertionOrder = new FifoRing(routeCacheSize);
    this.exact = new Map();
    this.wildcards = new WildcardTrie();
    this.wildcardLog = new EpochLog();
    this.regexes = new RegexIndex(this.counters);
    this.epoch = 0;
    this.scratch = [];
    this.lists = new SharedLists();
    this.toCompact = [];
    this.removalStamp = 0;
    this.subscriptions = 0;
  }

  get subscriptionCount(): number {
    return this.subscriptions;
  }

  get cachedRouteCount(): number {
    return this.routes.size;
  }

  /** Estimated bytes the cached routes hold (at most maxCachedBytes after every call). */
  get cachedByteCount(): number {
    return this.cachedBytes;
  }

  /** The publish hot path: one Map lookup and one number comparison on a hit. */
  route(topic: string): Route<T, P> {
    const cached = this.routes.get(topic);
    if (cached !== undefined) {
      if (cached.epoch !== this.epoch) this.catchUp(cached);
      return cached;
    }
    return this.cacheNewRoute(topic);
  }

  /** Told of each subscription's add and removal; null (the default) costs one comparison per subscribe. */
  observer: TopicEngineObserver<T> | null = null;

  add(pattern: SubscriptionPattern, value: T): SubscriptionHandle<T> {
    const handle = new SubscriptionHandle(pattern, value);
    this.observer?.added(pattern, value);
    switch (pattern.kind) {
      case 'exact': {
        const list = this.exact.get(pattern.topic);
        if (list === undefined) this.exact.set(pattern.topic, [handle]);
        else list.push(handle);
        const route = this.routes.get(pattern.topic);
        if (route !== undefined) {
          this.lists.assign(route, route.handles, [handle]);
          handle.routes.push(route);
          this.account(ROUTE_ENTRY_BYTES);
          this.trim();
        }
        break;
      }
      // Neither is tested against the cached routes now: each route catches up when next used
      // (route()), so a subscribe costs the same however many routes are cached.
      case 'wildcard':
        handle.epoch = ++this.epoch;
        this.wildcards.add(pattern.levels, handle);
        this.wildcardLog.push(handle);
        break;
      case 'regex':
        handle.epoch = ++this.epoch;
        this.regexes.add(handle, pattern.namespace ?? '', pattern.source, pattern.regex);
        break;
    }
    this.subscriptions++;
    return handle;
  }

  /** Idempotent. Touches only the cached routes the subscription is in. */
  remove(handle: SubscriptionHandle<T>): void {
    this.removeAll([handle]);
  }

  /**
   * Removes several subscriptions (a closing connection's) at once: each cached route they are in is
   * compacted once, not once per subscription, so the cost is bounded by the cached entries however
   * many of them share the same routes. Idempotent per handle.
   */
  removeAll(handles: Iterable<SubscriptionHandle<T>>): void {
    const queued = this.toCompact;
    const stamp = ++this.removalStamp;
    for (const handle of handles) {
      if (!handle.active) continue;
      handle.active = false;
      this.observer?.removed(handle.pattern, handle.value);
      this.unindex(handle);
      const routes = handle.routes;
      for (let i = 0; i < routes.length; i++) {
        const route = routes[i];
        if (route.evicted || route.removalStamp === stamp) continue;
        route.removalStamp = stamp;
        queued.push(route as CachedRoute<T, P>);
      }
      routes.length = 0;
      handle.evictedRoutes = 0;
      this.subscriptions--;
    }
    let dropped = 0;
    for (let i = 0; i < queued.length; i++) dropped += this.lists.compact(queued[i]);
    queued.length = 0; // hold no routes past the call
    this.lists.forget();
    if (dropped > 0) this.account(-ROUTE_ENTRY_BYTES * dropped);
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
    const found = this.scratch;
    found.length = 0;
    this.collectMatches(topic, found);
    const route = new CachedRoute<T, P>(topic, this.epoch);
    this.lists.assign(route, route.handles, found);
    found.length = 0; // hold no handles past the call
    const handles = route.handles;
    const bytes = estimatedRouteBytes(topic, handles.length);
    // Over the whole budget alone: serve this publish, keep nothing (no back-references either).
    if (bytes > this.maxCachedBytes) return route;
    const evicted = this.insertionOrder.pushEvicting(route);
    if (evicted !== undefined) this.evict(evicted);
    for (let i = 0; i < handles.length; i++) handles[i].routes.push(route);
    this.routes.set(topic, route);
    this.account(bytes);
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

  /** Takes a subscription out of the index that matches new topics. */
  private unindex(handle: SubscriptionHandle<T>): void {
    const pattern = handle.pattern;
    switch (pattern.kind) {
      case 'exact': {
        const list = this.exact.get(pattern.topic);
        if (list !== undefined && removeUnordered(list, handle) && list.length === 0) this.exact.delete(pattern.topic);
        break;
      }
      case 'wildcard':
        this.wildcards.remove(pattern.levels, handle);
        this.wildcardLog.remove(handle);
        break;
      case 'regex':
        this.regexes.remove(handle, pattern.namespace ?? '', pattern.source);
        break;
    }
  }

  /** Adds to a cached route the wildcard and regex subscriptions made since it was last complete. */
  private catchUp(route: CachedRoute<T, P>): void {
    const found = this.scratch;
    found.length = 0;
    if (this.wildcardLog.size > 0) this.collectWildcardsSince(route.epoch, route.topic, found);
    if (this.regexes.size > 0) this.regexes.collectSince(route.epoch, route.topic, found);
    route.epoch = this.epoch;
    if (found.length === 0) return;
    this.lists.assign(route, route.handles, found);
    for (let i = 0; i < found.length; i++) found[i].routes.push(route);
    this.account(ROUTE_ENTRY_BYTES * found.length);
    found.length = 0; // hold no handles past the call
    this.trim();
  }

  private collectWildcardsSince(since: number, topic: string, out: SubscriptionHandle<T>[]): void {
    const log = this.wildcardLog;
    const first = log.firstAfter(since);
    if (log.size - first > WILDCARD_CATCH_UP_SCAN_LIMIT) {
      // Many added since: one trie walk, keeping the matches newer than the route.
      const start = out.length;
      this.wildcards.collect(topic.split('/'), out);
      let kept = start;
      for (let i = start; i < out.length; i++) if (out[i].epoch > since) out[kept++] = out[i];
      out.length = kept;
      return;
    }
    for (let i = first; i < log.size; i++) {
      const handle = log.at(i);
      const pattern = handle.pattern;
      if (pattern.kind === 'wildcard' && wildcardMatches(pattern.levels, topic)) out.push(handle);
    }
  }

  /**
   * An evicted route is no longer maintained. Its handles' back-references to it go stale; a handle
   * sweeps them out once they are about as many as the live ones, so each eviction costs O(1) per
   * handle, amortized.
   */
  private evict(route: CachedRoute<T, P>): void {
    this.routes.delete(route.topic);
    route.evicted = true;
    const handles = route.handles;
    for (let i = 0; i < handles.length; i++) {
      const handle = handles[i];
      if (++handle.evictedRoutes >= handle.sweepAt) sweepEvicted(handle);
    }
    this.account(-estimatedRouteBytes(route.topic, handles.length));
  }

  private account(deltaBytes: number): void {
    this.cachedBytes += deltaBytes;
    this.counters.routeCacheBytes = this.cachedBytes;
  }

  /** Evict the oldest routes while the cached bytes are over budget. */
  private trim(): void {
    while (this.cachedBytes > this.maxCachedBytes) {
      const oldest = this.insertionOrder.shift();
      if (oldest === undefined) return;
      this.evict(oldest);
      this.counters.routesEvictedForBytes++;
    }
  }
}

function sweepEvicted<T>(handle: SubscriptionHandle<T>): void {
  const routes = handle.routes;
  let kept = 0;
  for (let i = 0; i < routes.length; i++) if (!routes[i].evicted) routes[kept++] = routes[i];
  routes.length = kept;
  handle.evictedRoutes = 0;
  // Jittered: subscriptions matching the same routes would otherwise all sweep at the same eviction
  // (200 `#` subscriptions x 10,000 back-references blocked the loop for about 50 ms).
  handle.sweepAt = 16 + Math.floor(kept * (0.5 + Math.random()));
}
