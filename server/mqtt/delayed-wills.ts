// v5 Will Delay Interval: wills waiting to be published, by client id. A new connection with the
// same client id cancels its will [MQTT-3.1.3-9]; shutdown drops the waiting ones. Bounded: when
// `limit` are waiting, a further will is published at once (counted in mqttWillsNotDelayed).
// Each waiting will is written to the broker's store, so that it is still published, on time,
// after a restart (restored by restore-state.ts).
import type { BrokerStats } from '../stats.js';
import type { Timers } from '../timers.js';
import type { BrokerStore } from '../store/store.js';
import type { WillRecord } from '../store/records.js';
import { Deadline } from '../deadline.js';

export class DelayedWills {
  /** A will's delay is at most its session's expiry, which may be longer than a Node timer holds. */
  private readonly waiting = new Map<string, Deadline>();
  /** The user of each waiting will: the client id stays hers until it is published (client-id-owner.ts). */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly limit: number,
    private readonly stats: BrokerStats,
    /** The delays run on these. */
    private readonly timers: Timers,
    /** Where waiting wills are written through. */
    private readonly store: BrokerStore,
  ) {}

  /** Told when a waiting will was published (the client id may be free: cluster client ids). */
  published: ((clientId: string) => void) | null = null;

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Run `publish` (`user`'s will) after `delayMs`, unless cancelled; at once when the bound is
   * reached. `record` is written to the broker's store while it waits (null: it is there already).
   */
  schedule(clientId: string, delayMs: number, publish: () => void, user: string, record: WillRecord | null): void {
    this.cancel(clientId);
    if (this.waiting.size >= this.limit) {
      this.stats.mqttWillsNotDelayed++;
      if (record === null) this.store.removeWill(clientId);
      publish();
      return;
    }
    if (record !== null) this.store.putWill(record);
    const due = new Deadline(this.timers, this.timers.now() + delayMs, () => {
      this.waiting.delete(clientId);
      this.owners.delete(clientId);
      this.store.removeWill(clientId);
      publish();
      this.published?.(clientId);
    });
    this.waiting.set(clientId, due);
    this.owners.set(clientId, user);
  }

  /** The user whose will waits for `clientId`, if any. */
  ownerOf(clientId: string): string | undefined {
    return this.owners.get(clientId);
  }

  /** A connection for `clientId` arrived: its delayed will is not published. */
  cancel(clientId: string): boolean {
    const due = this.waiting.get(clientId);
    if (due === undefined) return false;
    due.clear();
    this.waiting.delete(clientId);
    this.owners.delete(clientId);
    this.store.removeWill(clientId);
    return true;
  }

  /** At shutdown: the waiting wills stop here and stay in the broker's store, to be published after the restart. */
  clear(): void {
    for (const due of this.waiting.values()) due.clear();
    this.waiting.clear();
    this.owners.clear();
  }
}
