// A node of a Warden cluster (docs/cluster.md): the Redis connections, this node's interest and
// the replicated route table, the message bus, membership and leases, and the cluster-wide admin
// actions, put together; and what the node does when Redis goes away and comes back (rejoin).
import type { Logger } from 'pino';
import type { ClusterConfig } from '../config/index.js';
import type { Router } from '../delivery/router.js';
import type { SubscriptionEntry } from '../delivery/subscription-entry.js';
import type { BrokerStats } from '../stats.js';
import type { TlsProfiles } from '../tls/tls-profiles.js';
import type { TopicEngine, TopicLimits } from '../topics/index.js';
import { defaultNodeId } from '../config/cluster-schema.js';
import { ClusterControl, type ClusterActionResult, type ControlAction, type LocalActions } from './cluster-control.js';
import { ClusterKeys } from './cluster-keys.js';
import { ClusterRouter, type BusAdapter } from './cluster-router.js';
import { InterestTable } from './interest-table.js';
import { LocalInterest } from './local-interest.js';
import { Membership, type ClusterNodeView, type LocalCounters } from './membership.js';
import { MessageBus } from './message-bus.js';
import { connectRedis, redactedRedisUrl, type RedisConnections } from './redis-connection.js';
import { RemoteRoutes } from './remote-routes.js';
import { ClientRegistry } from './client-registry.js';
import { ClientTakeover } from './client-takeover.js';
import { ClusterConnectionLimits, type VhostCounts } from './cluster-limits.js';
import type { AdmissionCounts } from '../admission/connection-counts.js';
import type { TakeoverHost } from '../mqtt/cluster-clients.js';
import { RedisStore } from '../store/redis-store.js';
import type { SyncMode } from '../store/store.js';

/** Bytes of bus messages waiting for Redis at most (beyond: dropped and counted). */
export const MAX_BUS_BYTES = 64 * 1024 * 1024;

export interface ClusterDeps {
  readonly config: ClusterConfig;
  readonly tls: TlsProfiles | null;
  readonly stats: BrokerStats;
  readonly log: Logger;
  /** This node's topic engine: its subscriptions are the interest the cluster replicates. */
  readonly engine: TopicEngine<SubscriptionEntry, unknown>;
  readonly router: Router;
  readonly topicLimits: TopicLimits;
  readonly adapter: BusAdapter;
  readonly local: LocalActions;
  /** The MQTT adapter's side of a takeover: lets a client id go when another node takes it. */
  readonly takeovers: TakeoverHost;
  /** mqtt.clientIdOwnership, checked cluster-wide. */
  readonly clientIdOwnership: 'user' | 'any';
  /** This node's admitted connections (in all and per user), written to Redis when it (re)joins. */
  readonly admitted: () => AdmissionCounts;
  /** The same per vhost (docs/vhosts.md); empty without vhosts. */
  readonly vhostsAdmitted: () => readonly VhostCounts[];
  readonly counters: () => LocalCounters;
}

/** GET /admin/cluster. */
export interface ClusterView {
  readonly clustered: true;
  readonly node: string;
  readonly redis: { readonly url: string; readonly connected: boolean };
  readonly nodes: readonly (ClusterNodeView & { readonly patterns: number })[];
  /** This node's side of the bus (counters since start). */
  readonly bus: {
    readonly bytesInFlight: number;
    readonly messagesSent: number;
    readonly messagesReceived: number;
    readonly messagesDropped: number;
  };
}

export class Cluster {
  readonly nodeId: string;
  private readonly keys: ClusterKeys;
  private readonly local: LocalInterest;
  private readonly routes: RemoteRoutes;
  private readonly interest: InterestTable;
  private readonly bus: MessageBus;
  private readonly membership: Membership;
  private readonly control: ClusterControl;
  readonly router: ClusterRouter;
  /** Client ids and sessions across nodes, for the MQTT adapter. */
  readonly clients: ClientTakeover;
  /** Connection limits across nodes, for admission control. */
  readonly limits: ClusterConnectionLimits;
  /** The Redis store, once opened: takeovers read and claim sessions through it. */
  private store: RedisStore | null = null;
  /** Joined (join() done) and not closing: reconnections rejoin. */
  private active = false;
  private rejoining: Promise<void> | null = null;

