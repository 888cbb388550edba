// One MQTT 5 shared subscription group (`$share/{ShareName}/{filter}`): a single entry in the topic
// engine whose target is the group. Each message goes to one member, round-robin among the
// connected members; entitlements are per member, so the group asks each candidate's read
// entitlement (through a DeliveryPlan over the members, like any delivery) and skips members that
// are denied, or whose entitlement filter drops the message. A member whose answer is pending is
// skipped while another member can take the message; when none can, the message is held for the
// first pending member (dropped if that member turns out not entitled).
import type { CompiledSelect } from '../content/select/index.js';
import { DeliveryPlan } from '../delivery/delivery-plan.js';
import type { Message } from '../delivery/message.js';
import { FailedRead, PendingRead } from '../delivery/read-access.js';
import { SubscriptionEntry, type PacketDeliveryTarget } from '../delivery/subscription-entry.js';
import { ALLOW_ALL, type Decision } from '../security/decision.js';
import { logDeliveryError } from '../session/held-delivery-gate.js';
import type { Logger } from 'pino';
import type { BrokerStats } from '../stats.js';
import type { SubscriptionHandle } from '../topics/index.js';
import type { SharedFilter } from './shared-subscription-filter.js';

export class SharedGroup implements PacketDeliveryTarget {
  readonly kind = 'packet';
  /** Each member's own subscription entry (its session, QoS, subscription id). */
  private readonly members: SubscriptionEntry[] = [];
  private next = 0;
  /** The group's entry in the topic engine, set by SharedGroups. */
  handle: SubscriptionHandle<SubscriptionEntry> | null = null;

  constructor(
    readonly key: string,
    readonly filter: SharedFilter,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.members.length;
  }

  /** The group's own entry in the topic engine. */
  engineEntry(): SubscriptionEntry {
    return new SubscriptionEntry(this, 0, null, null, null, this.key);
  }

  join(member: SubscriptionEntry): void {
    this.members.push(member);
  }

  leave(member: SubscriptionEntry): void {
    const index = this.members.indexOf(member);
    if (index === -1) return;
    this.members.splice(index, 1);
    if (this.next > index) this.next--;
  }

  // ---- delivery (PacketDeliveryTarget) -------------------------------------------------------

  /** The group as a whole reads everything; each member's entitlement is checked at delivery. */
  readAccess(_topic: string): Decision {
    return ALLOW_ALL;
  }

  holdDelivery(): void {}

  releaseHeld(): void {}

  reportInvalidRules(): void {}

  /** The group's own step failed (a member's failure is reported by that member). */
  reportDeliveryError(err: unknown, topic: string): void {
    logDeliveryError(this.log, { sharedGroup: this.key }, err, topic);
  }

  deliverEntries(message: Message, _entries: readonly SubscriptionEntry[], _projection: CompiledSelect | null): void {
    // In a cluster, one node delivers each message to the group (cluster-router.ts): another was chosen.
    const here = message.sharesHere;
    if (here !== null && !here.has(this.key)) return;
    const count = this.members.length;
    if (count === 0) return;
    const plan = DeliveryPlan.build(message.topic, this.members);
    const start = this.next % count;
    let firstPending = -1;
    let pending: PendingRead | null = null;
    for (let k = 0; k < count; k++) {
      const i = (start + k) % count;
      let access = plan.access[i]!;
      if (access instanceof FailedRead) access = Date.now() < access.retryAt ? access : plan.resolve(i);
      if (access instanceof PendingRead) {
        if (pending === null) {
          firstPending = i;
          pending = access;
        }
        continue;
      }
      if (access instanceof FailedRead || !access.allow) continue;
      if (plan.deliver(i, access, message, this.stats) > 0) {
        this.next = i + 1;
        return;
      }
    }
    if (pending !== null) {
      this.next = firstPending + 1;
      plan.targets[firstPending]!.holdDelivery(pending, plan, firstPending, message);
      return;
    }
    this.stats.mqttSharedUndelivered++;
  }
}
