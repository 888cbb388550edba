// A persistent MQTT session while its client is away (Clean Start 0 / Clean Session 0, Session
// Expiry > 0): it keeps the subscriptions in the topic engine, under its own delivery target, so
// QoS 1 and 2 messages keep arriving through the usual DeliveryPlan (read entitlement, content rules)
// and are queued; QoS 0 ones are dropped. The queue is bounded by count (mqtt.sessions.maxQueuedMessages)
// and by the bytes its messages hold, in flight included (maxQueuedBytes, counted as held-bytes.ts
// says): beyond either the oldest queued is dropped and counted. The SessionStore also drops the
// store's oldest messages at its broker-wide maxBytes. A reconnecting client takes everything back.
import type { CompiledSelect } from '../content/select/index.js';
import type { Message } from '../delivery/message.js';
import type { PendingRead } from '../delivery/read-access.js';
import { SubscriptionEntry, type HoldingPlan, type PacketDeliveryTarget } from '../delivery/subscription-entry.js';
import type { Decision } from '../security/decision.js';
import type { ListenerGates } from '../gates/listener-gates.js';
import type { HeldSink } from '../session/held-deliveries.js';
import { HeldDeliveryGate, logDeliveryError, warnInvalidRules } from '../session/held-delivery-gate.js';
import type { SessionContext } from '../session/session-context.js';
import type { SubscriptionHandle, SubscriptionPattern } from '../topics/index.js';
import type { MqttConfig } from '../config/index.js';
import type { MqttSubscriptionOptions } from './subscription-options.js';
import type { SharedFilter } from './shared-subscription-filter.js';
import { OutgoingPublish, type InflightPublish } from './outbound.js';
import { PublishProperties } from './publish-properties.js';
import { outgoingPublishFor } from './outgoing-publish-for.js';
import { detached } from './detached-bytes.js';
import type { Deadline } from '../deadline.js';

/**
 * What a StoredSession tells the store that keeps it (SessionStore): the store counts the bytes
 * of every kept session's messages and the order they entered in, and drops the oldest beyond
 * mqtt.sessions.maxBytes.
 */
