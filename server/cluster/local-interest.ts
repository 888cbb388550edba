// This node's interest: every distinct subscription pattern its clients hold, counted, as the
// topic engine reports them (TopicEngineObserver). Only a pattern's first subscriber and its last
// unsubscriber change what the cluster sees; those changes are batched per turn of the event loop
// and published as one delta (interest-table.ts), so a storm of subscribes is one Redis round trip.
import type { SubscriptionEntry } from '../delivery/subscription-entry.js';
import type { SubscriptionPattern, TopicEngineObserver } from '../topics/index.js';
import { interestKeyOf, type InterestKey } from './interest-key.js';

export interface InterestDelta {
  readonly added: InterestKey[];
  readonly removed: InterestKey[];
}

export class LocalInterest implements TopicEngineObserver<SubscriptionEntry> {
  private readonly counts = new Map<InterestKey, number>();
  /** Key -> net change since the last take(): true added, false removed. */
  private pending = new Map<InterestKey, boolean>();
  private scheduled = false;

  /** `changed` runs once per turn in which the set of keys changed (not per subscription). */
  constructor(private readonly changed: () => void) {}

  get size(): number {
    return this.counts.size;
  }

  has(key: InterestKey): boolean {
    return this.counts.has(key);
  }

  keys(): InterestKey[] {
    return [...this.counts.keys()];
  }

  added(pattern: SubscriptionPattern, value: SubscriptionEntry): void {
    const key = interestKeyOf(pattern, value.shareGroup);
    const count = this.counts.get(key) ?? 0;
    this.counts.set(key, count + 1);
    if (count === 0) this.mark(key, true);
  }

  removed(pattern: SubscriptionPattern, value: SubscriptionEntry): void {
    const key = interestKeyOf(pattern, value.shareGroup);
    const count = this.counts.get(key);
    if (count === undefined) return;
    if (count > 1) return void this.counts.set(key, count - 1);
    this.counts.delete(key);
    this.mark(key, false);
  }

  /** The net changes since the last call. */
  take(): InterestDelta {
    const added: InterestKey[] = [];
    const removed: InterestKey[] = [];
    for (const [key, isAdded] of this.pending) (isAdded ? added : removed).push(key);
    this.pending = new Map();
    return { added, removed };
  }

  /** Forget the pending changes: a full announcement (all of keys()) replaces them. */
  clearPending(): void {
    this.pending = new Map();
  }

  private mark(key: InterestKey, isAdded: boolean): void {
    const before = this.pending.get(key);
    // Added and removed within one batch: the cluster never needs to hear of it.
    if (before !== undefined && before !== isAdded) this.pending.delete(key);
    else this.pending.set(key, isAdded);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.pending.size > 0) this.changed();
    });
  }
}
