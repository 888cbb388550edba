// Entitlement answers an `http` module gave again while its service failed (serveStaleMs): the
// broker caches them like any answer, so the module has them forgotten (context.invalidate) when
// their serveStaleMs after the service gave them runs out, or as soon as the service answers
// again, whichever comes first. A stale answer thus never outlives the promise of serveStaleMs.
import type { TimerHandle, Timers } from '../../timers.js';
import type { InvalidationTarget } from '../module-types.js';

class Copy {
  constructor(
    readonly target: InvalidationTarget,
    readonly timer: TimerHandle,
  ) {}
}

export class StaleCopies {
  private readonly copies = new Map<string, Copy>();

  constructor(
    /** At most this many copies are followed; add() refuses more. */
    private readonly maxEntries: number,
    private readonly timers: Timers,
    private readonly invalidate: (target: InvalidationTarget) => void,
  ) {}

  get size(): number {
    return this.copies.size;
  }

  /**
   * The answer for `key` (the request `target`) is given again, good until `until` (clock ms).
   * False when maxEntries copies are followed already: then it must not be given.
   */
  add(key: string, target: InvalidationTarget, until: number): boolean {
    const old = this.copies.get(key);
    if (old !== undefined) this.timers.clearTimeout(old.timer);
    else if (this.copies.size >= this.maxEntries) return false;
    const timer = this.timers.setTimeout(() => this.expire(key), Math.max(0, until - this.timers.now()));
    this.copies.set(key, new Copy(target, timer));
    return true;
  }

  private expire(key: string): void {
    const copy = this.copies.get(key);
    if (copy === undefined) return;
    this.copies.delete(key);
    this.invalidate(copy.target);
  }

  /** The service answers again: every copy is forgotten. */
  flush(): void {
    if (this.copies.size === 0) return;
    const copies = [...this.copies.values()];
    this.copies.clear();
    for (const copy of copies) {
      this.timers.clearTimeout(copy.timer);
      this.invalidate(copy.target);
    }
  }

  /** The module closes: nothing more is forgotten. */
  close(): void {
    for (const copy of this.copies.values()) this.timers.clearTimeout(copy.timer);
    this.copies.clear();
  }
}
