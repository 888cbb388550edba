// A coarse clock for copies of entitlement answers kept outside the entitlement cache (delivery
// plans, per-connection write decisions): they store the epoch they were resolved in and ask the
// cache again once it differs. The epoch moves when cached answers are dropped (reset, disable,
// enable) and, with entitlementCache.ttlMs > 0, every half TTL, so an answer that expired in the
// cache is asked again at its next use, at most half a TTL late, without a clock read per message.
/** Ticks no faster than this, whatever the TTL: a tiny TTL must not become a busy timer. */
export const MIN_EPOCH_TICK_MS = 50;

export class EntitlementEpoch {
  /** Compared by the delivery path; only ever increases. */
  value = 0;
  private timer: NodeJS.Timeout | null = null;

  bump(): void {
    this.value++;
  }

  /** Start ticking for answers that expire after `ttlMs` (0: they never expire, no timer). */
  start(ttlMs: number): void {
    if (ttlMs <= 0 || this.timer !== null) return;
    this.timer = setInterval(() => this.value++, Math.max(MIN_EPOCH_TICK_MS, Math.floor(ttlMs / 2)));
    // A clock alone must not keep the process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
