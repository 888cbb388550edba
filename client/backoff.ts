// Reconnect delays: full-jitter exponential backoff, so a fleet of clients dropped at the same
// moment (a broker restart) spreads its reconnects out instead of stampeding in lockstep.

export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** The upper bound of the delay before reconnect attempt `attempt` (0-based): min(max, initial * 2^attempt). */
export function backoffCeiling(attempt: number, options: BackoffOptions): number {
  // 2 ** attempt overflows to Infinity for huge attempts; Math.min absorbs that.
  return Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.max(0, attempt));
}

/**
 * Full-jitter delay for reconnect attempt `attempt` (0-based): uniform in [0, ceiling], whole ms.
 * `random` returns a value in [0, 1) like Math.random (injectable for tests).
 */
export function fullJitterDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = backoffCeiling(attempt, options);
  // +1 then floor gives whole milliseconds with the ceiling itself reachable; min guards a fractional ceiling.
  return Math.min(ceiling, Math.floor(random() * (ceiling + 1)));
}
