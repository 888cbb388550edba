// A circuit breaker in front of a remote service (the `http` modules, a `jwt` module's JWKS):
// after `failures` consecutive failures the circuit opens and calls are refused at once, without
// waiting for a timeout. Once `probeIntervalMs` has passed, the next call goes out as the probe
// (half-open; one at a time, the others still refused): if the service answers, the circuit
// closes; if not, it stays open for another interval. What counts as a failure is the caller's
// decision (remote-guard.ts): no answer, or an answer that says the service is broken.
import type { Clock } from '../timers.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  readonly failures: number;
  /** How long the circuit stays open before a call goes out as a probe; again after a failed probe. */
  readonly probeIntervalMs: number;
}

/** Told of the circuit's changes (the audit log). */
export interface CircuitEvents {
  /** The circuit opened after `failures` consecutive failures, the last one for `reason`. */
  opened(failures: number, reason: string): void;
  /**
   * The service answered again, `openMs` after the circuit opened, with `refused` calls refused
   * meanwhile and `failures` in a row before this answer (the failed probes among them).
   */
  closed(openMs: number, refused: number, failures: number): void;
}

/** How admit() let a call through: an ordinary call, or the one probe of an open circuit. */
export type Admission = 'call' | 'probe';

export class CircuitBreaker {
  private current: CircuitState = 'closed';
  /** Failures since the last answer. */
  consecutiveFailures = 0;
  /** Times the circuit opened (from closed). */
  opens = 0;
  /** Calls refused at once because the circuit was open (or half-open with its probe out). */
  refusals = 0;
  /** Why the last failure failed (for the refusals' messages). */
  lastFailure = '';
  /** When the circuit opened, and when the last probe failed (the next probe waits from then). */
  private openedAt = 0;
  private retryFrom = 0;
  private refusedSinceOpen = 0;

  constructor(
    /** null: no circuit; every call goes out, failures are only counted. */
    private readonly options: CircuitOptions | null,
    private readonly clock: Clock,
    private readonly events: CircuitEvents,
  ) {}

  get state(): CircuitState {
    return this.current;
  }

  /** May a call go out now: as an ordinary call, as the probe, or not at all (null: refuse it at once). */
  admit(): Admission | null {
    if (this.current === 'closed') return 'call';
    if (this.current === 'open' && this.clock() >= this.retryFrom) {
      this.current = 'half-open';
      return 'probe';
    }
    this.refusals++;
    this.refusedSinceOpen++;
    return null;
  }

  /** The service answered the call (whatever it answered): it works, so the circuit closes. */
  succeeded(): void {
    const failures = this.consecutiveFailures;
    this.consecutiveFailures = 0;
    if (this.current === 'closed') return;
    this.current = 'closed';
    this.events.closed(this.clock() - this.openedAt, this.refusedSinceOpen, failures);
  }

  /** The call failed (no answer, or a broken one) for `reason`. */
  failed(admission: Admission, reason: string): void {
    this.lastFailure = reason;
    this.consecutiveFailures++;
    if (this.current === 'half-open' && admission === 'probe') {
      this.current = 'open';
      this.retryFrom = this.clock() + this.options!.probeIntervalMs;
      return;
    }
    // Open already (a call that went out before it opened), or half-open with the probe still out.
    if (this.current !== 'closed' || this.options === null) return;
    if (this.consecutiveFailures < this.options.failures) return;
    this.current = 'open';
    this.opens++;
    this.openedAt = this.clock();
    this.retryFrom = this.openedAt + this.options.probeIntervalMs;
    this.refusedSinceOpen = 0;
    this.events.opened(this.consecutiveFailures, reason);
  }
}
