// What add() returns and remove() takes: one subscription's pattern and value, plus back-references
// to the cached routes it appears in so removal touches only those routes. The back-references are
// an array, not a Set: a Set insert and delete per route and subscription was most of the cost of
// caching a topic that 200 wildcards match. Evicted routes are left in it and swept out in bulk.
import type { CachedRoute } from './route.js';
import type { SubscriptionPattern } from './topic-validation.js';

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
