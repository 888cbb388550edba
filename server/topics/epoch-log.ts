// Subscriptions in the order they were added, each stamped with the engine's epoch at its add. A
// cached route remembers the epoch it is complete to, so it can catch up with what was added since
// when it is next used, instead of every new subscription being tested against every cached route.
import type { SubscriptionHandle } from './route.js';

export class EpochLog<T> {
  /** Active subscriptions, ascending `epoch`. */
  private readonly items: SubscriptionHandle<T>[];

  constructor() {
    this.items = [];
  }

  get size(): number {
    return this.items.length;
  }

  /** `handle.epoch` must be above every epoch already logged. */
  push(handle: SubscriptionHandle<T>): void {
    this.items.push(handle);
  }

  remove(handle: SubscriptionHandle<T>): void {
    const index = this.firstAfter(handle.epoch - 1);
    if (index < this.items.length && this.items[index] === handle) this.items.splice(index, 1);
  }

  /** Index of the first subscription added after `epoch` (epochs ascend). */
  firstAfter(epoch: number): number {
    const items = this.items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid].epoch <= epoch) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  at(index: number): SubscriptionHandle<T> {
    return this.items[index];
  }
}
