// What add() returns and remove() takes: one subscription's pattern and value, plus back-references
// to the cached routes it appears in so removal touches only those routes.
import type { CachedRoute } from './route.js';
import type { SubscriptionPattern } from './topic-validation.js';

export class SubscriptionHandle<T> {
  readonly pattern: SubscriptionPattern;
  readonly value: T;
  /**
   * Engine-owned: the cached routes whose entries include this subscription. Typed with an unknown
   * plan so a handle does not carry the engine's plan type (callers store `SubscriptionHandle<T>`).
   */
  readonly routes: Set<CachedRoute<T, unknown>>;
  /** False once removed, which makes removal idempotent. */
  active: boolean;
  /** Engine-owned: for a regex subscription, its place in the order regexes were added (RegexIndex). */
  epoch: number;

  constructor(pattern: SubscriptionPattern, value: T) {
    this.pattern = pattern;
    this.value = value;
    this.routes = new Set();
    this.active = true;
    this.epoch = 0;
  }
}
