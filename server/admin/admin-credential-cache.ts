// Successful admin Basic logons, remembered for a short time (against logon floods): every admin
// request carries the password again, and a scrypt check per request would let a busy script (or
// anyone who knows one admin password) keep the threadpool full. With the cache, a client costs
// one check per `ttlMs`. Keys are an HMAC of (remote address, user, password) under a key made
// fresh for each process, so neither the password nor a hash anyone could test guesses against
// offline outside this process is kept. The address is part of the key because modules may
// accept a user from some hosts only. Only acceptances are cached; refusals always go to the module.
import { createHmac, randomBytes } from 'node:crypto';

export interface CredentialCacheLimits {
  /** 0 turns the cache off. */
  readonly ttlMs: number;
  readonly maxEntries: number;
}

class Entry {
  constructor(
    readonly identity: string,
    readonly expiresAt: number,
  ) {}
}

export class AdminCredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly secret = randomBytes(32);
  hits = 0;

  constructor(
    private readonly limits: CredentialCacheLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.limits.ttlMs > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  key(remoteAddress: string, user: string, password: string): string {
    // JSON keeps the three apart whatever characters they hold.
    return createHmac('sha256', this.secret)
      .update(JSON.stringify([remoteAddress, user, password]))
      .digest('base64');
  }

  /** The identity a still-fresh acceptance under `key` gave, or undefined. */
  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    this.hits++;
    return entry.identity;
  }

  set(key: string, identity: string): void {
    if (!this.enabled) return;
    this.entries.delete(key);
    // Insertion order is expiry order (one TTL for all): the first entry is the oldest.
    if (this.entries.size >= this.limits.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, new Entry(identity, this.clock() + this.limits.ttlMs));
  }

  /** Forget every acceptance (after an admin action that may change who is who: reset, reload). */
  clear(): void {
    this.entries.clear();
  }
}
