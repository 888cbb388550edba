// A bounded first-in-first-out queue. The route cache uses it to find its oldest route: V8's Map
// iterator walks over deleted slots, so `map.keys().next()` after many front deletions costs
// O(deletions) per call, which made every eviction scan the whole cache. Storage grows with use,
// not to the capacity up front.

export class FifoRing<T> {
  private readonly capacity: number;
  private items: (T | undefined)[];
  /** Index of the oldest item. */
  private head: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.items = [];
    this.head = 0;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Appends `item`; when full, first takes out the oldest item and returns it. */
  pushEvicting(item: T): T | undefined {
    const oldest = this.size === this.capacity ? this.shift() : undefined;
    this.items.push(item);
    return oldest;
  }

  /** Takes out the oldest item (undefined when empty). Amortized O(1). */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const oldest = this.items[this.head];
    this.items[this.head++] = undefined;
    // Drop the consumed front once it is half the array: each item is moved at most once more.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return oldest;
  }
}
