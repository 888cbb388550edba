// Fills an LMDB store directly, through the broker's own LmdbStore and its put* methods, with the
// records the broker would have written (server/store/records.ts): retained messages and
// persistent sessions of absent clients, each with its subscriptions and a few queued QoS 1
// messages. Filling through a running broker would take minutes of client traffic; the records
// are the same either way.
import { LmdbStore } from '../../server/store/lmdb-store.js';
import type { QueuedRecord, RetainedRecord, SessionRecord, SubscriptionRecord } from '../../server/store/records.js';

export interface FillOptions {
  /** The store's directory (created if missing; must not be open in a broker). */
  path: string;
  retained: number;
  sessions: number;
  /** Per session: 1 to 10 subscriptions (`devices/<i>/cmd`, `fleet/<i mod 100>/+`, then `devices/<i>/cfg/<k>`). */
  subscriptionsPerSession: number;
  /** Per session: QoS 1 messages queued for the absent client. */
  queuedPerSession: number;
  payloadBytes: number;
  /** The MQTT listener the sessions belong to: the broker restores only its own listeners' sessions. */
  listener: string;
  /** Sessions per user name (within `mqtt.sessions.maxSessionsPerUser`, default 1000). */
  sessionsPerUser?: number;
  /** Session expiry, seconds (within `mqtt.sessions.maxExpirySec`, default 86,400). */
  expirySec?: number;
}

export interface FillResult {
  retained: number;
  sessions: number;
  messages: number;
  ms: number;
}

export function retainedTopic(i: number): string {
  return `retained/${Math.floor(i / 1000)}/${i}`;
}

export function sessionClientId(i: number): string {
  return `persisted-${i}`;
}

function subscriptions(clientId: string, i: number, count: number): SubscriptionRecord[] {
  const filters = [`devices/${i}/cmd`, `fleet/${i % 100}/+`];
  for (let k = 0; filters.length < count; k++) filters.push(`devices/${i}/cfg/${k}`);
  return filters
    .slice(0, count)
    .map((filter) => ({ clientId, filter, qos: 1, noLocal: false, retainAsPublished: false, subscriptionId: null }));
}

/** A QoS 1 message queued for `clientId`, not yet sent: the bench's record of a persisted message. */
export function queuedRecord(clientId: string, seq: number, topic: string, payload: Buffer): QueuedRecord {
  return {
    clientId,
    seq,
    topic,
    payload,
    qos: 1,
    retain: false,
    subscriptionIds: null,
    properties: null,
    packetId: null,
    released: false,
  };
}

export async function fillStore(o: FillOptions): Promise<FillResult> {
  if (!(o.subscriptionsPerSession >= 1 && o.subscriptionsPerSession <= 10))
    throw new Error('subscriptions per session must be in 1..10');
  const started = performance.now();
  const store = LmdbStore.open({ path: o.path, sync: 'none' }, null, null);
  const perUser = o.sessionsPerUser ?? 500;
  const expirySec = o.expirySec ?? 86_400;
  const payload = Buffer.alloc(o.payloadBytes, 0x61);
  let messages = 0;
  try {
    for (let i = 0; i < o.retained; i++) {
      const record: RetainedRecord = { topic: retainedTopic(i), payload, qos: 1, properties: null };
      store.putRetained(record);
    }
    // The sessions' clients went away "now": each expires expirySec from now.
    const expiresAt = Date.now() + expirySec * 1000;
    let seq = 0;
    for (let i = 0; i < o.sessions; i++) {
      const clientId = sessionClientId(i);
      const session: SessionRecord = {
        clientId,
        user: `device-user-${Math.floor(i / perUser)}`,
        listener: o.listener,
        expirySec,
        expiresAt,
        incomingQos2: [],
      };
      store.putSession(session);
      for (const subscription of subscriptions(clientId, i, o.subscriptionsPerSession))
        store.putSubscription(subscription);
      for (let k = 0; k < o.queuedPerSession; k++) {
        store.putMessage(queuedRecord(clientId, seq++, `devices/${i}/cmd`, payload));
        messages++;
      }
    }
  } finally {
    await store.close();
  }
  return { retained: o.retained, sessions: o.sessions, messages, ms: performance.now() - started };
}
