// A topic's cached routing result: the matching subscriptions' values plus a slot for the broker's
// derived delivery plan. The engine keeps cached routes current as subscriptions come and go (a new
// regex subscription reaches a cached route when the route is next looked up).
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
  /** The regex index's epoch when this route last had every regex's answer (RegexIndex). */
  regexEpoch: number;

  constructor(topic: string, handles: SubscriptionHandle<T>[], regexEpoch: number) {
    this.topic = topic;
    this.handles = handles;
    this.regexEpoch = regexEpoch;
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

  /** Drops the entry `handle` contributed; false (and nothing done) if it contributed none. */
  drop(handle: SubscriptionHandle<T>): boolean {
    const index = this.handles.indexOf(handle);
    if (index === -1) return false;
    this.handles.splice(index, 1);
    const previous = this.entries;
    const next: T[] = [];
    for (let i = 0; i < previous.length; i++) if (i !== index) next.push(previous[i]);
    this.entries = next;
    this.plan = null;
    return true;
  }
}