  private constructor(
    private readonly deps: ClusterDeps,
    private readonly redis: RedisConnections,
    nodeId: string,
  ) {
    const { config, stats, log } = deps;
    this.nodeId = nodeId;
    this.keys = new ClusterKeys(config.namespace);
    const commands = redis.commands;
    this.routes = new RemoteRoutes(deps.topicLimits);
    this.local = new LocalInterest(() => this.interest.publishChanges());
    this.interest = new InterestTable(this.nodeId, commands, this.keys, this.local, this.routes, stats, log, (node) =>
      this.membership.noteAlive(node),
    );
    this.bus = new MessageBus(commands, this.keys, stats, log, MAX_BUS_BYTES);
    this.limits = new ClusterConnectionLimits(this.nodeId, commands, this.keys, config.leaseMs, stats, log);
    this.membership = new Membership(
      this.nodeId,
      commands,
      this.keys,
      config.leaseMs,
      deps.counters,
      {
        joined: (node) => {
          if (config.logMembership) log.info({ node }, 'cluster: node joined');
          this.interest.read(node);
        },
        left: (node) => {
          log.warn({ node }, 'cluster: node left (its lease ended, or it shut down)');
          this.routes.drop(node);
        },
      },
      log,
      () => this.rejoin('lease lapsed'),
      () => this.limits.renew(),
    );
    this.control = new ClusterControl(
      this.nodeId,
      commands,
      this.keys,
      deps.local,
      config.requestTimeoutMs,
      () => this.membership.liveOthers(),
      (node) => this.membership.forget(node),
      log,
      (request) => deps.takeovers.releaseForTakeover(request.clientId, request.discard),
    );
    this.clients = new ClientTakeover(
      commands,
      new ClientRegistry(commands, config.namespace, this.nodeId, (id) => this.clients.inUse(id, deps.takeovers)),
      this.control,
      () => this.store,
      deps.clientIdOwnership,
      stats,
      log,
      this.nodeId,
    );
    this.router = new ClusterRouter(
      this.nodeId,
      this.routes,
      this.local,
      this.bus,
      deps.adapter,
      () => this.membership.liveOthers(),
      (message) => deps.router.publishLocal(message),
      stats,
      log,
    );
  }

  /**
   * Connect to Redis (rejects when it cannot be reached) and start watching this node's
   * subscriptions; join() follows once the node's own state is restored.
   */
  static async connect(deps: ClusterDeps): Promise<Cluster> {
    const nodeId = deps.config.nodeId ?? defaultNodeId();
    const redis = await connectRedis(deps.config.redis, deps.tls, nodeId, deps.log);
    const cluster = new Cluster(deps, redis, nodeId);
    deps.engine.observer = cluster.local;
    return cluster;
  }

