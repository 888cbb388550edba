// At start-up, before the listeners open: what the broker's store kept comes back (retained
// messages follow in the background: MqttService.restoreRetained). Each persistent session is rebuilt with its subscriptions
// in the topic engine (so messages for its absent client queue again at once), its queued and
// in-flight messages, and the rest of its expiry, which kept counting while the broker was down;
// each delayed will is scheduled for the rest of its delay. Today's bounds apply: what no longer
// fits, what expired while the broker was down, and what belongs to a listener the config no
// longer has are removed from the store, counted and logged.
import { restoreGatesKey } from '../gates/vhost-gates.js';
import { VhostNamespace } from '../vhosts/vhost-namespace.js';
import type { Logger } from 'pino';
import type { ListenerGates } from '../gates/listener-gates.js';
import type { PublishGate } from '../gates/publish-gate.js';
import type { BrokerStore, StoredState } from '../store/store.js';
import type { QueuedRecord, SessionRecord, SubscriptionRecord, WillRecord } from '../store/records.js';
import type { WillPublisher } from './client-session.js';
import type { MqttContext } from './mqtt-context.js';
import type { InflightPublish, OutgoingPublish } from './outbound.js';
import { inflightOf, outgoingOf, subscriptionOf, willOf } from './persisted-records.js';
import { sessionRecord } from './session-store.js';
import { StoredSession } from './stored-session.js';
import { publishWill } from './will-message.js';

export interface RestoredCounts {
  sessions: number;
  messages: number;
  wills: number;
  /** Records removed: expired while the broker was down, over today's bounds, or for a listener that is gone. */
  dropped: number;
}

export function restoreState(
  ctx: MqttContext,
  state: StoredState,
  gatesByListener: ReadonlyMap<string, ListenerGates>,
  store: BrokerStore,
  log: Logger,
): RestoredCounts {
  const counts: RestoredCounts = { sessions: 0, messages: 0, wills: 0, dropped: 0 };
  const droppedBefore = ctx.stats.storeRecordsDropped;

  const messagesOf = byClient(state.messages);
  const subscriptionsOf = byClient(state.subscriptions);
  const now = ctx.timers.now();
  for (const record of state.sessions) {
    const messages = messagesOf.get(record.clientId) ?? [];
    messagesOf.delete(record.clientId);
    const subscriptions = subscriptionsOf.get(record.clientId) ?? [];
    subscriptionsOf.delete(record.clientId);
    const restored = restoreSession(ctx, record, subscriptions, messages, gatesByListener, store, log, now);
    if (restored < 0) {
      store.removeSession(record.clientId);
      for (const s of subscriptions) store.removeSubscription(s.clientId, s.filter);
      for (const m of messages) store.removeMessage(m.clientId, m.seq);
      continue;
    }
    counts.sessions++;
    counts.messages += restored;
  }
  // Records whose session record is gone (a crash between the writes cannot make these: they share a transaction).
  for (const orphans of messagesOf.values())
    for (const m of orphans) {
      store.removeMessage(m.clientId, m.seq);
      ctx.stats.storeRecordsDropped++;
    }
  for (const orphans of subscriptionsOf.values())
    for (const s of orphans) {
      store.removeSubscription(s.clientId, s.filter);
      ctx.stats.storeRecordsDropped++;
    }
  ctx.persistentSessions.finishRestore();

  for (const record of state.wills) {
    if (restoreWill(ctx, record, gatesByListener, store, log, now)) counts.wills++;
  }
  counts.dropped = ctx.stats.storeRecordsDropped - droppedBefore;
  return counts;
}

