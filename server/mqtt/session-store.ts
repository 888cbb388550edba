// Persistent MQTT sessions whose clients are away, by client id, until they resume or expire
// (Session Expiry Interval, capped by mqtt.sessions.maxExpirySec). Bounded by
// mqtt.sessions.maxSessions and, per user, maxSessionsPerUser: a session that would exceed either
// is not kept (logged, counted). The bytes their messages hold are bounded per session
// (maxQueuedBytes, see StoredSession) and over the whole store (maxBytes): beyond it the messages
// that entered the store first are dropped, whichever session holds them (counted).
//
// The store's order is a FIFO of (session, place) entries, one per queued message, in the order
// they entered the store. An entry goes stale when its message leaves otherwise (dropped by its
// session's own caps, or taken back on resumption); stale entries are skipped when met and swept
// when they outnumber the live ones, so the FIFO stays proportional to what is queued.
import type { Logger } from 'pino';
import type { MqttConfig } from '../config/index.js';
import type { BrokerStats } from '../stats.js';
import type { Timers } from '../timers.js';
import type { StoredSession, StoreLedger } from './stored-session.js';

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
  ) {}

  get size(): number {
    return this.sessions.size;
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
    if (this.sessions.size >= this.limits.maxSessions) {
      this.stats.mqttSessionsNotKept++;
      this.log.warn(
        { clientId: session.clientId, user: session.user, sessions: this.sessions.size },
        'persistent session store full (mqtt.sessions.maxSessions): session not kept',
      );
      session.dispose();
      return false;
    }
    // mayPersist counted this one at CONNECT; this holds if connections raced past it.
    if ((this.keptPerUser.get(session.user) ?? 0) >= this.limits.maxSessionsPerUser) {
      this.stats.mqttSessionsOverUserLimit++;
      this.log.warn(
        { clientId: session.clientId, user: session.user },
        'persistent sessions per user reached (mqtt.sessions.maxSessionsPerUser): session not kept',
      );
      session.dispose();
      return false;
    }
    session.trimToByteCap();
    this.sessions.set(session.clientId, session);
    this.keptPerUser.set(session.user, (this.keptPerUser.get(session.user) ?? 0) + 1);
    session.kept = true;
    this.bytes += session.heldBytes;
    this.queuedMessages += session.queuedCount;
    session.placeQueued(() => this.enter(session));
    this.stats.mqttSessionHeldBytes = this.bytes;
    this.makeRoom();
    // Only messages in flight are left, and they are over the store's bound: this session's go.
    while (this.bytes > this.limits.maxBytes && session.dropOldestInflight() > 0)
      this.stats.mqttSessionStoreBytesDropped++;
    session.expiryTimer = this.timers.setTimeout(() => this.expiredContained(session), expirySec * 1000);
    return true;
  }

  /** The next place in the store's order (StoredSession.sendNow). */
  nextPlace(): number {
    return this.place++;
  }

  /** `session` queued a message of `size` bytes at `place` (from nextPlace()). */
  added(session: StoredSession, size: number, place: number): void {
    if (!session.kept) return;
    this.bytes += size;
    this.queuedMessages++;
    this.orderSessions.push(session);
    this.orderPlaces.push(place);
    this.stats.mqttSessionHeldBytes = this.bytes;
    if (this.orderSessions.length - this.orderHead > 2 * this.queuedMessages + SWEEP_SLACK) this.sweep();
    this.makeRoom();
  }

  /** `session` dropped a message of `size` bytes, `queued` or in flight (its own caps, or the store's). */
  released(session: StoredSession, size: number, queued: boolean): void {
    if (!session.kept) return;
    this.bytes -= size;
    if (queued) this.queuedMessages--;
    this.stats.mqttSessionHeldBytes = this.bytes;
  }

  /** The session kept for `clientId`, removed from the store (its subscriptions stay until the caller disposes it). */
  take(clientId: string): StoredSession | undefined {
    const session = this.sessions.get(clientId);
    if (session === undefined) return undefined;
    this.remove(session);
    if (session.expiryTimer !== null) this.timers.clearTimeout(session.expiryTimer);
    session.expiryTimer = null;
    return session;
  }

  /** The user whose session is kept for `clientId`, if any. */
  ownerOf(clientId: string): string | undefined {
    return this.sessions.get(clientId)?.user;
  }

  /** Clean Start: the old session, if any, ends. */
  discard(clientId: string): void {
    this.take(clientId)?.dispose();
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
    session.dispose();
    this.stats.mqttSessionsExpired++;
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

  clear(): void {
    for (const session of this.sessions.values()) {
      session.kept = false;
      session.dispose();
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

  /** A FIFO entry for the next message of `session` queued at keep(); returns its place. */
  private enter(session: StoredSession): number {
    const place = this.place++;
    this.orderSessions.push(session);
    this.orderPlaces.push(place);
    return place;
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

function decrement(counts: Map<string, number>, user: string): void {
  const n = (counts.get(user) ?? 0) - 1;
  if (n > 0) counts.set(user, n);
  else counts.delete(user);
}
