// A fixed-capacity first-in-first-out ring. The route cache uses it to find its oldest route:
// V8's Map iterator walks over deleted slots, so `map.keys().next()` after many front deletions
// costs O(deletions) per call, which made every eviction scan the whole cache.

export class FifoRing<T> {
  private readonly capacity: number;
  private readonly items: T[];
  /** Index of the oldest item once the ring is full. */
  private head: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.items = [];
    this.head = 0;
  }

  get size(): number {
    return this.items.length;
  }

  /** Appends `item`; when full, replaces the oldest item and returns it. */
  pushEvicting(item: T): T | undefined {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return undefined;
    }
    const oldest = this.items[this.head];
    this.items[this.head] = item;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    return oldest;
  }
}
