// A timer for a moment that may be further off than Node's timers reach: they hold at most
// 2^31 - 1 ms (24.8 days) and run a longer delay after 1 ms. A session's expiry and a will's delay
// may be longer (mqtt.sessions.maxExpirySec goes to 136 years), so the wait is made of steps.
import type { TimerHandle, Timers } from './timers.js';

/** The longest delay one of Node's timers holds. */
export const MAX_TIMER_MS = 2_147_483_647;

export class Deadline {
  private handle: TimerHandle;
  /** The step armed last fell short of the deadline: its end arms the next step. */
  private partial = false;

  constructor(
    private readonly timers: Timers,
    /** Epoch ms, as timers.now() reads. */
    readonly at: number,
    private readonly fire: () => void,
  ) {
    this.handle = this.arm();
  }

  clear(): void {
    this.timers.clearTimeout(this.handle);
  }

  private arm(): TimerHandle {
    const left = this.at - this.timers.now();
    this.partial = left > MAX_TIMER_MS;
    return this.timers.setTimeout(this.stepEnded, this.partial ? MAX_TIMER_MS : left > 0 ? left : 0);
  }

  private readonly stepEnded = (): void => {
    if (this.partial && this.at > this.timers.now()) this.handle = this.arm();
    else this.fire();
  };
}
