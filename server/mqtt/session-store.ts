// Persistent MQTT sessions whose clients are away, by client id, until they resume or expire
// (Session Expiry Interval, capped by mqtt.sessions.maxExpirySec). Bounded by
// mqtt.sessions.maxSessions and, per user, maxSessionsPerUser: a session that would exceed either
// is not kept (logged, counted). The bytes their messages hold are bounded per session
// (maxQueuedBytes, see StoredSession) and over the whole store (maxBytes): beyond it the messages
// that entered the store first are dropped, whichever session holds them (counted).
//
// Every kept session is written through to the broker's store (persistence): its record (user,
// listener, subscriptions, expiry) and each message it holds under [client id, place], so that it
// survives a restart; restore() brings them back at start-up. A connected client's persistent
// session is written as a record with no expiry yet (persistLive), so its subscriptions survive a
// crash too, and its QoS 1/2 messages are written as they go (delivery-journal.ts).
//
// The store's order is a FIFO of (session, place) entries, one per queued message, in the order
// they entered the store. An entry goes stale when its message leaves otherwise (dropped by its
// session's own caps, or taken back on resumption); stale entries are skipped when met and swept
// when they outnumber the live ones, so the FIFO stays proportional to what is queued.
import type { Logger } from 'pino';
import type { MqttConfig } from '../config/index.js';
import type { BrokerStats } from '../stats.js';
import type { Timers } from '../timers.js';
import { Deadline } from '../deadline.js';
import type { StoredSession, StoreLedger } from './stored-session.js';
import type { OutgoingPublish } from './outbound.js';
import type { BrokerStore } from '../store/store.js';
import type { SessionRecord, SubscriptionRecord } from '../store/records.js';
import { queuedRecord, subscriptionRecord } from './persisted-records.js';

export type SessionLimits = MqttConfig['sessions'];

/** Stale FIFO entries tolerated beyond twice the live ones before a sweep. */
const SWEEP_SLACK = 1024;

export class SessionStore implements StoreLedger {
  private readonly sessions = new Map<string, StoredSession>();
  /** Per user: kept sessions. */
  private readonly keptPerUser = new Map<string, number>();
  /** Per user: live connections that asked for a persistent session and were granted one (see mayPersist). */
  private readonly livePerUser = new Map<string, number>();
  /** Bytes held by the kept sessions' messages (queued and in flight). */
  private bytes = 0;
  /** Messages queued in kept sessions (the live FIFO entries). */
  private queuedMessages = 0;
  private orderSessions: StoredSession[] = [];
  private orderPlaces: number[] = [];
  private orderHead = 0;
  private place = 0;

  constructor(
    readonly limits: SessionLimits,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
    /** The expiry timers run on these. */
    private readonly timers: Timers,
    /** Where kept sessions and their messages are written through. */
    private readonly store: BrokerStore,
  ) {}

  /** Told when a kept session ended (expired or discarded): its client id may be free (cluster client ids). */
  ended: ((clientId: string) => void) | null = null;

  get size(): number {
    return this.sessions.size;
  }

  has(clientId: string): boolean {
    return this.sessions.has(clientId);
  }

  clientIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** Bytes held by the kept sessions' messages, as mqtt.sessions.maxBytes counts them. */
  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * At CONNECT, after a takeover (whose connection's session is kept by then) and before
   * resumption: may `user` have a persistent session for `clientId` within maxSessionsPerUser?
   * Its own kept session for that client id does not count against it.
   */
  mayPersist(user: string, clientId: string): boolean {
    let held = (this.keptPerUser.get(user) ?? 0) + (this.livePerUser.get(user) ?? 0);
    if (this.sessions.get(clientId)?.user === user) held--;
    if (held < this.limits.maxSessionsPerUser) return true;
    this.stats.mqttSessionsOverUserLimit++;
    this.log.warn(
      { clientId, user, sessions: held },
      'persistent sessions per user reached (mqtt.sessions.maxSessionsPerUser): this session ends with its connection',
    );
    return false;
  }

  /** A live connection of `user` holds a persistent session (granted by mayPersist) until its release. */
  liveAdded(user: string): void {
    this.livePerUser.set(user, (this.livePerUser.get(user) ?? 0) + 1);
  }

  liveRemoved(user: string): void {
    decrement(this.livePerUser, user);
  }

  /** Keep `session` for `expirySec` seconds. Returns false (and drops it) when a bound refuses it. */
  keep(session: StoredSession, expirySec: number): boolean {
    this.discard(session.clientId);
    if (!this.admit(session)) {
      // What its connection wrote to the broker's store goes too.
      this.unpersistRecords(session);
      for (const place of session.journaledPlaces()) this.store.removeMessage(session.clientId, place);
      session.dispose();
      return false;
    }
    this.enterKept(session);
    session.placeMessages(
      () => this.place++,
      (place) => this.enter(session, place),
    );
    // Kept and placed: what its own caps drop leaves the broker's store too.
    session.trimToByteCap();
    session.expiresAt = this.timers.now() + expirySec * 1000;
    this.persist(session);
    this.makeRoom();
    // Only messages in flight are left, and they are over the store's bound: this session's go.
    while (this.bytes > this.limits.maxBytes && session.dropOldestInflight() > 0)
      this.stats.mqttSessionStoreBytesDropped++;
    this.armExpiry(session);
    return true;
  }

  /**
   * At start-up, a session the broker's store kept (its messages at the places they were stored
   * under), expiring at `session.expiresAt`. False when a bound refuses it: the caller removes it
   * from the store. Call finishRestore() after the last.
   */
  restore(session: StoredSession): boolean {
    if (!this.admit(session)) return false;
    this.enterKept(session);
    for (const place of session.queuedPlaces) {
      this.orderSessions.push(session);
      this.orderPlaces.push(place);
    }
    for (const { place } of session.placedMessages()) if (place >= this.place) this.place = place + 1;
    this.armExpiry(session);
    return true;
  }

  /** After the last restore(): the FIFO in the order messages entered the store, and the bounds applied. */
  finishRestore(): void {
    const order = this.orderSessions.map((session, i) => ({ session, place: this.orderPlaces[i]! }));
    order.sort((a, b) => a.place - b.place);
    this.orderSessions = order.map((e) => e.session);
    this.orderPlaces = order.map((e) => e.place);
    this.orderHead = 0;
    for (const session of this.sessions.values()) {
      const before = session.queuedCount + session.inflight.size;
      session.trimToByteCap();
      this.stats.storeRecordsDropped += before - session.queuedCount - session.inflight.size;
    }
    this.makeRoom();
  }

  /** Within maxSessions and the user's maxSessionsPerUser? Counted and logged when not. */
  private admit(session: StoredSession): boolean {
    if (this.sessions.size >= this.limits.maxSessions) {
      this.stats.mqttSessionsNotKept++;
      this.log.warn(
        { clientId: session.clientId, user: session.user, sessions: this.sessions.size },
        'persistent session store full (mqtt.sessions.maxSessions): session not kept',
      );
      return false;
    }
    // mayPersist counted this one at CONNECT; this holds if connections raced past it.
    if ((this.keptPerUser.get(session.user) ?? 0) >= this.limits.maxSessionsPerUser) {
      this.stats.mqttSessionsOverUserLimit++;
      this.log.warn(
        { clientId: session.clientId, user: session.user },
        'persistent sessions per user reached (mqtt.sessions.maxSessionsPerUser): session not kept',
      );
      return false;
    }
    return true;
  }

  private enterKept(session: StoredSession): void {
    this.sessions.set(session.clientId, session);
    this.keptPerUser.set(session.user, (this.keptPerUser.get(session.user) ?? 0) + 1);
    session.kept = true;
    this.bytes += session.heldBytes;
    this.queuedMessages += session.queuedCount;
    this.stats.mqttSessionHeldBytes = this.bytes;
  }

  /** Write `session` to the broker's store: its record, and its subscriptions and messages unless they are there already. */
  private persist(session: StoredSession): void {
    this.store.putSession(sessionRecord(session, session.expiresAt));
    if (session.inStore) return;
    for (const subscription of session.storedSubscriptions)
      this.store.putSubscription(subscriptionRecord(session.clientId, subscription));
    for (const { out, place, packetId, released } of session.placedMessages())
      this.store.putMessage(queuedRecord(session.clientId, place, out, packetId, released));
  }

  private armExpiry(session: StoredSession): void {
    session.expiryTimer = new Deadline(this.timers, session.expiresAt, () => this.expiredContained(session));
  }

  /**
   * A connected client holds a persistent session: its record goes to the broker's store with no
   * expiry yet (after a crash it counts from the restart), so its subscriptions survive.
   */
  persistLive(record: SessionRecord, subscriptions: readonly SubscriptionRecord[]): void {
    this.store.putSession(record);
    for (const subscription of subscriptions) this.store.putSubscription(subscription);
  }

  /** A connected client's persistent session record changed (its inbound QoS 2 ids). */
  persistLiveRecord(record: SessionRecord): void {
    this.store.putSession(record);
  }

  /** A connected client's persistent session subscribed (or replaced a subscription). */
  liveSubscribed(subscription: SubscriptionRecord): void {
    this.store.putSubscription(subscription);
  }

  liveUnsubscribed(clientId: string, filter: string): void {
    this.store.removeSubscription(clientId, filter);
  }

  /** A connected client's persistent session ended with its connection (expiry 0 at DISCONNECT): its records go. */
  forgetLive(clientId: string, filters: Iterable<string>): void {
    if (this.sessions.has(clientId)) return;
    this.store.removeSession(clientId);
    for (const filter of filters) this.store.removeSubscription(clientId, filter);
  }

  /** The next place in the store's order (StoredSession.sendNow). */
  nextPlace(): number {
    return this.place++;
  }

  /** `session` queued `out`, of `size` bytes, at `place` (from nextPlace()). */
  added(session: StoredSession, out: OutgoingPublish, size: number, place: number): void {
    if (!session.kept) return;
    this.store.putMessage(queuedRecord(session.clientId, place, out, null, false));
    this.bytes += size;
    this.queuedMessages++;
    this.orderSessions.push(session);
    this.orderPlaces.push(place);
    this.stats.mqttSessionHeldBytes = this.bytes;
    if (this.orderSessions.length - this.orderHead > 2 * this.queuedMessages + SWEEP_SLACK) this.sweep();
    this.makeRoom();
  }

  /** `session` dropped its message at `place`, of `size` bytes, `queued` or in flight (its own caps, or the store's). */
  released(session: StoredSession, size: number, queued: boolean, place: number): void {
    if (!session.kept) return;
    this.store.removeMessage(session.clientId, place);
    this.bytes -= size;
    if (queued) this.queuedMessages--;
    this.stats.mqttSessionHeldBytes = this.bytes;
  }

  /**
   * The session kept for `clientId`, out of this store (its subscriptions stay until the caller
   * disposes it). Its records stay in the broker's store: a resuming connection keeps them (its
   * messages keep their places); otherwise the caller forgets them (forget()).
   */
  take(clientId: string): StoredSession | undefined {
    const session = this.sessions.get(clientId);
    if (session === undefined) return undefined;
    this.remove(session);
    session.expiryTimer?.clear();
    session.expiryTimer = null;
    return session;
  }

  /** A session taken and not resumed (or resumed without persistence): its records leave the broker's store. */
  forget(session: StoredSession): void {
    this.unpersist(session);
  }

  /** The user whose session is kept for `clientId`, if any. */
  ownerOf(clientId: string): string | undefined {
    return this.sessions.get(clientId)?.user;
  }

  /** Clean Start: the old session, if any, ends. */
  discard(clientId: string): void {
    const session = this.take(clientId);
    if (session === undefined) return;
    this.unpersist(session);
    session.dispose();
    this.ended?.(clientId);
  }

  /** The expiry timer (an entry point): a failure is logged and counted, never thrown into the timer. */
  expiredContained(session: StoredSession): void {
    try {
      this.expired(session);
    } catch (err) {
      this.stats.connectionErrors++;
      this.log.error({ err, clientId: session.clientId, user: session.user }, 'expiring a persistent session failed');
    }
  }

  expired(session: StoredSession): void {
    if (this.sessions.get(session.clientId) !== session) return;
    this.remove(session);
    this.unpersist(session);
    session.dispose();
    this.stats.mqttSessionsExpired++;
    this.ended?.(session.clientId);
  }

  /** Entitlements were reset for `user` (undefined: everyone): their kept sessions drop their cached read decisions. */
  refreshEntitlements(user: string | undefined): number {
    let n = 0;
    for (const session of this.sessions.values()) {
      if (user !== undefined && session.user !== user) continue;
      session.refreshEntitlements();
      n++;
    }
    return n;
  }

  /**
   * At shutdown: the kept sessions leave memory (the broker's store keeps them). Their
   * subscriptions are not taken out of the topic engine one by one, which goes with the broker:
   * with 100,000 sessions that took seconds.
   */
  clear(): void {
    for (const session of this.sessions.values()) {
      session.kept = false;
      session.stop();
    }
    this.sessions.clear();
    this.keptPerUser.clear();
    this.bytes = 0;
    this.queuedMessages = 0;
    this.orderSessions = [];
    this.orderPlaces = [];
    this.orderHead = 0;
    this.stats.mqttSessionHeldBytes = 0;
  }

  private remove(session: StoredSession): void {
    this.sessions.delete(session.clientId);
    decrement(this.keptPerUser, session.user);
    // Its FIFO entries go stale: `kept` is false from now on.
    session.kept = false;
    this.bytes -= session.heldBytes;
    this.queuedMessages -= session.queuedCount;
    this.stats.mqttSessionHeldBytes = this.bytes;
  }

  /** Remove `session`, its subscriptions and its messages from the broker's store. */
  private unpersist(session: StoredSession): void {
    this.unpersistRecords(session);
    for (const { place } of session.placedMessages()) this.store.removeMessage(session.clientId, place);
  }

  /** Remove `session`'s record and its subscriptions from the broker's store. */
  private unpersistRecords(session: StoredSession): void {
    this.store.removeSession(session.clientId);
    for (const subscription of session.storedSubscriptions)
      this.store.removeSubscription(session.clientId, subscription.filter);
  }

  /** A FIFO entry for a message of `session` queued at keep(), at `place`. */
  private enter(session: StoredSession, place: number): void {
    this.orderSessions.push(session);
    this.orderPlaces.push(place);
  }

  /** Over maxBytes: drop the messages that entered the store first, whichever session holds them. */
  private makeRoom(): void {
    while (this.bytes > this.limits.maxBytes && this.orderHead < this.orderSessions.length) {
      const session = this.orderSessions[this.orderHead]!;
      const place = this.orderPlaces[this.orderHead]!;
      this.orderHead++;
      // Live only if it is still this session's oldest queued message (a session drops from its head).
      if (!session.kept || session.oldestPlace !== place) continue;
      session.dropOldest();
      this.stats.mqttSessionStoreBytesDropped++;
    }
    if (this.orderHead > SWEEP_SLACK && this.orderHead * 2 > this.orderSessions.length) this.sweep();
  }

  /** Rebuild the FIFO with its live entries only. */
  private sweep(): void {
    const sessions: StoredSession[] = [];
    const places: number[] = [];
    for (let i = this.orderHead; i < this.orderSessions.length; i++) {
      const session = this.orderSessions[i]!;
      const place = this.orderPlaces[i]!;
      const oldest = session.oldestPlace;
      if (!session.kept || oldest === -1 || place < oldest) continue;
      sessions.push(session);
      places.push(place);
    }
    this.orderSessions = sessions;
    this.orderPlaces = places;
    this.orderHead = 0;
  }
}

/** The record of a kept session, expiring at `expiresAt` (null: its client is connected). */
export function sessionRecord(session: StoredSession, expiresAt: number | null): SessionRecord {
  return {
    clientId: session.clientId,
    user: session.user,
    listener: session.listener,
    expirySec: session.expirySec,
    expiresAt,
    incomingQos2: [...session.incomingQos2],
  };
}

function decrement(counts: Map<string, number>, user: string): void {
  const n = (counts.get(user) ?? 0) - 1;
  if (n > 0) counts.set(user, n);
  else counts.delete(user);
}
