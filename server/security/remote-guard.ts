// What stands between a module and the remote service it asks (the `http` modules, a `jwt`
// module's JWKS): a circuit breaker (circuit-breaker.ts) and the answers the service gave, to be
// given again while it fails (stale-answers.ts). Both write to the audit log and report their
// state through the module's health() (the metrics, GET /admin/entitlements). Used at logons and
// entitlement-cache misses, never per message. docs/entitlement.md#circuit-breaker-and-stale-answers.
import { z } from 'zod';
import { integerField } from '../config/fields.js';
import type { Clock } from '../timers.js';
import { CircuitBreaker, type CircuitOptions } from './circuit-breaker.js';
import type { ModuleContext, ModuleHealth } from './module-types.js';
import { StaleAnswers, type StaleAnswer } from './stale-answers.js';

export const DEFAULT_CIRCUIT: CircuitOptions = Object.freeze({ failures: 5, probeIntervalMs: 5000 });
/** serveStaleMs is at most a day. */
export const MAX_SERVE_STALE_MS = 86_400_000;
/** At most one `stale-answer` audit line per module in this long. */
export const STALE_AUDIT_WINDOW_MS = 60_000;

const CIRCUIT_FORM = 'expected false (no circuit breaker), true (the defaults) or { failures, probeIntervalMs }';

/** `circuit`: false, true, or { failures, probeIntervalMs } (each optional); output: the options, or null for none. Absent: see remoteOptionFields. */
export function circuitField() {
  return z.preprocess(
    (value) => (value === false || value === 'false' ? null : value === true || value === 'true' ? {} : value),
    z
      .strictObject(
        {
          failures: integerField(1, 1000).default(DEFAULT_CIRCUIT.failures),
          probeIntervalMs: integerField(100, 3_600_000).default(DEFAULT_CIRCUIT.probeIntervalMs),
        },
        { error: CIRCUIT_FORM },
      )
      .nullable(),
  );
}

/** The option keys every remote module takes (spread into its schema). */
export const remoteOptionFields = {
  circuit: circuitField().prefault({}),
  /** 0: never give an answer again. */
  serveStaleMs: integerField(0, MAX_SERVE_STALE_MS).default(0),
  staleMaxEntries: integerField(1, 1_000_000).default(10_000),
  staleMaxBytes: integerField(1024, 1024 ** 3).default(8 * 1024 ** 2),
};

export interface RemoteOptions {
  readonly circuit: CircuitOptions | null;
  readonly serveStaleMs: number;
  readonly staleMaxEntries: number;
  readonly staleMaxBytes: number;
}

/**
 * Asking the service once. `broken`: no answer (a network error, a timeout), or an answer that
 * says the service is broken (5xx, 408, 429); it counts towards opening the circuit, and an answer
 * remembered for the request may be given instead. Otherwise the service works, even if this
 * answer is no use (a 404, a malformed body): the request fails, nothing is given instead.
 */
export type ServiceReply<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly broken: boolean; readonly reason: string };

export type GuardedReply<T> =
  /** The service's answer now (`stale` null), or one it gave before, while it fails. */
  | { readonly ok: true; readonly value: T; readonly stale: StaleAnswer<T> | null }
  /** No answer: `refused` when the open circuit refused it without asking the service. */
  | { readonly ok: false; readonly reason: string; readonly refused: boolean };

/** Which module and service, for the audit lines and logs (`service`: an origin, never a path or query). */
export interface RemoteIdentity {
  readonly module: string;
  readonly service: string;
}