export interface StoreLedger {
  readonly limits: MqttConfig['sessions'];
  /** The next place in the store's order. */
  nextPlace(): number;
  /** `session` queued `out`, of `size` bytes, at `place` (from nextPlace()). */
  added(session: StoredSession, out: OutgoingPublish, size: number, place: number): void;
  /** `session` dropped its message at `place` of `size` bytes, `queued` or in flight. */
  released(session: StoredSession, size: number, queued: boolean, place: number): void;
}

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
  /** Per queued message, parallel to `queued`: the bytes it holds, and its place in the store's order (SessionStore). */
  private readonly sizes: number[] = [];
  private readonly places: number[] = [];
  /** Per message in flight, by packet id: its place in the store's order (its key in the broker's store). */
  private readonly inflightPlaces = new Map<number, number>();
  private queuedBytes = 0;
  private inflightBytes = 0;
  private readonly held: HeldDeliveryGate<OutgoingPublish, null>;
  private nextSid = 1;
  expiryTimer: Deadline | null = null;
  /** Epoch ms when it expires, while kept. */
  expiresAt = 0;
  /** Set while the store keeps this session (its bytes count in the store's total). */
  kept = false;

  constructor(
    private readonly ctx: SessionContext,
    readonly clientId: string,
    readonly user: string,
    /** The listener its client connected through (whose security modules decide its reads). */
    readonly listener: string,
    /** The Session Expiry Interval, seconds. */
    readonly expirySec: number,
    private readonly gates: ListenerGates,
    private readonly store: StoreLedger,
    /** QoS 1/2 publishes sent and not done, by packet id: on resumption the PUBLISH (DUP) or the PUBREL is resent. */
    readonly inflight: Map<number, InflightPublish>,
    queued: OutgoingPublish[],
    /** Inbound QoS 2 packet ids awaiting PUBREL. */
    readonly incomingQos2: ReadonlySet<number>,
    /** The queued messages' places in the broker's store where a journal wrote them already (delivery-journal.ts). */
    private readonly knownPlaces: readonly number[] = [],
    /**
     * Its subscriptions and messages are in the broker's store already: its connection wrote
     * them as they changed (persistLive, delivery-journal.ts). Keeping it writes its record alone.
     */
    readonly inStore = false,
  ) {
    this.queued = queued;
    for (let i = 0; i < queued.length; i++) {
      const size = queued[i]!.heldBytes();
      queued[i] = detachedPublish(queued[i]!);
      this.sizes.push(size);
      this.queuedBytes += size;
    }
    for (const entry of inflight.values()) this.inflightBytes += entry.out.heldBytes();
    this.held = new HeldDeliveryGate<OutgoingPublish, null>(ctx.maxPendingDeliveries, this, ctx.stats);
  }

  private get limits(): MqttConfig['sessions'] {
    return this.store.limits;
  }

  /** Bytes held by its messages, queued and in flight. */
  get heldBytes(): number {
    return this.queuedBytes + this.inflightBytes;
  }

  get queuedCount(): number {
    return this.queued.length;
  }

  /** The store's order of the oldest queued message (-1 when none is queued). */
  get oldestPlace(): number {
    return this.places.length === 0 ? -1 : this.places[0]!;
  }

  /**
   * Places in the store's order for the messages it holds when the store takes the session
   * (SessionStore.keep): the ones a journal gave them, else `next`; `enter` takes each queued one's.
   */
  placeMessages(next: () => number, enter: (place: number) => void): void {
    this.inflightPlaces.clear();
    for (const [id, entry] of this.inflight) this.inflightPlaces.set(id, entry.place >= 0 ? entry.place : next());
    this.places.length = 0;
    for (let i = 0; i < this.queued.length; i++) {
      const place = this.knownPlaces[i] ?? next();
      this.places.push(place);
      enter(place);
    }
  }

  /** The places its connection's journal gave its messages (delivery-journal.ts): in the broker's store already. */
  *journaledPlaces(): Generator<number> {
    for (const entry of this.inflight.values()) if (entry.place >= 0) yield entry.place;
    yield* this.knownPlaces;
  }

  /** A session restored from the broker's store: its messages keep the places they were stored under. */
  restorePlaces(queued: readonly number[], inflight: ReadonlyMap<number, number>): void {
    this.places.length = 0;
    this.places.push(...queued);
    this.inflightPlaces.clear();
    for (const [id, place] of inflight) this.inflightPlaces.set(id, place);
  }

  /** Every message it holds with its place: in flight (with its packet id), then queued. */
  *placedMessages(): Generator<{ out: OutgoingPublish; place: number; packetId: number | null; released: boolean }> {
    for (const [id, entry] of this.inflight)
      yield { out: entry.out, place: this.inflightPlaces.get(id)!, packetId: id, released: entry.released };
    for (let i = 0; i < this.queued.length; i++)
      yield { out: this.queued[i]!, place: this.places[i]!, packetId: null, released: false };
  }

  /** The place of the message in flight under packet id `id` (-1: none). */
  readonly inflightPlaceOf = (id: number): number => this.inflightPlaces.get(id) ?? -1;

  /** The places of the queued messages, in order. */
  get queuedPlaces(): readonly number[] {
    return this.places;
  }

  /** Drop the oldest queued message; returns the bytes it held (0 when none was queued). */
  dropOldest(): number {
    if (this.queued.length === 0) return 0;
    this.queued.shift();
    const place = this.places.shift()!;
    const size = this.sizes.shift()!;
    this.queuedBytes -= size;
    this.store.released(this, size, true, place);
    return size;
  }

  /** Drop the oldest message in flight (only when those alone are over a byte cap); returns its bytes. */
  dropOldestInflight(): number {
    const first = this.inflight.entries().next();
    if (first.done === true) return 0;
    const [id, entry] = first.value;
    this.inflight.delete(id);
    const place = this.inflightPlaces.get(id) ?? -1;
    this.inflightPlaces.delete(id);
    const size = entry.out.heldBytes();
    this.inflightBytes -= size;
    this.store.released(this, size, false, place);
    return size;
  }

  /** Within mqtt.sessions.maxQueuedBytes, dropping the oldest (queued, then in flight) beyond it, counted. */
  trimToByteCap(): void {
    const max = this.limits.maxQueuedBytes;
    while (this.heldBytes > max && (this.dropOldest() > 0 || this.dropOldestInflight() > 0))
      this.ctx.stats.mqttSessionBytesDropped++;
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
    this.handles.push(
      this.ctx.engine.add(
        subscription.pattern,
        new SubscriptionEntry(this, this.nextSid++, null, null, subscription.options),
      ),
    );
  }

  /**
   * An entitlement reset for this session's user: its subscriptions re-enter the topic engine, so
   * every route plan that cached a read decision for it is rebuilt and asks again. Deliveries
   * held for an answer from before the reset are dropped (counted).
   */
  refreshEntitlements(): void {
    this.ctx.engine.removeAll(this.handles);
    for (let i = 0; i < this.handles.length; i++) {
      const old = this.handles[i]!;
      this.handles[i] = this.ctx.engine.add(
        old.pattern,
        new SubscriptionEntry(this, this.nextSid++, null, null, old.value.options),
      );
    }
    this.held.countDropped();
    this.held.clear();
  }

  /** Leave the topic engine (resumed by a connection, or expired). */
  dispose(): void {
    this.ctx.engine.removeAll(this.handles);
    this.handles.length = 0;
    this.stop();
  }

  /** Its timer and held deliveries end (the broker is shutting down; the topic engine goes with it). */
  stop(): void {
    this.held.clear();
    this.expiryTimer?.clear();
    this.expiryTimer = null;
  }

  // ---- delivery (PacketDeliveryTarget) -------------------------------------------------------

  readAccess(topic: string): Decision | Promise<Decision> {
    return this.gates.readAccess(this.user, topic);
  }

  deliverEntries(message: Message, entries: readonly SubscriptionEntry[], projection: CompiledSelect | null): void {
    const out = outgoingPublishFor(message, entries, projection, this);
    if (out === null) return;
    if (this.held.queueBehindHeld(out, null)) return;
    this.sendNow(out);
  }

  /** Queue a QoS 1 or 2 message for the client's return; QoS 0 ones are not kept [MQTT-3.1.2-5 allows either]. */
  sendNow(out: OutgoingPublish): void {
    const stats = this.ctx.stats;
    if (out.qos === 0) {
      stats.mqttOfflineQos0Dropped++;
      return;
    }
    const { maxQueuedMessages, maxQueuedBytes } = this.limits;
    const size = out.heldBytes();
    if (size + this.inflightBytes > maxQueuedBytes) {
      // It could never fit: it is the one dropped, not the messages already queued.
      stats.mqttSessionBytesDropped++;
      return;
    }
    if (this.queued.length + this.inflight.size >= maxQueuedMessages) {
      stats.mqttQueuedMessagesDropped++;
      if (this.dropOldest() === 0) return; // the bound is all in flight: the new message is the one dropped
    }
    while (this.queuedBytes + this.inflightBytes + size > maxQueuedBytes) {
      this.dropOldest();
      stats.mqttSessionBytesDropped++;
    }
    const kept = detachedPublish(out);
    this.queued.push(kept);
    this.sizes.push(size);
    const place = this.store.nextPlace();
    this.places.push(place);
    this.queuedBytes += size;
    this.store.added(this, kept, size, place);
  }

  holdDelivery(pending: PendingRead, plan: HoldingPlan, index: number, message: Message): void {
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

/** `out`, or a copy of it whose payload and Correlation Data are detached() (for a message kept while its client is away). */
function detachedPublish(out: OutgoingPublish): OutgoingPublish {
  const payload = detached(out.payload);
  const data = out.properties?.passed?.correlationData;
  const keptData = data === undefined ? undefined : detached(data);
  if (payload === out.payload && keptData === data) return out;
  let properties = out.properties;
  if (properties !== null && keptData !== data)
    properties = new PublishProperties(properties.expiresAt, properties.userProperties, {
      ...properties.passed,
      correlationData: keptData,
    });
  return new OutgoingPublish(out.topic, payload, out.qos, out.subscriptionIds, out.retain, properties);
}
