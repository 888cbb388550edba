// A connection-rate limit per host, against connection storms: a token bucket per remote host,
// taken from when a connection is accepted, before any authentication work. Buckets that have
// filled up again hold nothing a fresh bucket would not, so they are swept out when the map has
// doubled since the last sweep (amortised O(1) per connection).
import type { Clock } from '../timers.js';

class Bucket {
  /** Whether the log has reported this host being limited since it last got a connection through. */
  reported = false;
  constructor(
    public tokens: number,
    public updatedAt: number,
  ) {}
}

/** `allowed`; `refused` (first time since the host was last allowed: log it); `refused-again` (a storm: count it only). */
export type RateVerdict = 'allowed' | 'refused' | 'refused-again';

const MIN_SWEEP_AT = 1024;

export class HostRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweepAt = MIN_SWEEP_AT;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {}

  /** Hosts with a bucket (the quiet ones are swept out as more arrive). */
  get size(): number {
    return this.buckets.size;
  }

  take(host: string): RateVerdict {
    const now = this.clock();
    let bucket = this.buckets.get(host);
    if (bucket === undefined) {
      if (this.buckets.size >= this.sweepAt) this.sweep(now);
      bucket = new Bucket(this.burst, now);
      this.buckets.set(host, bucket);
    } else this.refill(bucket, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.reported = false;
      return 'allowed';
    }
    if (bucket.reported) return 'refused-again';
    bucket.reported = true;
    return 'refused';
  }

  private refill(bucket: Bucket, now: number): void {
    const elapsed = now - bucket.updatedAt;
    if (elapsed <= 0) return; // a clock that stood still (or stepped back) adds nothing
    bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * this.perSecond) / 1000);
    bucket.updatedAt = now;
  }

  private sweep(now: number): void {
    for (const [host, bucket] of this.buckets) {
      this.refill(bucket, now);
      if (bucket.tokens >= this.burst) this.buckets.delete(host);
    }
    this.sweepAt = Math.max(MIN_SWEEP_AT, this.buckets.size * 2);
  }
}