export class RemoteGuard<T> {
  readonly breaker: CircuitBreaker;
  readonly answers: StaleAnswers<T>;
  /** Stale answers given since the last `stale-answer` audit line, and when that line was written. */
  private staleUnwritten = 0;
  private staleWrittenAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly who: RemoteIdentity,
    options: RemoteOptions,
    /** What an answer holds, in bytes (counted against staleMaxBytes). */
    sizeOf: (answer: T) => number,
    /** Which answers may be given again (the `http` authentication module: acceptances only). */
    private readonly keep: (answer: T) => boolean,
    private readonly context: Pick<ModuleContext, 'log' | 'audit' | 'configPath'>,
    private readonly clock: Clock,
  ) {
    this.answers = new StaleAnswers<T>(
      { maxAgeMs: options.serveStaleMs, maxEntries: options.staleMaxEntries, maxBytes: options.staleMaxBytes },
      sizeOf,
      clock,
    );
    this.breaker = new CircuitBreaker(options.circuit, clock, {
      opened: (failures, reason) => {
        this.context.log.warn(
          { service: who.service, failures, reason },
          `${who.module} module: circuit open, requests fail at once until the service answers a probe`,
        );
        this.context.audit('circuit', { ...this.fields(), state: 'open', failures, reason });
      },
      closed: (openMs, refused, failures) => {
        const reason = 'the service answered';
        this.context.log.info(
          { service: who.service, openMs, refused, failures },
          `${who.module} module: circuit closed, ${reason}`,
        );
        this.context.audit('circuit', { ...this.fields(), state: 'closed', failures, reason, openMs, refused });
      },
    });
  }

  /** The key of a request (an HMAC of its parts: credentials are never kept). */
  key(parts: readonly (string | null)[]): string {
    return this.answers.key(parts);
  }

  /**
   * Ask the service through the circuit; when it fails, or the circuit refuses, the answer it gave
   * for `key` within serveStaleMs (null: nothing may be given instead). `call` never throws.
   */
  async ask(key: string | null, call: () => Promise<ServiceReply<T>>): Promise<GuardedReply<T>> {
    const admission = this.breaker.admit();
    if (admission === null) {
      const reason = `circuit open (last failure: ${this.breaker.lastFailure})`;
      return this.instead(key, reason, true);
    }
    let reply: ServiceReply<T>;
    try {
      reply = await call();
    } catch (err) {
      reply = { ok: false, broken: true, reason: err instanceof Error ? err.message : String(err) };
    }
    if (reply.ok || !reply.broken) this.breaker.succeeded();
    if (reply.ok) {
      if (key !== null && this.answers.enabled && this.keep(reply.value)) this.answers.remember(key, reply.value);
      return { ok: true, value: reply.value, stale: null };
    }
    if (!reply.broken) return { ok: false, reason: reply.reason, refused: false };
    this.breaker.failed(admission, reply.reason);
    return this.instead(key, reply.reason, false);
  }

  /** The remembered answer for `key`, or the failure. */
  private instead(key: string | null, reason: string, refused: boolean): GuardedReply<T> {
    const stale = key === null ? undefined : this.answers.recall(key);
    if (stale === undefined) return { ok: false, reason, refused };
    this.staleUnwritten++;
    const now = this.clock();
    if (now - this.staleWrittenAt >= STALE_AUDIT_WINDOW_MS) {
      this.context.audit('stale-answer', {
        ...this.fields(),
        served: this.staleUnwritten,
        windowMs: STALE_AUDIT_WINDOW_MS,
        reason,
      });
      this.staleUnwritten = 0;
      this.staleWrittenAt = now;
    }
    return { ok: true, value: stale.answer, stale };
  }

  private fields() {
    return { module: this.who.module, config: this.context.configPath, service: this.who.service };
  }

  health(): ModuleHealth {
    return {
      circuit: this.breaker.state,
      consecutiveFailures: this.breaker.consecutiveFailures,
      circuitOpens: this.breaker.opens,
      circuitRefusals: this.breaker.refusals,
      staleAnswers: this.answers.served,
      staleEntries: this.answers.size,
      staleBytes: this.answers.bytes,
    };
  }
}

/** Is an HTTP status the service saying it is broken (rather than answering this request)? */
export function brokenStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
