// Answers a remote service gave, remembered so that while it fails they can be given again until
// `maxAgeMs` after the service gave them (`serveStaleMs`): never an answer it did not give for
// the same request. Keys are an HMAC, under a key made fresh for each process, of what identifies
// the request (for a logon, the user and credentials): no password is kept, nor anything anyone
// could test guesses against outside this process (as server/admin/admin-credential-cache.ts).
// Bounded by entries and by bytes (an LRU: the least recently used answer goes first).
import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../timers.js';

export interface StaleAnswerLimits {
  /** How long after the service gave an answer it may be given again; 0: never (nothing is remembered). */
  readonly maxAgeMs: number;
  readonly maxEntries: number;
  /** What the entries may hold together, as `sizeOf` and ENTRY_BYTES count them. */
  readonly maxBytes: number;
}

/** An entry's own cost besides its answer: the key (44 characters of base64), the record, the LRU's slots. */
export const ENTRY_BYTES = 200;

class Remembered<T> {
  constructor(
    readonly answer: T,
    /** When the service gave it (clock ms). */
    readonly at: number,
  ) {}
}

/** An answer given again, and how old it is. */
export interface StaleAnswer<T> {
  readonly answer: T;
  readonly ageMs: number;
  /** When the service gave it (clock ms). */
  readonly at: number;
}

export class StaleAnswers<T> {
  private readonly secret = randomBytes(32);
  private readonly entries: LRUCache<string, Remembered<T>> | null;
  /** Answers given again. */
  served = 0;
  /** Entries dropped to make room (maxEntries, maxBytes). */
  evicted = 0;

  constructor(
    private readonly limits: StaleAnswerLimits,
    /** What an answer holds, in bytes (strings: 2 bytes a character). */
    private readonly sizeOf: (answer: T) => number,
    private readonly clock: Clock,
  ) {
    this.entries =
      limits.maxAgeMs > 0
        ? new LRUCache<string, Remembered<T>>({
            max: limits.maxEntries,
            maxSize: limits.maxBytes,
            sizeCalculation: (entry) => ENTRY_BYTES + this.sizeOf(entry.answer),
            dispose: (_value, _key, reason) => {
              if (reason === 'evict') this.evicted++;
            },
          })
        : null;
  }

  get enabled(): boolean {
    return this.entries !== null;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /** Bytes the entries hold, as counted against maxBytes. */
  get bytes(): number {
    return this.entries?.calculatedSize ?? 0;
  }

  /** The key of a request made of `parts` (JSON keeps them apart whatever they hold). */
  key(parts: readonly (string | null)[]): string {
    return createHmac('sha256', this.secret).update(JSON.stringify(parts)).digest('base64');
  }

  /** The service just gave `answer` for `key`. An answer bigger than maxBytes is not kept. */
  remember(key: string, answer: T): void {
    if (this.entries === null) return;
    if (ENTRY_BYTES + this.sizeOf(answer) > this.limits.maxBytes) {
      this.entries.delete(key);
      return;
    }
    this.entries.set(key, new Remembered(answer, this.clock()));
  }

  /** The answer given for `key` less than maxAgeMs ago, counted as served; undefined when there is none. */
  recall(key: string): StaleAnswer<T> | undefined {
    const entry = this.entries?.get(key);
    if (entry === undefined) return undefined;
    const ageMs = this.clock() - entry.at;
    if (ageMs >= this.limits.maxAgeMs) {
      this.entries!.delete(key);
      return undefined;
    }
    this.served++;
    return { answer: entry.answer, ageMs, at: entry.at };
  }

  clear(): void {
    this.entries?.clear();
  }
}
