// Deliveries a connection holds while a read entitlement for one of their topics is pending.
// Everything queued behind a pending one waits too, so order is kept; the queue is bounded and
// what does not fit is dropped (and counted by the caller).
import type { Decision } from '../security/decision.js';
import { ALLOW_ALL } from '../security/decision.js';
import type { PendingRead } from '../delivery/read-access.js';
import type { BrokerStats } from '../stats.js';
import type { TransportConnection } from '../transports/transport.js';

interface Held {
  access: PendingRead | Decision;
  prefix: Buffer;
  body: Buffer;
}

export class HeldDeliveries {
  private queue: Held[] = [];
  private head = 0;

  constructor(private readonly limit: number) {}

  get isEmpty(): boolean {
    return this.head === this.queue.length;
  }

  /** Returns false (dropped) when full. */
  pushPending(pending: PendingRead, prefix: Buffer, body: Buffer): boolean {
    return this.push({ access: pending, prefix, body });
  }

  /** An allowed delivery that only waits for its turn. */
  pushReady(prefix: Buffer, body: Buffer): boolean {
    return this.push({ access: ALLOW_ALL, prefix, body });
  }

  private push(item: Held): boolean {
    if (this.queue.length - this.head >= this.limit) return false;
    this.queue.push(item);
    return true;
  }

  /** Send or drop from the front while the front's entitlement is known. */
  drain(connection: TransportConnection, stats: BrokerStats): void {
    while (this.head < this.queue.length) {
      const item = this.queue[this.head]!;
      const decision = 'allow' in item.access ? item.access : item.access.decision;
      if (decision === null) break;
      this.head++;
      if (decision.allow) connection.send(item.prefix, item.body);
      else stats.deliveriesNotEntitled++;
    }
    if (this.head === this.queue.length) this.clear();
    else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.queue = [];
    this.head = 0;
  }
}
