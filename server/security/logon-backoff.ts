// Failed-logon back-off (against logon floods; EMQX's flapping detection and banning are the model): after
// `failures` refused logons within `windowMs` from one remote host, or for one user name, further
// logons from that host / for that name are refused without a credential check for `blockMs`,
// doubling with each block up to `maxBlockMs`. A key that stays quiet for `maxBlockMs` after its
// block starts again from `blockMs`. Each map keeps at most `maxTracked` keys, the least recently
// failed dropped first, so a flood of made-up user names holds bounded memory (at worst it makes
// the tracker forget an older name early).
import type { Clock } from '../timers.js';

export interface BackoffLimits {
  /** Refused logons within the window that start a block; 0 turns this tracker off. */
  readonly failures: number;
  readonly windowMs: number;
  readonly blockMs: number;
  readonly maxBlockMs: number;
  readonly maxTracked: number;
}

class FailureRecord {
  failures = 0;
  windowStart = 0;
  blockedUntil = 0;
  /** Blocks so far: the next lasts blockMs * 2^blocks (capped). */
  blocks = 0;
}

/** One tracker: per host or per user name. */
export class FailureTracker {
  private readonly records = new Map<string, FailureRecord>();

  constructor(
    private readonly limits: BackoffLimits,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.records.size;
  }

  /** Milliseconds `key` stays blocked, or 0. */
  blockedFor(key: string): number {
    const record = this.records.get(key);
    if (record === undefined) return 0;
    const left = record.blockedUntil - this.clock();
    return left > 0 ? left : 0;
  }

  /** Count a refused logon; returns the length of the block it starts, or 0. */
  fail(key: string): number {
    const { failures, windowMs, blockMs, maxBlockMs, maxTracked } = this.limits;
    if (failures === 0) return 0;
    const now = this.clock();
    let record = this.records.get(key);
    if (record === undefined) {
      if (this.records.size >= maxTracked) this.records.delete(this.records.keys().next().value!);
      record = new FailureRecord();
      record.windowStart = now;
    } else this.records.delete(key); // re-inserted below: the map's order is least recently failed first
    this.records.set(key, record);
    if (record.blocks > 0 && now - record.blockedUntil > maxBlockMs) record.blocks = 0;
    if (now - record.windowStart > windowMs) {
      record.failures = 0;
      record.windowStart = now;
    }
    record.failures++;
    if (record.failures < failures) return 0;
    const length = Math.min(maxBlockMs, blockMs * 2 ** Math.min(record.blocks, 30));
    record.blocks++;
    record.failures = 0;
    record.windowStart = now;
    record.blockedUntil = now + length;
    return length;
  }

  /** A logon succeeded: forget the key's failures. */
  forget(key: string): void {
    this.records.delete(key);
  }
}