/** Rebuild one kept session; returns how many messages it holds, or -1 when it is not kept (the caller removes it). */
export function restoreSession(
  ctx: MqttContext,
  record: SessionRecord,
  subscriptions: readonly SubscriptionRecord[],
  messages: readonly QueuedRecord[],
  gatesByListener: ReadonlyMap<string, ListenerGates>,
  store: BrokerStore,
  log: Logger,
  now: number,
): number {
  const gates = gatesByListener.get(restoreGatesKey(record.listener, VhostNamespace.namespaceOf(record.clientId)));
  if (gates === undefined) {
    ctx.stats.storeRecordsDropped++;
    log.warn(
      { clientId: record.clientId, user: record.user, listener: record.listener },
      'a stored MQTT session belongs to a listener the config no longer has: removed',
    );
    return -1;
  }
  // A session whose client was connected when the broker stopped counts from the restart.
  const expiresAt = record.expiresAt ?? now + record.expirySec * 1000;
  if (expiresAt <= now) {
    ctx.stats.mqttSessionsExpired++;
    return -1;
  }
  const inflight = new Map<number, InflightPublish>();
  const inflightPlaces = new Map<number, number>();
  const queued: OutgoingPublish[] = [];
  const queuedPlaces: number[] = [];
  for (const m of messages) {
    const out = outgoingOf(m);
    // [MQTT-3.3.2-5] expired while the broker was down: not sent.
    if (out.isExpired(now)) {
      ctx.stats.mqttMessagesExpired++;
      store.removeMessage(m.clientId, m.seq);
      continue;
    }
    if (m.packetId !== null && !inflight.has(m.packetId)) {
      inflight.set(m.packetId, inflightOf(m));
      inflightPlaces.set(m.packetId, m.seq);
    } else {
      queued.push(out);
      queuedPlaces.push(m.seq);
    }
  }
  const session = new StoredSession(
    ctx,
    record.clientId,
    record.user,
    record.listener,
    record.expirySec,
    gates,
    ctx.persistentSessions,
    inflight,
    queued,
    new Set(record.incomingQos2),
  );
  session.expiresAt = expiresAt;
  session.restorePlaces(queuedPlaces, inflightPlaces);
  for (const subscription of subscriptions) {
    const parsed = subscriptionOf(subscription, ctx.topicLimits);
    if (typeof parsed === 'string') {
      store.removeSubscription(subscription.clientId, subscription.filter);
      log.warn(
        { clientId: record.clientId, filter: subscription.filter, reason: parsed },
        "a stored MQTT subscription is not valid under today's topic limits: dropped",
      );
      continue;
    }
    session.subscribe(parsed);
  }
  if (!ctx.persistentSessions.restore(session)) {
    session.dispose();
    ctx.stats.storeRecordsDropped++;
    return -1;
  }
  // From now on its expiry counts from this start, also across a further crash.
  if (record.expiresAt === null) store.putSession(sessionRecord(session, expiresAt));
  return inflight.size + queued.length;
}

/** `records` grouped by client id, each group in the store's order. */
function byClient<T extends { readonly clientId: string }>(records: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const record of records) {
    let list = groups.get(record.clientId);
    if (list === undefined) groups.set(record.clientId, (list = []));
    list.push(record);
  }
  return groups;
}

/** Schedule one waiting will for the rest of its delay (at once when it fell due while the broker was down). */
function restoreWill(
  ctx: MqttContext,
  record: WillRecord,
  gatesByListener: ReadonlyMap<string, ListenerGates>,
  store: BrokerStore,
  log: Logger,
  now: number,
): boolean {
  const gates = gatesByListener.get(restoreGatesKey(record.listener, VhostNamespace.namespaceOf(record.clientId)));
  if (gates === undefined) {
    ctx.stats.storeRecordsDropped++;
    store.removeWill(record.clientId);
    log.warn(
      { clientId: record.clientId, user: record.user, listener: record.listener },
      'a stored will belongs to a listener the config no longer has: removed, not published',
    );
    return false;
  }
  const publisher = new RestoredWillPublisher(ctx, record.user, gates, `restored-will-${record.clientId}`);
  const will = willOf(record);
  const left = record.publishAt - now;
  ctx.delayedWills.schedule(
    record.clientId,
    left > 0 ? left : 0,
    () => {
      try {
        publishWill(publisher, will);
      } catch (err) {
        ctx.stats.connectionErrors++;
        log.error({ err, clientId: record.clientId, topic: record.topic }, 'publishing a restored will failed');
      }
    },
    record.user,
    null,
  );
  return true;
}

/** The user of a will restored from the store, publishing through her listener's gates as her connection would have. */
class RestoredWillPublisher implements WillPublisher {
  private gate: PublishGate | null = null;

  constructor(
    readonly ctx: MqttContext,
    readonly user: string,
    private readonly gates: ListenerGates,
    readonly id: string,
  ) {}

  get publishGate(): PublishGate {
    return (this.gate ??= this.gates.publishGate('mqtt'));
  }

  readonly onInvalidRules = (err: unknown): void => {
    this.ctx.log.warn({ err, user: this.user }, 'write entitlement rules do not compile; the will is not published');
  };
}
