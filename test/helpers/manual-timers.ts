// Broker time for tests (StartBrokerOptions.timers): a clock that stands still and timers that
// never fire on their own. advance() moves the clock and runs the timers that fall due, at once
// and in order, each with the clock at its due time; so a test checks that a timer fires at its
// interval, and not a millisecond before, without waiting it out.
import type { TimerHandle, Timers } from '../../server/timers.js';

/** Node runs a timer with a delay outside 1..TIMEOUT_MAX after 1 ms; so does this. */
const TIMEOUT_MAX = 2 ** 31 - 1;

class ManualTimer {
  constructor(
    readonly due: number,
    /** Order of arming: timers due at the same time run in it. */
    readonly order: number,
    /** The delay it was armed with. */
    readonly ms: number,
    readonly fn: () => void,
  ) {}
}

export class ManualTimers implements Timers {
  private time = 1_700_000_000_000;
  private armedCount = 0;
  private readonly pending = new Set<ManualTimer>();
  private readonly waiters: { ms: number; resolve: () => void }[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = ms >= 1 && ms <= TIMEOUT_MAX ? ms : 1;
    const timer = new ManualTimer(this.time + delay, this.armedCount++, ms, fn);
    this.pending.add(timer);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (waiter.ms !== ms) continue;
      this.waiters.splice(i, 1);
      waiter.resolve();
    }
    return timer as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle as unknown as ManualTimer);
  }

  /**
   * Move the clock `ms` forward, running every timer due by then (those armed meanwhile too), in
   * due order, with the clock at each one's due time. What a timer throws is thrown from here.
   */
  advance(ms: number): void {
    const until = this.time + ms;
    for (let next = this.nextDue(until); next !== null; next = this.nextDue(until)) {
      this.pending.delete(next);
      this.time = next.due;
      next.fn();
    }
    this.time = until;
  }

  /** Timers armed and not yet run or cleared; with `ms`, those armed with that delay only. */
  pendingCount(ms?: number): number {
    let n = 0;
    for (const timer of this.pending) if (ms === undefined || timer.ms === ms) n++;
    return n;
  }

  /** Resolves once a timer armed with a delay of `ms` is pending: at once if one is, else when one is armed. */
  armed(ms: number): Promise<void> {
    if (this.pendingCount(ms) > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ ms, resolve }));
  }

  private nextDue(until: number): ManualTimer | null {
    let next: ManualTimer | null = null;
    for (const timer of this.pending) {
      if (timer.due > until) continue;
      if (next === null || timer.due < next.due || (timer.due === next.due && timer.order < next.order)) next = timer;
    }
    return next;
  }
}
