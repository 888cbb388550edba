// Everything MQTT keeps beyond a connection, behind one object the broker builds: retained
// messages, persistent sessions of absent clients, delayed wills, shared subscription groups and
// the client-id registry. The first three are written through to the broker's store
// (server/store/) and restored from it at start-up (restore()). It is each MQTT session's context (MqttContext), and it turns an accepted
// transport into a session. The broker core holds no MQTT state of its own.
import type { Logger } from 'pino';
import type { FilterSyntax } from '../content/filter/index.js';
import type { Admission } from '../admission/admission.js';
import type { MqttConfig, MqttListenerOptions } from '../config/index.js';
import type { DeliveryPlan } from '../delivery/delivery-plan.js';
import type { Router } from '../delivery/router.js';
import type { SubscriptionEntry } from '../delivery/subscription-entry.js';
import type { ListenerGates } from '../gates/listener-gates.js';
import type { ListenerVhostGates } from '../gates/vhost-gates.js';
import type { SessionContext } from '../session/session-context.js';
import type { BrokerStats } from '../stats.js';
import type { Timers } from '../timers.js';
import type { RegexBudget, TopicEngine, TopicLimits } from '../topics/index.js';
import type { TransportConnection } from '../transports/transport.js';
import { DelayedWills } from './delayed-wills.js';
import type { ClientIdHolder, MqttContext } from './mqtt-context.js';
import { MqttConnection } from './mqtt-connection.js';
import { MqttSession } from './mqtt-session.js';
import { RetainedStore } from './retained-store.js';
import { SessionStore } from './session-store.js';
import { SharedGroups } from './shared-groups.js';
import { TimeoutWheel } from '../timeout-wheel.js';
import type { BrokerStore } from '../store/store.js';
import { Message } from '../delivery/message.js';
import { Payload } from '../delivery/payload.js';
import { MqttMessage } from './mqtt-message.js';
import { routeAcceptedPublish } from './publish-handler.js';
import { restoreSession, restoreState, type RestoredCounts } from './restore-state.js';
import type { ClusterClients, TakeoverHost } from './cluster-clients.js';
import type { SessionRecords } from '../store/redis-store.js';

/** Retained messages read from the store per turn of the event loop at start-up (about 10 ms of work). */
const RETAINED_CHUNK = 2000;

export class MqttService implements MqttContext, TakeoverHost {
  readonly engine: TopicEngine<SubscriptionEntry, DeliveryPlan>;
  readonly router: Router;
  readonly topicLimits: TopicLimits;
  readonly regexBudget: RegexBudget;
  readonly stats: BrokerStats;
  readonly log: Logger;
  readonly maxPendingDeliveries: number;
  /** Unused by MQTT (its subscriptions carry no filter); part of the session context. */
  readonly filterSyntax: FilterSyntax;
  readonly admission: Admission;
  readonly timers: Timers;
  readonly retained: RetainedStore;
  readonly delayedWills: DelayedWills;
  readonly persistentSessions: SessionStore;
  readonly sharedGroups: SharedGroups;
  readonly clientIdOwnership: 'user' | 'any';
  readonly timeouts: TimeoutWheel;
  private readonly clients = new Map<string, ClientIdHolder>();
  private closed = false;
  /** Set when the broker joined a cluster. */
  cluster: ClusterClients | null = null;
  /** Each MQTT listener's gates, by name (restore() is given them): adopted sessions need theirs. */
  private gatesByListener: ReadonlyMap<string, ListenerGates> = new Map();

  constructor(
    private readonly core: SessionContext,
    config: MqttConfig,
    /** Where retained messages, kept sessions and delayed wills are written through. */
    readonly store: BrokerStore,
  ) {
    const { stats, log } = core;
    this.engine = core.engine;
    this.router = core.router;
    this.topicLimits = core.topicLimits;
    this.regexBudget = core.regexBudget;
    this.stats = stats;
    this.log = log;
    this.maxPendingDeliveries = core.maxPendingDeliveries;
    this.filterSyntax = core.filterSyntax;
    this.admission = core.admission;
    this.timers = core.timers;
    // Each entry contains its own errors (MqttConnection, MqttSession); this only logs a slip.
    this.timeouts = new TimeoutWheel(core.timers, undefined, (err) =>
      log.error({ err }, 'an MQTT connection timeout failed'),
    );
    this.persistentSessions = new SessionStore(
      config.sessions,
      stats,
      log.child({ component: 'mqtt-sessions' }),
      core.timers,
      store,
    );
    this.sharedGroups = new SharedGroups(core.engine, stats, log.child({ component: 'mqtt-shared' }));
    this.clientIdOwnership = config.clientIdOwnership;
    // In a cluster, a client id nothing holds here any more is released cluster-wide (mayBeFree).
    this.persistentSessions.ended = (clientId) => this.mayBeFree(clientId);
    this.delayedWills = new DelayedWills(config.maxDelayedWills, stats, core.timers, store);
    this.delayedWills.published = (clientId) => this.mayBeFree(clientId);
    this.retained = new RetainedStore(
      config.retained,
      stats,
      log.child({ component: 'mqtt-retained' }),
      core.timers,
      store,
    );
  }

  /**
   * At start-up, before the listeners open: load what the store kept (retained messages,
   * persistent sessions, delayed wills); sessions and wills need their listener's gates.
   */
  async restore(gatesByListener: ReadonlyMap<string, ListenerGates>): Promise<RestoredCounts> {
    this.gatesByListener = gatesByListener;
    const state = await this.store.load({ retained: false });
    return restoreState(this, state, gatesByListener, this.store, this.log.child({ component: 'mqtt-restore' }));
  }

