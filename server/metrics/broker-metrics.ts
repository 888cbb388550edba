// GET /metrics: the broker in Prometheus' text format (docs/metrics.md). Every value but the
// module-call metrics is read when scraped, from the counters the broker keeps anyway
// (BrokerStats, the entitlement cache, the MQTT stores) and from a walk of the open connections.
import type { SysVhost } from '../sys/sys-topics.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { EntitlementStatus, ModuleHealthEntry } from '../admin/admin-actions.js';
import type { ConnectionProtocol } from '../admin/connection-list.js';
import type { BrokerStats } from '../stats.js';
import type { ShadowSummary } from '../security/module-types.js';
import { SHADOW_DIFFERENCE_KINDS } from '../security/entitlement/shadow-recorder.js';
import { ModuleCallMetrics } from './module-call-metrics.js';
import { pulledCounter, pulledGauge, single, type Sample } from './pulled-metrics.js';

/** What a connection tells the metrics; read only at a scrape. */
export interface MeteredConnection {
  readonly isOpen: boolean;
  readonly listenerName: string;
  readonly protocol: ConnectionProtocol;
  readonly queuedBytes: number;
}

/** Where the metrics read from. */
export interface MetricsSource {
  readonly stats: BrokerStats;
  connections(): Iterable<MeteredConnection>;
  entitlementStatus(): EntitlementStatus;
  /** The modules that ask a remote service: their circuit breakers and stale answers. */
  moduleHealth(): readonly ModuleHealthEntry[];
  subscriptions(): number;
  storedSessions(): number;
  retainedMessages(): number;
  retainedBytes(): number;
  /** The shadow policies' counts (docs/entitlement.md#shadow-policy); empty when there are none. */
  shadowSummaries(): readonly Pick<ShadowSummary, 'comparisons' | 'byKind'>[];
  /** The vhosts (docs/vhosts.md); empty without them. */
  vhosts(): readonly SysVhost[];
}

/** Fields of BrokerStats that are levels (gauges); the others only grow (counters). */
const STAT_GAUGES: ReadonlySet<string> = new Set([
  'connectionsOpen',
  'admittedConnections',
  'logonChecksInFlight',
  'logonChecksQueued',
  'unauthenticatedConnections',
  'regexSubscriptions',
  'regexPatterns',
  'regexProgramSize',
  'routeCacheBytes',
  'mqttSessionHeldBytes',
  'httpBufferedBytes',
]);

const CIRCUIT_STATE_VALUE: Readonly<Record<ModuleHealthEntry['circuit'], number>> = {
  closed: 0,
  open: 1,
  'half-open': 2,
};

function snakeCase(name: string): string {
  return name.replace(/[A-Z0-9]+/g, (upper) => `_${upper.toLowerCase()}`);
}

export class BrokerMetrics {
  readonly registry = new Registry();
  /** Told of every security module call (the broker passes it to the SecurityManager). */
  readonly moduleCalls = new ModuleCallMetrics(this.registry);
  private processMetricsStarted = false;

  constructor(
    private readonly source: MetricsSource,
    /** Node.js process metrics (prom-client's defaults, event-loop lag among them), started at the first scrape. */
    private readonly processMetrics: boolean,
    version: string,
    /** This node's id in its cluster (known once it joined), or null. */
    node: () => string | null,
  ) {
    pulledGauge(this.registry, {
      name: 'warden_info',
      help: "The broker's version, and its node id in a cluster (always 1)",
      labelNames: ['version', 'node'],
      read: () => [[{ version, node: node() ?? '' }, 1]],
    });
    this.registerConnections();
    this.registerTraffic();
    this.registerEntitlements();
    this.registerModuleHealth();
    this.registerState();
    this.registerStats();
    this.registerVhosts();
  }

