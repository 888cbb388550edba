// Persistent MQTT sessions whose clients are away, by client id, until they resume or expire
// (Session Expiry Interval, capped by mqtt.sessions.maxExpirySec). Bounded by
// mqtt.sessions.maxSessions: a session that would exceed it is not kept (logged, counted).
import type { Logger } from 'pino';
import type { MqttConfig } from '../config/index.js';
import type { BrokerStats } from '../stats.js';
import type { StoredSession } from './stored-session.js';

export type SessionLimits = MqttConfig['sessions'];

export class SessionStore {
  private readonly sessions = new Map<string, StoredSession>();

  constructor(
    readonly limits: SessionLimits,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Keep `session` for `expirySec` seconds. Returns false (and drops it) when the store is full. */
  keep(session: StoredSession, expirySec: number): boolean {
    this.discard(session.clientId);
    if (this.sessions.size >= this.limits.maxSessions) {
      this.stats.mqttSessionsNotKept++;
      this.log.warn({ clientId: session.clientId, user: session.user, sessions: this.sessions.size }, 'persistent session store full (mqtt.sessions.maxSessions): session not kept');
      session.dispose();
      return false;
    }
    this.sessions.set(session.clientId, session);
    session.expiryTimer = setTimeout(expire, expirySec * 1000, this, session);
    session.expiryTimer.unref();
    return true;
  }

  /** The session kept for `clientId`, removed from the store (its subscriptions stay until the caller disposes it). */
  take(clientId: string): StoredSession | undefined {
    const session = this.sessions.get(clientId);
    if (session === undefined) return undefined;
    this.sessions.delete(clientId);
    if (session.expiryTimer !== null) clearTimeout(session.expiryTimer);
    session.expiryTimer = null;
    return session;
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
    this.sessions.delete(session.clientId);
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
    for (const session of this.sessions.values()) session.dispose();
    this.sessions.clear();
  }
}

function expire(store: SessionStore, session: StoredSession): void {
  store.expiredContained(session);
}