  newSessionId(): string {
    return this.core.newSessionId();
  }

  /** A new connection on an MQTT listener: its session, and the connection the transport feeds (its handler). */
  accept(
    transport: TransportConnection,
    listenerName: string,
    options: MqttListenerOptions,
    gates: ListenerGates,
    onGone: (session: MqttSession) => void,
    vhosts: ListenerVhostGates | null = null,
  ): { session: MqttSession; connection: MqttConnection } {
    const connection = new MqttConnection(transport, options.maxPacketBytes, this.timeouts);
    const session = new MqttSession(connection, listenerName, options, gates, this, onGone, vhosts);
    return { session, connection };
  }

  claimClientId(clientId: string, session: ClientIdHolder): ClientIdHolder | undefined {
    const previous = this.clients.get(clientId);
    this.clients.set(clientId, session);
    return previous === session ? undefined : previous;
  }

  clientSession(clientId: string): ClientIdHolder | undefined {
    return this.clients.get(clientId);
  }

  releaseClientId(clientId: string, session: ClientIdHolder): void {
    if (this.clients.get(clientId) !== session) return;
    this.clients.delete(clientId);
    this.mayBeFree(clientId);
  }

  /** In a cluster: a client id nothing holds here any more is released cluster-wide. */
  private mayBeFree(clientId: string): void {
    if (this.cluster === null || this.closed || this.holds(clientId)) return;
    this.cluster.released(clientId);
  }

  holds(clientId: string): boolean {
    return (
      this.clients.has(clientId) ||
      this.persistentSessions.has(clientId) ||
      this.delayedWills.ownerOf(clientId) !== undefined
    );
  }

  adoptSession(records: SessionRecords): boolean {
    const { session, subscriptions, messages, will } = records;
    const restored = restoreSession(
      this,
      session,
      subscriptions,
      messages,
      this.gatesByListener,
      this.store,
      this.log.child({ component: 'mqtt-takeover' }),
      this.timers.now(),
    );
    if (restored < 0) {
      this.store.removeSession(session.clientId);
      for (const s of subscriptions) this.store.removeSubscription(s.clientId, s.filter);
      for (const m of messages) this.store.removeMessage(m.clientId, m.seq);
    }
    this.persistentSessions.finishRestore();
    // A will waiting for its delay went with the session's old connection: the new one cancels it anyway.
    if (will !== null) this.store.removeWill(will.clientId);
    return restored >= 0;
  }

  liveClientIds(): string[] {
    return [...this.clients.keys()];
  }

  keptClientIds(): string[] {
    return this.persistentSessions.clientIds();
  }

  /** Another node took `clientId` over: its connection here closes, its session leaves (discarded, or left in the store). */
  async releaseForTakeover(clientId: string, discard: boolean): Promise<void> {
    this.clients.get(clientId)?.takenOver();
    this.delayedWills.cancel(clientId);
    if (discard) this.persistentSessions.discard(clientId);
    else this.persistentSessions.take(clientId)?.dispose();
    await this.store.whenDurable();
  }

  /** After an entitlement reset: the kept sessions of absent clients are entitled afresh, as a reconnection would be. */
  refreshEntitlements(user: string | undefined): void {
    this.persistentSessions.refreshEntitlements(user);
  }

  /**
   * After the listeners opened: the store's retained messages, read in chunks, one chunk a turn,
   * so that clients are served meanwhile. A retained publish made meanwhile wins over the stored
   * one, and subscriptions made meanwhile get their retained messages when it is done. Resolves
   * with how many were restored (stops early, with what it has, when the service closes).
   */
  async restoreRetained(): Promise<number> {
    const retained = this.retained;
    // Counted, not retained.size: $SYS values and live retained publishes are there too.
    let restored = 0;
    retained.beginRestore();
    try {
      let next: string | null = null;
      do {
        // A turn of the event loop between chunks: connections are served meanwhile.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.closed) break;
        const chunk = await this.store.readRetained(next, RETAINED_CHUNK);
        restored += retained.restore(chunk.records);
        next = chunk.next;
      } while (next !== null);
    } finally {
      retained.endRestore();
    }
    return restored;
  }

  /**
   * A `$SYS` value (sys/sys-topics.ts): retained on this node only (not written to the store, not
   * sent to other nodes: each node has its own) and delivered to its subscribers here.
   */
  publishSys(topic: string, text: string): void {
    const payload = Buffer.from(text, 'utf8');
    const message = new Message(topic, Payload.ofBytes(payload), this.stats);
    MqttMessage.attach(message, null, 0, true, false, null);
    this.retained.replicate(topic, payload, 0, null);
    this.stats.deliveries += this.router.publishLocal(message);
  }

  /**
   * An accepted publish from another protocol with MQTT's retain flag (HTTP publish, `retain:
   * true`): kept as the topic's retained message (an empty payload clears it) and routed, as an
   * MQTT PUBLISH with retain 1 and QoS 0 from no session is. Counted in messagesPublished.
   */
  publishRetained(message: Message): number {
    const mqtt = MqttMessage.attach(message, null, 0, true, false, null);
    return routeAcceptedPublish(this, mqtt, mqtt.payload());
  }

  /** At shutdown, after the connections closed: pending wills and kept sessions leave memory (the store keeps them). */
  close(): void {
    this.closed = true;
    this.delayedWills.clear();
    this.persistentSessions.clear();
  }
}
