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

export class CachedRoute<T, P = unknown> implements Route<T, P> {
  readonly topic: string;
  entries: readonly T[];
  plan: P | null;
  /** handles[i] contributed entries[i]; mutated in place since only the engine reads it. */
  readonly handles: SubscriptionHandle<T>[];
  /** The engine's epoch when this route last had every wildcard and regex subscription's answer. */
  epoch: number;
  /** Engine-owned: the removal pass that last queued this route for compaction. */
  removalStamp: number;
  /** Set when the engine evicts it: it is no longer maintained, and back-references to it are stale. */
  evicted: boolean;

  constructor(topic: string, handles: SubscriptionHandle<T>[], epoch: number) {
    this.topic = topic;
    this.handles = handles;
    this.epoch = epoch;
    this.removalStamp = 0;
    this.evicted = false;
    // Built by push, not new Array(n), so the array stays packed for fast iteration by delivery loops.
    const entries: T[] = [];
    for (let i = 0; i < handles.length; i++) entries.push(handles[i].value);
    this.entries = entries;
    this.plan = null;
  }

  append(handle: SubscriptionHandle<T>): void {
    this.handles.push(handle);
    const next = this.entries.slice();
    next.push(handle.value);
    this.entries = next;
    this.plan = null;
  }

  /** Appends several at once: one copy of `entries`, not one per handle. */
  appendAll(handles: readonly SubscriptionHandle<T>[]): void {
    const next = this.entries.slice();
    for (let i = 0; i < handles.length; i++) {
      this.handles.push(handles[i]);
      next.push(handles[i].value);
    }
    this.entries = next;
    this.plan = null;
  }

  /** Drops the entries of removed (inactive) subscriptions in one pass; returns how many went. */
  compact(): number {
    const handles = this.handles;
    const entries: T[] = [];
    let kept = 0;
    for (let i = 0; i < handles.length; i++) {
      const handle = handles[i];
      if (!handle.active) continue;
      handles[kept++] = handle;
      entries.push(handle.value);
    }
    const dropped = handles.length - kept;
    if (dropped === 0) return 0;
    handles.length = kept;
    this.entries = entries;
    this.plan = null;
    return dropped;
  }
}
