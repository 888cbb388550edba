// v5 Will Delay Interval: wills waiting to be published, by client id. A new connection with the
// same client id cancels its will [MQTT-3.1.3-9]; shutdown drops the waiting ones. Bounded: when
// `limit` are waiting, a further will is published at once (counted in mqttWillsNotDelayed).
import type { BrokerStats } from '../stats.js';
import type { TimerHandle, Timers } from '../timers.js';

export class DelayedWills {
  private readonly waiting = new Map<string, TimerHandle>();
  /** The user of each waiting will: the client id stays hers until it is published (client-id-owner.ts). */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly limit: number,
    private readonly stats: BrokerStats,
    /** The delays run on these. */
    private readonly timers: Timers,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Run `publish` (`user`'s will) after `delayMs`, unless cancelled; at once when the bound is reached. */
  schedule(clientId: string, delayMs: number, publish: () => void, user: string): void {
    this.cancel(clientId);
    if (this.waiting.size >= this.limit) {
      this.stats.mqttWillsNotDelayed++;
      publish();
      return;
    }
    const timer = this.timers.setTimeout(() => {
      this.waiting.delete(clientId);
      this.owners.delete(clientId);
      publish();
    }, delayMs);
    this.waiting.set(clientId, timer);
    this.owners.set(clientId, user);
  }

  /** The user whose will waits for `clientId`, if any. */
  ownerOf(clientId: string): string | undefined {
    return this.owners.get(clientId);
  }

  /** A connection for `clientId` arrived: its delayed will is not published. */
  cancel(clientId: string): boolean {
    const timer = this.waiting.get(clientId);
    if (timer === undefined) return false;
    this.timers.clearTimeout(timer);
    this.waiting.delete(clientId);
    this.owners.delete(clientId);
    return true;
  }

  clear(): void {
    for (const timer of this.waiting.values()) this.timers.clearTimeout(timer);
    this.waiting.clear();
    this.owners.clear();
  }
}
