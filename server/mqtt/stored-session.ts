// A persistent MQTT session while its client is away (Clean Start 0 / Clean Session 0, Session
// Expiry > 0): it keeps the subscriptions in the topic engine, under its own delivery target, so
// QoS 1 and 2 messages keep arriving through the usual DeliveryPlan (read entitlement, content rules)
// and are queued; QoS 0 ones are dropped. The queue is bounded (mqtt.sessions.maxQueuedMessages):
// beyond it the oldest is dropped and counted. A reconnecting client takes everything back.
import type { CompiledSelect } from '../content/select/index.js';
import type { DeliveryPlan } from '../delivery/delivery-plan.js';
import type { Message } from '../delivery/message.js';
import type { PendingRead } from '../delivery/read-access.js';
import { SubscriptionEntry, type PacketDeliveryTarget } from '../delivery/subscription-entry.js';
import type { Decision } from '../security/decision.js';
import type { ListenerSecurity } from '../security/security-manager.js';
import type { HeldSink } from '../session/held-deliveries.js';
import { HeldDeliveryGate, logDeliveryError, warnInvalidRules } from '../session/held-delivery-gate.js';
import type { SubscriptionHandle, SubscriptionPattern } from '../topics/index.js';
import type { MqttContext, MqttSubscriptionOptions } from './mqtt-context.js';
import type { SharedFilter } from './shared-subscription-filter.js';
import type { InflightPublish, OutgoingPublish } from './outbound.js';
import { outgoingPublishFor } from './outgoing-publish-for.js';

/** A subscription as a session keeps it across connections. */
export class StoredSubscription {
  constructor(
    readonly filter: string,
    readonly pattern: SubscriptionPattern,
    readonly options: MqttSubscriptionOptions,
    /** A v5 shared subscription's share name and topic filter, else null. */
    readonly shared: SharedFilter | null = null,
  ) {}
}

export class StoredSession implements PacketDeliveryTarget, HeldSink<OutgoingPublish, null> {
  readonly kind = 'packet';
  private readonly handles: SubscriptionHandle<SubscriptionEntry>[] = [];
  private readonly subscriptions: StoredSubscription[] = [];
  private readonly queued: OutgoingPublish[];
  private readonly held: HeldDeliveryGate<OutgoingPublish, null>;
  private nextSid = 1;
  expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: MqttContext,
    readonly clientId: string,
    readonly user: string,
    private readonly security: ListenerSecurity,
    private readonly maxQueuedMessages: number,
    /** QoS 1/2 publishes sent and not done, by packet id: on resumption the PUBLISH (DUP) or the PUBREL is resent. */
    readonly inflight: Map<number, InflightPublish>,
    queued: OutgoingPublish[],
    /** Inbound QoS 2 packet ids awaiting PUBREL. */
    readonly incomingQos2: ReadonlySet<number>,
  ) {
    this.queued = queued;
    this.held = new HeldDeliveryGate<OutgoingPublish, null>(ctx.maxPendingDeliveries, this, ctx.stats);
  }

  get queuedMessages(): readonly OutgoingPublish[] {
    return this.queued;
  }

  get storedSubscriptions(): readonly StoredSubscription[] {
    return this.subscriptions;
  }

  subscribe(subscription: StoredSubscription): void {
    this.subscriptions.push(subscription);
    // Shared subscriptions go round-robin among connected members: an absent one is not a member.
    if (subscription.shared !== null) return;
    this.handles.push(this.ctx.engine.add(subscription.pattern, new SubscriptionEntry(this, this.nextSid++, null, null, subscription.options)));
  }

  /**
   * An entitlement reset for this session's user: its subscriptions re-enter the topic engine, so
   * every route plan that cached a read decision for it is rebuilt and asks again. Deliveries
   * held for an answer from before the reset are dropped (counted).
   */
  refreshEntitlements(): void {
    for (let i = 0; i < this.handles.length; i++) {
      const old = this.handles[i]!;
      this.ctx.engine.remove(old);
      this.handles[i] = this.ctx.engine.add(old.pattern, new SubscriptionEntry(this, this.nextSid++, null, null, old.value.options));
    }
    this.held.countDropped();
    this.held.clear();
  }

  /** Leave the topic engine (resumed by a connection, or expired). */
  dispose(): void {
    for (const handle of this.handles) this.ctx.engine.remove(handle);
    this.handles.length = 0;
    this.held.clear();
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }

  // ---- delivery (PacketDeliveryTarget) -------------------------------------------------------

  readAccess(topic: string): Decision | Promise<Decision> {
    return this.security.entitlements.check(this.user, 'read', 'topic', topic);
  }

  deliverEntries(message: Message, entries: readonly SubscriptionEntry[], projection: CompiledSelect | null): void {
    const out = outgoingPublishFor(message, entries, projection, this);
    if (out === null) return;
    if (this.held.queueBehindHeld(out, null)) return;
    this.sendNow(out);
  }

  /** Queue a QoS 1 or 2 message for the client's return; QoS 0 ones are not kept [MQTT-3.1.2-5 allows either]. */
  sendNow(out: OutgoingPublish): void {
    if (out.qos === 0) {
      this.ctx.stats.mqttOfflineQos0Dropped++;
      return;
    }
    if (this.queued.length + this.inflight.size >= this.maxQueuedMessages) {
      this.queued.shift();
      this.ctx.stats.mqttQueuedMessagesDropped++;
      if (this.queued.length + this.inflight.size >= this.maxQueuedMessages) return; // the bound is all in flight
    }
    this.queued.push(out);
  }

  holdDelivery(pending: PendingRead, plan: DeliveryPlan, index: number, message: Message): void {
    this.held.hold(pending, plan, index, message);
  }

  releaseHeld(): void {
    this.held.release();
  }

  reportInvalidRules(err: unknown): void {
    warnInvalidRules(this.ctx.log, { clientId: this.clientId, user: this.user }, err);
  }

  reportDeliveryError(err: unknown, topic: string): void {
    logDeliveryError(this.ctx.log, { clientId: this.clientId, user: this.user }, err, topic);
  }
}