  /** Become a member: subscribe, announce this node's interest, learn the others', catch up on admin actions. */
  async join(): Promise<void> {
    const { subscriber, commands } = this.redis;
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.onMessage(channel.toString(), message));
    await subscriber.subscribe(
      this.keys.busChannel(this.nodeId),
      this.keys.replyChannel(this.nodeId),
      this.keys.directChannel(this.nodeId),
      this.keys.interestChannel,
      this.keys.controlChannel,
    );
    this.control.startFresh();
    await this.catchUp();
    this.deps.router.forwarder = this.router;
    this.active = true;
    // ioredis reconnects by itself (and resubscribes); what was missed meanwhile is read again.
    let lost = false;
    for (const connection of [commands, subscriber]) {
      connection.on('close', () => (lost = this.active));
      connection.on('ready', () => {
        if (!lost || commands.status !== 'ready' || subscriber.status !== 'ready') return;
        lost = false;
        this.rejoin('Redis reconnected');
      });
    }
    this.deps.log.info(
      {
        node: this.nodeId,
        redis: redactedRedisUrl(this.deps.config.redis.url),
        nodes: this.membership.liveOthers().length + 1,
      },
      'cluster: joined',
    );
  }

  private async catchUp(rejoining = false): Promise<void> {
    if (rejoining) {
      const released = await this.clients.reconcile(this.deps.takeovers);
      if (released > 0)
        this.deps.log.warn({ released }, 'cluster: clients taken over by other nodes while this one was away, let go');
    }
    await this.limits.rewrite(this.deps.admitted(), this.deps.vhostsAdmitted());
    await this.interest.announce();
    await this.membership.join();
    await this.interest.readAll(this.membership.liveOthers());
    await this.control.rejoin();
  }

  /** After losing Redis (or the lease): announce again, re-read the others, apply missed admin actions. */
  private rejoin(why: string): void {
    if (!this.active || this.rejoining !== null) return;
    this.deps.log.warn({ why }, 'cluster: rejoining');
    this.rejoining = this.catchUp(true)
      .then(() => this.deps.log.info({ nodes: this.membership.liveOthers().length + 1 }, 'cluster: rejoined'))
      .catch((err: unknown) =>
        this.deps.log.warn(
          { err: (err as Error).message },
          'cluster: rejoining failed; retried on the next reconnection',
        ),
      )
      .finally(() => (this.rejoining = null));
  }

  private onMessage(channel: string, message: Buffer): void {
    try {
      if (channel === this.keys.busChannel(this.nodeId)) this.router.receive(message);
      else if (channel === this.keys.interestChannel) this.interest.onAnnouncement(message.toString());
      else if (channel === this.keys.controlChannel) this.control.onControl(message.toString());
      else if (channel === this.keys.replyChannel(this.nodeId)) this.control.onReply(message.toString());
      else if (channel === this.keys.directChannel(this.nodeId)) this.control.onDirect(message.toString());
    } catch (err) {
      this.deps.log.error({ err, channel }, 'cluster: handling a message from Redis failed');
    }
  }

  /** Both connections to Redis are up (GET /readyz). */
  get connected(): boolean {
    return this.redis.commands.status === 'ready' && this.redis.subscriber.status === 'ready';
  }

  /** Run an admin action on every node. */
  run(action: ControlAction): Promise<ClusterActionResult> {
    return this.control.run(action);
  }

  /** GET /admin/cluster: the members as Redis has them; without Redis, this node's own view, said so. */
  async view(): Promise<ClusterView> {
    let nodes: readonly ClusterNodeView[];
    let connected = this.redis.commands.status === 'ready';
    try {
      if (!connected) throw new Error('not connected');
      nodes = await this.membership.view();
    } catch {
      connected = false;
      nodes = this.membership.localView();
    }
    const { stats } = this.deps;
    return {
      clustered: true,
      node: this.nodeId,
      redis: { url: redactedRedisUrl(this.deps.config.redis.url), connected },
      nodes: nodes.map((n) => ({ ...n, patterns: n.self ? this.local.size : this.routes.patternsOf(n.node) })),
      bus: {
        bytesInFlight: this.bus.bytesInFlight,
        messagesSent: stats.clusterMessagesSent,
        messagesReceived: stats.clusterMessagesReceived,
        messagesDropped: stats.clusterMessagesDropped,
      },
    };
  }

  /** The store of retained messages and sessions this node shares with the others (persistence.store: redis). */
  openStore(sync: SyncMode): RedisStore {
    this.store = new RedisStore(
      this.redis.commands,
      { prefix: this.keys.storePrefix, nodeId: this.nodeId, sync },
      this.deps.stats,
      this.deps.log.child({ component: 'store' }),
    );
    return this.store;
  }

  /** Leave in order (after the listeners closed): the others drop this node at once. */
  async close(): Promise<void> {
    this.active = false;
    this.deps.router.forwarder = null;
    if (this.deps.engine.observer === this.local) this.deps.engine.observer = null;
    this.bus.flush();
    this.control.close();
    try {
      await this.membership.leave();
      await this.control.announceLeave();
    } catch (err) {
      this.deps.log.warn(
        { err: (err as Error).message },
        'cluster: could not leave in order; the others wait for the lease to end',
      );
    }
    for (const connection of [this.redis.subscriber, this.redis.commands]) {
      if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
      else connection.disconnect();
    }
  }
}
