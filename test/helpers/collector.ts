// Collects items pushed by event handlers and lets a test await a condition on them, checked on
// every push (event-driven: no polling, no sleeps).
export class Collector<T> {
  readonly items: T[] = [];
  private waiters: { pred: (items: readonly T[]) => boolean; resolve: () => void }[] = [];

  push = (item: T): void => {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(this.items)) return true;
      w.resolve();
      return false;
    });
  };

  until(pred: (items: readonly T[]) => boolean): Promise<void> {
    if (pred(this.items)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  count(n: number): Promise<void> {
    return this.until((items) => items.length >= n);
  }
}
