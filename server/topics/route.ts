// A topic's cached routing result: the matching subscriptions' values plus a slot for the broker's
// derived delivery plan. The engine keeps cached routes current as subscriptions come and go (a new
// wildcard or regex subscription reaches a cached route when the route is next looked up).
// A cached route lists the subscription handles its entries came from, and each handle the cached
// routes it is in, so both classes live here.
import type { SubscriptionPattern } from './topic-validation.js';

export interface Route<T, P = unknown> {
  readonly topic: string;
  /** Replaced, never mutated, when subscriptions change: a delivery loop may be iterating it. */
  entries: readonly T[];
  /** Derived from `entries` by the broker; reset to null whenever `entries` changes. */
  plan: P | null;
}

/** The list of a route no subscription matches, shared by all of them. */
export const NO_SUBSCRIPTIONS: readonly never[] = Object.freeze([]);

export class CachedRoute<T, P = unknown> implements Route<T, P> {
  readonly topic: string;
  entries: readonly T[];
  plan: P | null;
  /**
   * handles[i] contributed entries[i]. Both are replaced together, never mutated: routes whose
   * topics match the same subscriptions may share them (SharedLists).
   */
  handles: readonly SubscriptionHandle<T>[];
  /** The engine's epoch when this route last had every wildcard and regex subscription's answer. */
  epoch: number;
  /** Engine-owned: the removal pass that last queued this route for compaction. */
  removalStamp: number;
  /** Set when the engine evicts it: it is no longer maintained, and back-references to it are stale. */
  evicted: boolean;

  /** Starts with no subscriptions; the engine gives it its list (setList). */
  constructor(topic: string, epoch: number) {
    this.topic = topic;
    this.handles = NO_SUBSCRIPTIONS;
    this.entries = NO_SUBSCRIPTIONS;
    this.epoch = epoch;
    this.removalStamp = 0;
    this.evicted = false;
    this.plan = null;
  }

  /** Replaces the route's subscriptions; `entries[i]` must be `handles[i].value`. */
  setList(handles: readonly SubscriptionHandle<T>[], entries: readonly T[]): void {
    this.handles = handles;
    this.entries = entries;
    this.plan = null;
  }
}

/**
 * What add() returns and remove() takes: one subscription's pattern and value, plus back-references
 * to the cached routes it appears in so removal touches only those routes. The back-references are
 * an array, not a Set: a Set insert and delete per route and subscription was most of the cost of
 * caching a topic that 200 wildcards match. Evicted routes are left in it and swept out in bulk.
 */
export class SubscriptionHandle<T> {
  readonly pattern: SubscriptionPattern;
  readonly value: T;
  /**
   * Engine-owned: the routes whose entries include this subscription, cached or since evicted
   * (`CachedRoute.evicted`). Typed with an unknown plan so a handle does not carry the engine's
   * plan type (callers store `SubscriptionHandle<T>`).
   */
  readonly routes: CachedRoute<T, unknown>[];
  /** Engine-owned: how many of `routes` have been evicted since it was last swept. */
  evictedRoutes: number;
  /** Engine-owned: the count of evicted routes at which `routes` is next swept. */
  sweepAt: number;
  /** False once removed, which makes removal idempotent. */
  active: boolean;
  /** Engine-owned: for a wildcard or regex subscription, the engine epoch of its add (EpochLog). */
  epoch: number;

  constructor(pattern: SubscriptionPattern, value: T) {
    this.pattern = pattern;
    this.value = value;
    this.routes = [];
    this.evictedRoutes = 0;
    this.sweepAt = 16;
    this.active = true;
    this.epoch = 0;
  }
}
