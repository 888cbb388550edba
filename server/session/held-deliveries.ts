// Deliveries a connection holds while a read entitlement for one of their topics is pending.
// Everything queued behind a pending one waits too, so order is kept; the queue is bounded and
// what does not fit is dropped (and counted by the caller).
import type { PendingRead } from '../delivery/read-access.js';
import type { HoldingPlan } from '../delivery/subscription-entry.js';
import type { Message } from '../delivery/message.js';
import type { BrokerStats } from '../stats.js';

/** A frame ready to go, waiting only for its turn (native: prefix and body; MQTT: an outgoing publish). */
interface ReadyFrame<A, B> {
  readonly pending: null;
  readonly prefix: A;
  readonly body: B;
}

/** A message for plan target `index`, waiting for that target's read entitlement. */
interface PendingMessage {
  readonly pending: PendingRead;
  readonly plan: HoldingPlan;
  readonly index: number;
  readonly message: Message;
}

type Held<A, B> = ReadyFrame<A, B> | PendingMessage;

export interface HeldSink<A = Buffer, B = Buffer> {
  sendNow(prefix: A, body: B): void;
}

export class HeldDeliveries<A = Buffer, B = Buffer> {
  private queue: Held<A, B>[] = [];
  private head = 0;

  constructor(private readonly limit: number) {}

  get isEmpty(): boolean {
    return this.head === this.queue.length;
  }

  /** Returns false (dropped) when full. */
  pushPending(pending: PendingRead, plan: HoldingPlan, index: number, message: Message): boolean {
    return this.push({ pending, plan, index, message });
  }

  pushReady(prefix: A, body: B): boolean {
    return this.push({ pending: null, prefix, body });
  }

  private push(item: Held<A, B>): boolean {
    if (this.queue.length - this.head >= this.limit) return false;
    this.queue.push(item);
    return true;
  }

  /**
   * Deliver from the front while the front's entitlement is known. Pending messages are
   * delivered through their plan, whose sends come back to `sink` while `draining` is set.
   */
  drain(sink: HeldSink<A, B>, stats: BrokerStats, setDraining: (on: boolean) => void): void {
    setDraining(true);
    try {
      while (this.head < this.queue.length) {
        const item = this.queue[this.head]!;
        if (item.pending === null) {
          this.head++;
          sink.sendNow(item.prefix, item.body);
          continue;
        }
        const decision = item.pending.decision;
        if (decision === null) break;
        this.head++;
        item.plan.deliver(item.index, decision, item.message, stats); // a denied or failed decision is counted there
      }
    } finally {
      setDraining(false);
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
