// The keys counted most, in bounded memory: Space-Saving (Metwally, Agrawal and El Abbadi, "Efficient
// Computation of Frequent and Top-k Elements in Data Streams", 2005). Up to `capacity` keys are
// counted exactly; past it, a new key takes the place of the least counted one and starts from its
// count plus one, so a count may be over by at most the smallest count kept, and a key counted more
// often than that is never lost.
export interface Counted {
  readonly key: string;
  readonly count: number;
}

export class TopCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  add(key: string): void {
    const count = this.counts.get(key);
    if (count !== undefined) {
      this.counts.set(key, count + 1);
      return;
    }
    if (this.counts.size < this.capacity) {
      this.counts.set(key, 1);
      return;
    }
    // O(capacity), but only for a key not already counted, once the table is full.
    let least = '';
    let leastCount = Number.POSITIVE_INFINITY;
    for (const [k, c] of this.counts) {
      if (c < leastCount) {
        least = k;
        leastCount = c;
      }
    }
    this.counts.delete(least);
    this.counts.set(key, leastCount + 1);
  }

  /** The `n` keys counted most, most first (ties by key). */
  top(n: number): Counted[] {
    return [...this.counts]
      .sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0))
      .slice(0, n)
      .map(([key, count]) => ({ key, count }));
  }
}
