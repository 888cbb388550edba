// The held-delivery half of a DeliveryTarget, shared by NativeSession, MqttSession and
// StoredSession: owns the HeldDeliveries queue, the draining flag and the drop counting.
import type { Logger } from 'pino';
import type { PendingRead } from '../delivery/read-access.js';
import type { HoldingPlan } from '../delivery/subscription-entry.js';
import type { Message } from '../delivery/message.js';
import type { BrokerStats } from '../stats.js';
import { HeldDeliveries, type HeldSink } from './held-deliveries.js';

export class HeldDeliveryGate<A = Buffer, B = Buffer> {
  private readonly held: HeldDeliveries<A, B>;
  /** Set while held deliveries are being released: their sends go out directly. */
  private draining = false;

  constructor(
    limit: number,
    private readonly sink: HeldSink<A, B>,
    private readonly stats: BrokerStats,
  ) {
    this.held = new HeldDeliveries(limit);
  }

  /**
   * Behind a held delivery, everything waits its turn (per-publisher order holds across topics):
   * true when this frame was queued (or dropped and counted) instead of going out now.
   */
  queueBehindHeld(prefix: A, body: B): boolean {
    if (this.draining || this.held.isEmpty) return false;
    if (!this.held.pushReady(prefix, body)) this.stats.heldDeliveriesDropped++;
    return true;
  }

  /** DeliveryTarget.holdDelivery: wait for the read entitlement (dropped and counted when full). */
  hold(pending: PendingRead, plan: HoldingPlan, index: number, message: Message): void {
    if (!this.held.pushPending(pending, plan, index, message)) this.stats.heldDeliveriesDropped++;
  }

  /** DeliveryTarget.releaseHeld: send what is now decided, in order, to the sink. */
  release(): void {
    // Made per release, not kept per connection: most connections never hold a delivery.
    this.held.drain(this.sink, this.stats, (on) => (this.draining = on));
  }

  /** Count what is still held as dropped (once), without clearing it. */
  countDropped(): void {
    if (!this.held.isEmpty) this.stats.heldDeliveriesDropped++;
  }

  clear(): void {
    this.held.clear();
  }
}

/** DeliveryTarget.reportDeliveryError: one receiver's delivery failed (dropped and counted by DeliveryPlan); log which and why. */
export function logDeliveryError(log: Logger, who: Record<string, unknown>, err: unknown, topic: string): void {
  log.error(
    { ...who, topic, err },
    'delivering a message to this receiver failed; the delivery was dropped (deliveryErrors)',
  );
}

/** DeliveryTarget.reportInvalidRules, with the fields that name the session. */
export function warnInvalidRules(log: Logger, who: Record<string, unknown>, err: unknown): void {
  log.warn({ ...who, err }, 'the entitlement module sent a filter or select list that does not compile; denying');
}
