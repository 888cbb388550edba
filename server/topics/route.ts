// A topic's cached routing result: the matching subscriptions' values plus a slot for the broker's
// derived delivery plan. The engine keeps cached routes current as subscriptions come and go (a new
// wildcard or regex subscription reaches a cached route when the route is next looked up).
import type { SubscriptionHandle } from './subscription-handle.js';

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
