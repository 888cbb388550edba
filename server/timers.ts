// The time the broker's protocol timers run on: MQTT session expiry, v5 delayed wills, the v5
// Message Expiry Interval, and the logon timeouts (native logon, MQTT CONNECT, a WebSocket
// upgrade). The broker runs on realTimers; tests pass a hand-moved implementation
// (test/helpers/manual-timers.ts), so an interval is checked by moving time, not by waiting it out.

/**
 * The time source of the rate limits and the logon back-off: milliseconds, as Date.now gives them.
 * Tests pass a frozen clock so that counting, not timing, decides what they check.
 */
export type Clock = () => number;

declare const timerHandle: unique symbol;

/** A timer armed by Timers.setTimeout: good only for handing back to clearTimeout. */
export interface TimerHandle {
  readonly [timerHandle]: never;
}

export interface Timers {
  /** Milliseconds since the epoch, as Date.now gives them. */
  now(): number;
  /** Run `fn` once, `ms` milliseconds from now. The timer does not keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Stop a timer that has not run yet (one that has: nothing happens). */
  clearTimeout(handle: TimerHandle): void;
}

/** Date.now and Node's timers, unref'd. */
export const realTimers: Timers = {
  now: Date.now,
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer as unknown as TimerHandle;
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};