  /** Per vhost: its connections, and its clients' publishes and their deliveries (docs/vhosts.md). */
  private registerVhosts(): void {
    const { registry, source } = this;
    const perVhost = (value: (vhost: SysVhost) => number) => (): Sample<'vhost'>[] =>
      source.vhosts().map((vhost): Sample<'vhost'> => [{ vhost: vhost.name }, value(vhost)]);
    pulledGauge(registry, {
      name: 'warden_vhost_connections',
      help: 'Connections admitted into each vhost',
      labelNames: ['vhost'],
      read: perVhost((v) => v.limits.connections),
    });
    pulledCounter(registry, {
      name: 'warden_vhost_messages_received_total',
      help: "Publishes accepted from each vhost's clients",
      labelNames: ['vhost'],
      read: perVhost((v) => v.counters.messagesReceived),
    });
    pulledCounter(registry, {
      name: 'warden_vhost_deliveries_total',
      help: "Deliveries made by each vhost's clients' publishes",
      labelNames: ['vhost'],
      read: perVhost((v) => v.counters.deliveries),
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text. */
  async render(): Promise<string> {
    if (this.processMetrics && !this.processMetricsStarted) {
      // At the first scrape, not at start: its event-loop monitor runs for good once started.
      this.processMetricsStarted = true;
      collectDefaultMetrics({ register: this.registry });
    }
    return this.registry.metrics();
  }

  private registerConnections(): void {
    const { registry, source } = this;
    const stats = source.stats;
    pulledGauge(registry, {
      name: 'warden_connections',
      help: 'Open client connections, by listener and protocol',
      labelNames: ['listener', 'protocol'],
      read: () => {
        const counts = new Map<string, [string, ConnectionProtocol, number]>();
        for (const c of source.connections()) {
          if (!c.isOpen) continue;
          const key = `${c.listenerName}\u0000${c.protocol}`;
          const entry = counts.get(key);
          if (entry === undefined) counts.set(key, [c.listenerName, c.protocol, 1]);
          else entry[2]++;
        }
        return [...counts.values()].map(([listener, protocol, n]): Sample<'listener' | 'protocol'> => [
          { listener, protocol },
          n,
        ]);
      },
    });
    pulledGauge(registry, {
      name: 'warden_queued_bytes',
      help: 'Bytes waiting to be sent to clients, over all connections',
      read: () => {
        let bytes = 0;
        for (const c of source.connections()) if (c.isOpen) bytes += c.queuedBytes;
        return single(bytes);
      },
    });
    pulledCounter(registry, {
      name: 'warden_connections_accepted_total',
      help: 'Client connections accepted (before admission and logon)',
      read: () => single(stats.connectionsAccepted),
    });
    pulledCounter(registry, {
      name: 'warden_connections_refused_total',
      help: 'Connections closed by admission before any logon, by reason',
      labelNames: ['reason'],
      read: () => [
        [{ reason: 'protocol_disabled' }, stats.connectionsRefusedProtocol],
        [{ reason: 'connection_rate' }, stats.connectionsRefusedRate],
        [{ reason: 'unauthenticated_limit' }, stats.connectionsRefusedUnauthenticated],
      ],
    });
    pulledCounter(registry, {
      name: 'warden_logons_total',
      help: 'Logons accepted (native logon, MQTT CONNECT)',
      read: () => single(stats.logons),
    });
    pulledCounter(registry, {
      name: 'warden_logon_refusals_total',
      help: 'Logons refused, by reason',
      labelNames: ['reason'],
      read: () => [
        [{ reason: 'credentials' }, stats.logonsRejected],
        [{ reason: 'not_entitled' }, stats.logonsNotEntitled],
        [{ reason: 'module_failure' }, stats.logonsModuleFailed],
        [{ reason: 'protocol' }, stats.logonsRefusedProtocol],
        [{ reason: 'logon_queue_full' }, stats.logonsRefusedBusy],
        [{ reason: 'backoff' }, stats.logonsRefusedBlocked],
        [{ reason: 'user_not_allowed' }, stats.connectionsRefusedUser],
        [{ reason: 'host_not_allowed' }, stats.connectionsRefusedHost],
        [{ reason: 'connection_limit' }, stats.connectionsRefusedLimit],
        [{ reason: 'timeout' }, stats.logonTimeouts],
      ],
    });
  }

  private registerTraffic(): void {
    const { registry, source } = this;
    const stats = source.stats;
    pulledCounter(registry, {
      name: 'warden_messages_received_total',
      help: 'Publishes accepted from clients (entitled, within limits)',
      read: () => single(stats.messagesPublished),
    });
    pulledCounter(registry, {
      name: 'warden_deliveries_total',
      help: 'Messages queued to subscribers (one per message per receiving connection)',
      read: () => single(stats.deliveries),
    });
    pulledCounter(registry, {
      name: 'warden_denials_total',
      help: 'Publishes and subscriptions refused, by entitlement action and reason',
      labelNames: ['action', 'reason'],
      read: () => [
        [{ action: 'write', reason: 'not_entitled' }, stats.publishesDenied],
        [{ action: 'write', reason: 'filter' }, stats.publishesFiltered],
        [{ action: 'write', reason: 'message_too_large' }, stats.publishesTooLarge],
        [{ action: 'write', reason: 'topic_rate' }, stats.publishesOverTopicLimit],
        [{ action: 'read', reason: 'not_entitled' }, stats.subscriptionsDenied],
        [{ action: 'read', reason: 'subscription_limit' }, stats.subscriptionsOverLimit],
        [{ action: 'read', reason: 'regex_budget' }, stats.regexSubscriptionsRefused],
      ],
    });
    pulledCounter(registry, {
      name: 'warden_drops_total',
      help: 'Deliveries not made, by cause (slow_consumer counts connections closed with their queues)',
      labelNames: ['cause'],
      read: () => [
        [{ cause: 'slow_consumer' }, stats.slowConsumerDisconnects],
        [
          { cause: 'limit' },
          stats.heldDeliveriesDropped +
            stats.mqttQueuedMessagesDropped +
            stats.mqttSessionBytesDropped +
            stats.mqttSessionStoreBytesDropped +
            stats.mqttPacketsTooLargeForClient,
        ],
        [{ cause: 'filter' }, stats.deliveriesFiltered],
        [{ cause: 'not_filterable' }, stats.deliveriesNotFilterable],
        [{ cause: 'not_entitled' }, stats.deliveriesNotEntitled + stats.mqttSharedUndelivered],
        [{ cause: 'offline_qos0' }, stats.mqttOfflineQos0Dropped],
        [{ cause: 'expired' }, stats.mqttMessagesExpired],
        [{ cause: 'error' }, stats.deliveryErrors],
        [{ cause: 'cluster_bus' }, stats.clusterMessagesDropped],
      ],
    });
  }

  private registerEntitlements(): void {
    const { registry, source } = this;
    pulledGauge(registry, {
      name: 'warden_entitlements_enabled',
      help: '1 while entitlements are enabled, 0 between a disable and the next enable',
      read: () => single(source.entitlementStatus().enabled ? 1 : 0),
    });
    pulledGauge(registry, {
      name: 'warden_entitlement_cache_entries',
      help: 'Answers in the entitlement cache, over every entitlement module',
      read: () => single(source.entitlementStatus().cache.size),
    });
    pulledCounter(registry, {
      name: 'warden_entitlement_cache_hits_total',
      help: 'Entitlement checks answered from the cache',
      read: () => single(source.entitlementStatus().cache.hits),
    });
    pulledCounter(registry, {
      name: 'warden_entitlement_cache_misses_total',
      help: 'Entitlement checks that asked the module (or joined a call in flight)',
      read: () => single(source.entitlementStatus().cache.misses),
    });
    // Counted since each shadow policy's load: a changed or promoted shadow starts again from 0.
    pulledCounter(registry, {
      name: 'warden_shadow_comparisons_total',
      help: 'Entitlement module calls a shadow policy answered beside the live one',
      read: () => single(source.shadowSummaries().reduce((sum, s) => sum + s.comparisons, 0)),
    });
    pulledCounter(registry, {
      name: 'warden_shadow_differences_total',
      help: 'Shadow policy answers that differed from the live one, by kind (both filter and select may change)',
      labelNames: ['kind'],
      read: () => {
        const shadows = source.shadowSummaries();
        return SHADOW_DIFFERENCE_KINDS.map((kind): Sample<'kind'> => [
          { kind },
          shadows.reduce((sum, s) => sum + s.byKind[kind], 0),
        ]);
      },
    });
  }

  /** The remote modules' circuits and stale answers (docs/entitlement.md#circuit-breaker-and-stale-answers). */
  private registerModuleHealth(): void {
    const { registry, source } = this;
    const each = (value: (health: ModuleHealthEntry) => number) => (): Sample<'module' | 'config'>[] =>
      source.moduleHealth().map((health) => [{ module: health.module, config: health.config }, value(health)]);
    pulledGauge(registry, {
      name: 'warden_module_circuit_state',
      help: "A remote module's circuit: 0 closed, 1 open (requests fail at once), 2 half-open (a probe is out)",
      labelNames: ['module', 'config'],
      read: each((health) => CIRCUIT_STATE_VALUE[health.circuit]),
    });
    pulledGauge(registry, {
      name: 'warden_module_consecutive_failures',
      help: 'Failures of a remote module since its service last answered',
      labelNames: ['module', 'config'],
      read: each((health) => health.consecutiveFailures),
    });
    pulledCounter(registry, {
      name: 'warden_module_circuit_opens_total',
      help: "Times a remote module's circuit opened",
      labelNames: ['module', 'config'],
      read: each((health) => health.circuitOpens),
    });
    pulledCounter(registry, {
      name: 'warden_module_circuit_refusals_total',
      help: 'Requests a remote module refused at once, without asking its service, because its circuit was open',
      labelNames: ['module', 'config'],
      read: each((health) => health.circuitRefusals),
    });
    pulledCounter(registry, {
      name: 'warden_module_stale_answers_total',
      help: 'Answers a remote module gave again (serveStaleMs) while its service failed',
      labelNames: ['module', 'config'],
      read: each((health) => health.staleAnswers),
    });
    pulledGauge(registry, {
      name: 'warden_module_stale_entries',
      help: 'Answers a remote module remembers now to give again while its service fails (staleMaxEntries)',
      labelNames: ['module', 'config'],
      read: each((health) => health.staleEntries),
    });
    pulledGauge(registry, {
      name: 'warden_module_stale_bytes',
      help: 'Bytes those remembered answers hold (staleMaxBytes)',
      labelNames: ['module', 'config'],
      read: each((health) => health.staleBytes),
    });
  }

  private registerState(): void {
    const { registry, source } = this;
    pulledGauge(registry, {
      name: 'warden_subscriptions',
      help: 'Subscriptions held in the topic engine',
      read: () => single(source.subscriptions()),
    });
    pulledGauge(registry, {
      name: 'warden_mqtt_sessions_stored',
      help: 'Persistent MQTT sessions kept (connected or not)',
      read: () => single(source.storedSessions()),
    });
    pulledGauge(registry, {
      name: 'warden_retained_messages',
      help: 'Retained messages stored',
      read: () => single(source.retainedMessages()),
    });
    pulledGauge(registry, {
      name: 'warden_retained_bytes',
      help: 'Bytes the retained messages hold (as mqtt.retained.maxBytes counts them)',
      read: () => single(source.retainedBytes()),
    });
  }

  /** Every field of broker.stats() under its own name, for what the curated metrics above do not show. */
  private registerStats(): void {
    const stats = this.source.stats;
    for (const field of Object.keys(stats.snapshot()) as (keyof BrokerStats & string)[]) {
      const gauge = STAT_GAUGES.has(field);
      const metric = {
        name: `warden_stat_${snakeCase(field)}${gauge ? '' : '_total'}`,
        help: `broker.stats().${field} (docs/metrics.md#every-counter)`,
        read: () => single(stats[field] as number),
      };
      if (gauge) pulledGauge(this.registry, metric);
      else pulledCounter(this.registry, metric);
    }
  }
}
