// Gives routes whose topics match the same subscriptions one list to share. Publishing to many new
// topics that the same wildcards match (every `m/...` matched by 200 subscriptions to `#`) built
// and soon evicted a 200-entry list per topic, about 13 KB with its delivery plan, which V8
// promoted and collected late: RSS grew by 500 MB for a 140 MB live heap. The last list built is
// remembered; a route given the same subscriptions in the same order gets that list, and the
// broker's plan cache (DeliveryPlan) shares what it derives from the same list.
import { NO_SUBSCRIPTIONS as EMPTY, type CachedRoute, type SubscriptionHandle } from './route.js';

/** What compact() last made of a list, for the other routes sharing it. */
interface Compacted<T> {
  readonly from: readonly SubscriptionHandle<T>[];
  readonly handles: readonly SubscriptionHandle<T>[];
  readonly entries: readonly T[];
  readonly dropped: number;
}

export class SharedLists<T> {
  private handles: readonly SubscriptionHandle<T>[] = EMPTY;
  private entries: readonly T[] = EMPTY;
  private compacted: Compacted<T> | null = null;

  /** Gives `route` the list `base` followed by `added`: the remembered one when equal, else a new one. */
  assign(
    route: CachedRoute<T, unknown>,
    base: readonly SubscriptionHandle<T>[],
    added: readonly SubscriptionHandle<T>[],
  ): void {
    const length = base.length + added.length;
    if (length === 0) return route.setList(EMPTY, EMPTY);
    if (!this.remembers(base, added, length)) {
      const handles: SubscriptionHandle<T>[] = [];
      const entries: T[] = [];
      for (let i = 0; i < base.length; i++) {
        handles.push(base[i]);
        entries.push(base[i].value);
      }
      for (let i = 0; i < added.length; i++) {
        handles.push(added[i]);
        entries.push(added[i].value);
      }
      this.handles = handles;
      this.entries = entries;
    }
    route.setList(this.handles, this.entries);
  }

  /**
   * Drops the removed (inactive) subscriptions from `route`'s list; returns how many went. Routes
   * that shared a list before get one compacted list to share after it.
   */
  compact(route: CachedRoute<T, unknown>): number {
    const from = route.handles;
    let compacted = this.compacted;
    if (compacted === null || compacted.from !== from) {
      const handles: SubscriptionHandle<T>[] = [];
      const entries: T[] = [];
      for (let i = 0; i < from.length; i++) {
        const handle = from[i];
        if (!handle.active) continue;
        handles.push(handle);
        entries.push(handle.value);
      }
      const empty = handles.length === 0;
      compacted = {
        from,
        handles: empty ? EMPTY : handles,
        entries: empty ? EMPTY : entries,
        dropped: from.length - handles.length,
      };
      this.compacted = compacted;
    }
    if (compacted.dropped > 0) route.setList(compacted.handles, compacted.entries);
    return compacted.dropped;
  }

  /** Drops every remembered list (after removals), so none keeps a removed subscription alive. */
  forget(): void {
    this.handles = EMPTY;
    this.entries = EMPTY;
    this.compacted = null;
  }

  private remembers(
    base: readonly SubscriptionHandle<T>[],
    added: readonly SubscriptionHandle<T>[],
    length: number,
  ): boolean {
    const memo = this.handles;
    if (memo.length !== length) return false;
    for (let i = 0; i < base.length; i++) if (memo[i] !== base[i]) return false;
    const offset = base.length;
    for (let i = 0; i < added.length; i++) if (memo[offset + i] !== added[i]) return false;
    return true;
  }
}
