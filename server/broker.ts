// The composition root: one topic engine and router shared by every listener's sessions, a
// security pipeline (server/gates/) per listener, the MQTT service (server/mqtt/mqtt-service.ts),
// the security modules and their admin actions, and the admin listener.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { CloseCodes } from '../protocol/native.js';
import type { FilterSyntax } from './content/filter/index.js';
import { ADMIN_PATHS } from './admin/admin-api.js';
import { AdminListener, type BoundAdminListener } from './admin/admin-listener.js';
import { BrokerAdmin } from './admin/broker-admin.js';
import { ConfigError } from './config/config-error.js';
import { BrokerMetrics, type MetricsSource } from './metrics/broker-metrics.js';
import type { KickTarget, VhostsReport } from './admin/admin-actions.js';
import { pageOfConnections, type ConnectionDetail, type DescribedConnection } from './admin/connection-list.js';
import { Admission } from './admission/admission.js';
import { UnauthenticatedSockets } from './admission/unauthenticated-sockets.js';
import type {
  HttpListenerConfig,
  ListenerConfig,
  ListenerTlsConfig,
  MqttListenerConfig,
  NativeListenerConfig,
  ResetMode,
  WardenConfig,
} from './config/index.js';
import type { DeliveryPlan } from './delivery/delivery-plan.js';
import { Router } from './delivery/router.js';
import type { SubscriptionEntry } from './delivery/subscription-entry.js';
import { ListenerGates } from './gates/listener-gates.js';
import { MqttService } from './mqtt/mqtt-service.js';
import { MqttBusAdapter } from './mqtt/mqtt-bus-adapter.js';
import { Cluster } from './cluster/cluster.js';
import { fail, PASS, type HealthCheck, type HealthSource } from './health/health.js';
import { HealthListener } from './health/health-listener.js';
import { SysTopics } from './sys/sys-topics.js';
import { AuditLog } from './audit/audit-log.js';
import { auditDestination, type AuditDestination } from './audit/audit-destination.js';
import { packageVersion } from './cli/version.js';
import type { BrokerStore } from './store/store.js';
import { openStore } from './store/open-store.js';
import { DeferredStore } from './store/deferred-store.js';
import { NativeSession } from './native/native-session.js';
import { HttpPublishListener } from './http/http-publish-listener.js';
import type { HttpPublishContext } from './http/http-context.js';
import { EntitlementEpoch } from './security/entitlement-epoch.js';
import { SecurityManager } from './security/security-manager.js';
import type { SessionContext } from './session/session-context.js';
import { BrokerStats } from './stats.js';
import { ModuleLatencyTotals } from './console/module-latency.js';
import { createConsole } from './console/create-console.js';
import type { ConsoleEndpoint } from './console/console-endpoint.js';
import { everyObserver } from './security/module-calls.js';
import {
  reevaluate,
  type ReevaluatedConnection,
  type ReevaluationReport,
  type ReevaluationScope,
} from './security/reevaluation.js';
import { LogLevels } from './log-levels.js';
import { ConfigReloader, type LiveParts, type ReloadSource } from './reload/config-reloader.js';
import { ReloadUnavailableError, type ReloadRequest, type ReloadResult } from './reload/reload-result.js';
import { warnCertificateAuthWithoutCertificates } from './tls/certificate-auth-check.js';
import { realTimers, type Timers, type Clock } from './timers.js';
import { TlsProfiles, type ServerTls } from './tls/tls-profiles.js';
import { RegexBudget, TopicEngine, type TopicLimits } from './topics/index.js';
import type { BoundListener } from './transports/bound-listener.js';
import { HttpEndpoint } from './transports/http-endpoint.js';
import { MqttWsListener } from './transports/mqtt-ws-listener.js';
import type { PreLogon } from './transports/pre-logon.js';
import { TcpListener } from './transports/tcp-listener.js';
import { TurnBatcher } from './transports/turn-batcher.js';
import type { AcceptedConnection, TransportConnection, TransportHandler } from './transports/transport.js';
import { loadUws, UWS_INSTALL, type Uws, type UwsLoad, type UwsLoader } from './transports/uws/load-uws.js';
import { MqttUwsListener } from './transports/uws/mqtt-uws-listener.js';
import { UwsEndpoint } from './transports/uws/uws-endpoint.js';
import { UwsListener } from './transports/uws/uws-listener.js';
import { WsListener } from './transports/ws-listener.js';
import { ListenerVhostGates, restoreGatesKey } from './gates/vhost-gates.js';
import { createDnsHostNameResolver } from './security/authentication/host-access.js';
import { Vhosts, type Vhost } from './vhosts/vhosts.js';

/** What the broker needs of any session, whatever its protocol. */
interface AnySession extends DescribedConnection, ReevaluatedConnection {
  /** `packet`: an MQTT session, told why (v5 DISCONNECT) before a shutdown closes its socket; `http`: an HTTP publish connection. */
  readonly kind: 'native' | 'packet' | 'http';
  close(code: number, reason: string): void;
}

/** Before the security modules load (a scrape that early sees an empty cache). */
const NO_ENTITLEMENT_STATUS = { enabled: true, cache: { size: 0, hits: 0, misses: 0 }, moduleCalls: 0, failures: 0 };

interface Listener {
  listen(): Promise<BoundListener>;
  close(code: number, reason: string, graceMs: number): Promise<void>;
  dropAll(): number;
}

/** How long the reverse and forward DNS lookups of a vhost group's remoteHosts names may take at logon. */
const VHOST_DNS_TIMEOUT_MS = 2000;

export class Broker implements SessionContext, HealthSource {
  readonly engine: TopicEngine<SubscriptionEntry, DeliveryPlan>;
  readonly router: Router;
  readonly topicLimits: TopicLimits;
  readonly regexBudget: RegexBudget;
  readonly maxPendingDeliveries: number;
  readonly filterSyntax: FilterSyntax;
  readonly stats = new BrokerStats();
  /** Moves when entitlement answers expire or are dropped: delivery plans re-ask their read decisions. */
  private readonly entitlementEpoch = new EntitlementEpoch();
  readonly admission: Admission;
  /** Where retained messages, persistent sessions and delayed wills outlive the process (persistence). */
  readonly store: BrokerStore;
  /** Retained messages, persistent sessions, wills, shared groups and client ids: MQTT's state. */
  readonly mqtt: MqttService;
  /** Sockets not logged on yet, and where the transports count their timeouts (admission.maxUnauthenticated). */
  private readonly preLogon: PreLogon;
  private readonly sessions = new Set<AnySession>();
  private readonly listeners: Listener[] = [];
  /** HTTP servers shared by WebSocket listeners, by host:port (port 0 is never shared). */
  private readonly endpoints = new Map<string, HttpEndpoint>();
  /** The same for uWebSockets.js listeners (the config keeps one engine per host:port). */
  private readonly uwsEndpoints = new Map<string, UwsEndpoint>();
  /** uWebSockets.js as loaded for the first listener that asked for it; null until then. */
  private uwsLoad: UwsLoad | null = null;
  /** Every transport's writes, one socket write per connection per turn of the event loop. */
  private readonly batcher = new TurnBatcher((err) => this.flushFailed(err));
  private readonly idPrefix = randomBytes(4).toString('hex');
  private sessionCounter = 0;
  private security: SecurityManager | null = null;
  /** The vhosts (docs/vhosts.md), or null when they are off. */
  private vhosts: Vhosts | null = null;
  /** Names of a client's address, for vhost groups' remoteHosts names: one resolver for every listener. */
  private readonly vhostHostNames = createDnsHostNameResolver({ timeoutMs: VHOST_DNS_TIMEOUT_MS });
  private adminActions: BrokerAdmin | null = null;
  private tls: TlsProfiles | null = null;
  private adminListener: AdminListener | null = null;
  /** This node's part of a cluster (config `cluster`), or null. */
  private clusterNode: Cluster | null = null;
  private closing: Promise<void> | null = null;
  /** Set when start() has bound every listener: ready to serve (GET /readyz). */
  private started = false;
  /** The probes' own listener (health.port), or null. */
  private healthListener: HealthListener | null = null;
  /** `$SYS` topics (config sys), or null. */
  private sys: SysTopics | null = null;
  /** GET /metrics (metrics.enabled, on the admin listener), or null. */
  private metrics: BrokerMetrics | null = null;
  /** Module answer times for the console's latency chart (admin.console.enabled), or null. */
  private moduleLatency: ModuleLatencyTotals | null = null;
  /** Logons, admin requests and entitlement denials (config audit), or null. */
  readonly audit: AuditLog | null;
  private readonly auditOutput: AuditDestination | null;
  /** The clock of admission's rate limits and of the logon back-off (tests freeze it). */
  private readonly clock: Clock;
  /** The level of `log` and of every child made from it: a live reload sets log.level on all of them. */
  private readonly logLevels: LogLevels;
  /** Where a live reload reads the config (startBroker's reloadFrom), or null: reloads are refused. Set before start(). */
  reloadSource: ReloadSource | null = null;
  private reloader: ConfigReloader | null = null;

  constructor(
    /** The config in force: the start-up one, then each live reload's. */
    public config: WardenConfig,
    readonly log: Logger,
    /** Directory that relative module paths and module files resolve against (the config file's). */
    private readonly baseDir: string,
    /** Loads uWebSockets.js for `uws` listeners (tests inject a failing one). */
    private readonly uwsLoader: UwsLoader = loadUws,
    /** The clock of admission's rate limits (tests freeze it). */
    clock: Clock = Date.now,
    /** Session expiry, delayed wills, message expiry and the logon timeouts run on these (tests move them by hand). */
    readonly timers: Timers = realTimers,
    /** Opens the store of retained messages, sessions and wills (default: as `persistence` says). */
    openStoreWith: (stats: BrokerStats, log: Logger) => BrokerStore = (stats, log) =>
      openStore(config.persistence, stats, log.child({ component: 'store' })),
  ) {
    // First: it sees only the children made after it.
    this.logLevels = LogLevels.of(log);
    const { maxTopicLength, maxLevels, maxRegexLength, routeCacheSize, routeCacheMaxBytes, regex } = config.topics;
    this.topicLimits = {
      maxTopicLength,
      maxLevels,
      maxRegexLength,
      maxRegexProgramSize: regex.maxProgramSize,
      maxRegexMatchStateBytes: regex.maxMatchStateBytes,
    };
    this.regexBudget = new RegexBudget(regex, this.stats);
    this.maxPendingDeliveries = config.security.maxPendingDeliveries;
    this.filterSyntax = config.content.filterSyntax;
    this.engine = new TopicEngine({ routeCacheSize, maxCachedBytes: routeCacheMaxBytes, counters: this.stats });
    this.router = new Router(this.engine, this.stats, this.entitlementEpoch);
    this.admission = new Admission(
      config.admission,
      config.limits,
      this.stats,
      log.child({ component: 'admission' }),
      clock,
    );
    this.store = openStoreWith(this.stats, log);
    this.mqtt = new MqttService(this, config.mqtt, this.store);
    this.clock = clock;
    const { maxUnauthenticated, maxUnauthenticatedPerHost } = config.admission;
    const sockets = new UnauthenticatedSockets(
      maxUnauthenticated,
      maxUnauthenticatedPerHost,
      this.stats,
      log.child({ component: 'admission' }),
    );
    this.preLogon = { sockets, stats: this.stats, timers };
    this.auditOutput = config.audit.enabled ? auditDestination(config.audit, log) : null;
    this.audit = this.auditOutput === null ? null : new AuditLog(this.auditOutput.logger, config.audit);
  }

  newSessionId(): string {
    return `${this.idPrefix}-${(++this.sessionCounter).toString(36)}`;
  }

  /** The admin actions (entitlement reset, disable and enable, TLS reload, connection counts). */
  get admin(): BrokerAdmin {
    if (this.adminActions === null) throw new Error('the broker has not started');
    return this.adminActions;
  }

  async start(): Promise<{ listeners: BoundListener[]; admin: BoundAdminListener | null; health: string | null }> {
    // TLS files first: a missing or bad certificate stops the broker before any module starts.
    const tls = TlsProfiles.load(this.config.tls, this.baseDir, this.log.child({ component: 'tls' }));
    this.tls = tls;
    warnCertificateAuthWithoutCertificates(this.config, this.log);
    this.requireUws();
    const metrics = this.config.metrics;
    if (metrics.enabled && this.config.admin.enabled)
      this.metrics = new BrokerMetrics(
        this.metricsSource(),
        metrics.processMetrics,
        packageVersion(),
        () => this.clusterNodeId,
      );
    if (this.config.admin.enabled && this.config.admin.console.enabled) this.moduleLatency = new ModuleLatencyTotals();
    // Policies before modules: a bad policy stops the broker with the key or file that is wrong.
    const vhosts = await Vhosts.load(this.config, this.baseDir);
    this.vhosts = vhosts;
    const security = await SecurityManager.create(
      this.config,
      this.baseDir,
      this.log.child({ component: 'security' }),
      this.stats,
      this.clock,
      this.entitlementEpoch,
      everyObserver(this.metrics?.moduleCalls ?? null, this.moduleLatency),
      this.timers,
      vhosts,
    );
    this.security = security;
    security.hooks.audit = this.audit;
    // A module said some answers are stale (ModuleContext.invalidate): its user's connections are asked again.
    security.hooks.invalidated = (target) => {
      const scope = target === 'all' ? undefined : target;
      this.reevaluateEntitlements(scope).catch((err: unknown) =>
        this.log.error({ err, invalidated: target }, 're-evaluating entitlements after an invalidation failed'),
      );
    };
    const admin = new BrokerAdmin(
      security,
      {
        disconnectUsers: (user, code, reason, vhost) => this.disconnectUsers(user, code, reason, vhost),
        reloadTls: () => tls.reload(),
        connectionStatus: () => this.admission.status(),
        listConnections: (filter, limit, after) => pageOfConnections(this.sessions, filter, limit, after),
        connectionDetail: (id, vhost) => this.connectionDetail(id, vhost),
        listVhosts: () => this.listVhosts(),
        disconnectConnections: (target) => this.disconnectConnections(target),
        reload: (request) => this.reload(request),
        reevaluate: (scope, vhost) => this.reevaluateEntitlements(scope, vhost),
        recentAdminActions: (limit) =>
          this.audit === null
            ? { enabled: false, entries: [] }
            : { enabled: true, entries: this.audit.recentAdminActions(limit) },
      },
      this.log.child({ component: 'admin' }),
    );
    this.adminActions = admin;
    if (this.reloadSource !== null)
      this.reloader = new ConfigReloader(
        this.config,
        this.reloadSource,
        this.liveParts(security, tls),
        this.log.child({ component: 'reload' }),
      );
    const health = this.config.health;
    let healthUrl: string | null = null;
    if (health.enabled && health.port !== undefined) {
      // Before everything else opens, so that an orchestrator sees "starting" rather than nothing.
      this.healthListener = new HealthListener(health.host, health.port, this, this.log.child({ listener: 'health' }));
      try {
        healthUrl = await this.healthListener.listen();
      } catch (err) {
        await this.close();
        throw err;
      }
    }
    const mqttGates = new Map<string, ListenerGates>();
    for (const listenerConfig of this.config.listeners) {
      const gates = new ListenerGates(security.forListener(listenerConfig.name), this, this.log);
      const vhostGatesOf = this.vhostGatesOf(listenerConfig, security);
      const vhostGates = this.listenerVhostGates(listenerConfig, vhostGatesOf);
      const log = this.log.child({ listener: listenerConfig.name });
      if (listenerConfig.protocol === 'mqtt') {
        mqttGates.set(listenerConfig.name, gates);
        // A kept session or will of a vhost comes back through that vhost's gates (restoreGatesKey).
        for (const [key, vhostGates] of this.restoreGates(listenerConfig.name, vhostGatesOf))
          mqttGates.set(key, vhostGates);
        this.listeners.push(this.mqttListener(listenerConfig, gates, log, vhostGates));
        continue;
      }
      if (listenerConfig.protocol === 'http') {
        this.listeners.push(this.httpListener(listenerConfig, gates, log, vhostGates));
        continue;
      }
      const options = listenerConfig.options;
      const accept = (accepted: AcceptedConnection): TransportHandler => {
        const refusal = this.admission.onAccept('native', accepted.connection.remoteAddress);
        const session = new NativeSession(
          accepted.connection,
          accepted.encoding,
          accepted.listenerName,
          options,
          gates,
          this,
          (s) => this.onSessionGone(s),
          vhostGates,
        );
        this.addSession(session);
        if (refusal !== null) session.refuseAtAccept(refusal);
        return session;
      };
      this.listeners.push(this.nativeListener(listenerConfig, accept, log));
    }
    try {
      if (this.config.cluster !== undefined) {
        // Before the store's sessions come back: their subscriptions are this node's interest.
        this.clusterNode = await Cluster.connect({
          config: this.config.cluster,
          tls,
          stats: this.stats,
          log: this.log.child({ component: 'cluster' }),
          engine: this.engine,
          router: this.router,
          topicLimits: this.topicLimits,
          adapter: new MqttBusAdapter(this.mqtt.retained),
          local: admin,
          takeovers: this.mqtt,
          clientIdOwnership: this.config.mqtt.clientIdOwnership,
          admitted: () => this.admission.snapshot(),
          vhostsAdmitted: () => this.vhosts?.list.map((v) => v.limits.snapshot()) ?? [],
          counters: () => ({
            connections: this.stats.connectionsOpen,
            messagesPublished: this.stats.messagesPublished,
            deliveries: this.stats.deliveries,
          }),
        });
        // The shared store, on the cluster's connection (persistence.store: redis, the default in a cluster).
        if (this.store instanceof DeferredStore)
          this.store.attach(this.clusterNode.openStore(this.config.persistence.sync));
      }
      await this.restoreState(mqttGates);
      if (this.clusterNode !== null) {
        await this.clusterNode.join();
        admin.cluster = this.clusterNode;
        this.mqtt.cluster = this.clusterNode.clients;
        this.admission.cluster = this.clusterNode.limits;
      }
      const bound: BoundListener[] = [];
      for (const listener of this.listeners) bound.push(await listener.listen());
      let boundAdmin: BoundAdminListener | null = null;
      if (this.config.admin.enabled) {
        const { host, port, credentialCache } = this.config.admin;
        this.adminListener = new AdminListener(
          { host, port, credentialCache },
          admin,
          this.log.child({ listener: 'admin' }),
          this.stats,
          health.enabled && health.port === undefined ? this : null,
          this.audit,
          this.metrics === null ? null : { exposition: this.metrics, credentials: metrics.credentials },
          this.createConsole(),
        );
        boundAdmin = await this.adminListener.listen();
      }
      for (const b of bound) this.log.info({ listener: b.name, url: b.url, transport: b.transport }, 'listening');
      this.restoreRetainedInBackground();
      if (this.config.sys.enabled) this.startSys();
      this.started = true;
      if (health.enabled && health.port === undefined) healthUrl = boundAdmin?.url ?? null;
      return { listeners: bound, admin: boundAdmin, health: healthUrl };
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * What the store kept comes back before any client can connect: persistent sessions and
   * delayed wills. Retained messages follow in the background (restoreRetainedInBackground). The
   * log says what and how long it took.
   */
  private async restoreState(mqttGates: ReadonlyMap<string, ListenerGates>): Promise<void> {
    const started = performance.now();
    const restored = await this.mqtt.restore(mqttGates);
    const store = this.store;
    // A choice, not a fault: said once, at info.
    if (!store.durable)
      this.log.info(
        { store: store.kind },
        'persistence.store is memory: retained messages, persistent sessions and delayed wills do not survive a restart',
      );
    this.log.info(
      { store: store.kind, path: store.location, ...restored, ms: Math.round(performance.now() - started) },
      'state restored from the store; retained messages follow in the background',
    );
  }

  /** Retained messages, read while the listeners already serve; contained: a failure is logged, never thrown. */
  private restoreRetainedInBackground(): void {
    const started = performance.now();
    this.mqtt.restoreRetained().then(
      (retained) =>
        this.log.info(
          { retained, ms: Math.round(performance.now() - started) },
          'retained messages restored from the store',
        ),
      (err: unknown) => {
        this.stats.connectionErrors++;
        this.log.error(
          { err },
          'restoring retained messages from the store failed: they are not served until a restart',
        );
      },
    );
  }

  /**
   * With vhosts on, a listener's gates per vhost (empty without vhosts): each vhost's use its own
   * module and limits on this listener's transport.
   */
  private vhostGatesOf(config: ListenerConfig, security: SecurityManager): Map<Vhost, ListenerGates> {
    const gatesOf = new Map<Vhost, ListenerGates>();
    const vhosts = this.vhosts;
    if (vhosts === null) return gatesOf;
    const resolveNames = this.vhostHostNames;
    for (const vhost of vhosts.list) {
      const log = this.log.child({ vhost: vhost.name });
      gatesOf.set(vhost, new ListenerGates(security.forVhost(vhost, config.name), this, log, { vhost, resolveNames }));
    }
    return gatesOf;
  }

  private listenerVhostGates(
    config: ListenerConfig,
    gatesOf: ReadonlyMap<Vhost, ListenerGates>,
  ): ListenerVhostGates | null {
    const vhosts = this.vhosts;
    if (vhosts === null) return null;
    return new ListenerVhostGates(vhosts.names, gatesOf, config.vhost, config.vhostFromUserName);
  }

  /** The vhost gates a restored MQTT session or will of `listener` is found under, by restoreGatesKey. */
  private restoreGates(listener: string, gatesOf: ReadonlyMap<Vhost, ListenerGates>): [string, ListenerGates][] {
    return [...gatesOf].map(([vhost, gates]) => [restoreGatesKey(listener, vhost.namespace.prefix), gates]);
  }

  private mqttListener(
    config: MqttListenerConfig,
    gates: ListenerGates,
    log: Logger,
    vhostGates: ListenerVhostGates | null,
  ): Listener {
    const { options, name } = config;
    // One for the listener, not one per connection.
    const onGone = (s: AnySession): void => this.onSessionGone(s);
    const accept = (transport: TransportConnection): TransportHandler => {
      const refusal = this.admission.onAccept('mqtt', transport.remoteAddress);
      const { session, connection } = this.mqtt.accept(transport, name, options, gates, onGone, vhostGates);
      this.addSession(session);
      if (refusal !== null) session.refuseAtAccept(refusal);
      return connection;
    };
    if (config.transport === 'tcp') {
      const tls = this.serverTls(config.tls);
      return new TcpListener(
        { name, host: config.host, port: config.port, scheme: tls === null ? 'mqtt' : 'mqtts', tls },
        accept,
        this.batcher,
        log,
        this.preLogon,
      );
    }
    // A WebSocket message may hold more than one packet (or part of one): the packet limit is the parser's.
    const maxMessageBytes = options.maxPacketBytes * 2 + 16;
    const wsConfig = {
      name,
      host: config.host,
      path: config.path,
      maxMessageBytes,
      connectTimeoutMs: options.connectTimeoutMs,
    };
    const uws = config.transport === 'uws' ? this.uwsFor() : null;
    if (uws !== null) {
      const uwsConfig = { ...wsConfig, maxSendQueueBytes: options.maxSendQueueBytes };
      return new MqttUwsListener(uwsConfig, accept, log, this.uwsEndpoint(uws, config.host, config.port));
    }
    return new MqttWsListener(
      wsConfig,
      accept,
      this.batcher,
      log,
      this.endpoint(config.host, config.port, this.serverTls(config.tls)),
    );
  }

  /** POST /api/publish (docs/http.md): its own server; its connections are listed and counted with the others. */
  private httpListener(
    config: HttpListenerConfig,
    gates: ListenerGates,
    log: Logger,
    vhostGates: ListenerVhostGates | null,
  ): Listener {
    const mqtt = this.mqtt;
    const ctx: HttpPublishContext = {
      stats: this.stats,
      log,
      timers: this.timers,
      router: this.router,
      admission: this.admission,
      store: this.store,
      newSessionId: () => this.newSessionId(),
      publishRetained: (message) => mqtt.publishRetained(message),
      opened: (session) => this.addSession(session),
      gone: (session) => this.onSessionGone(session),
    };
    return new HttpPublishListener(config, gates, ctx, this.serverTls(config.tls), log, this.preLogon, vhostGates);
  }

  private nativeListener(
    config: NativeListenerConfig,
    accept: (accepted: AcceptedConnection) => TransportHandler,
    log: Logger,
  ): Listener {
    const uws = config.transport === 'uws' ? this.uwsFor() : null;
    if (uws !== null) return new UwsListener(config, accept, log, this.uwsEndpoint(uws, config.host, config.port));
    return new WsListener(
      config,
      accept,
      this.batcher,
      log,
      this.endpoint(config.host, config.port, this.serverTls(config.tls)),
    );
  }

  /**
   * uWebSockets.js is an engine users install themselves (docs/transports.md): a `uws` listener
   * without it is a config error at start, naming each such listener, not a quiet fallback to ws.
   */
  private requireUws(): void {
    const wanted = this.config.listeners.flatMap((l, i) => ('transport' in l && l.transport === 'uws' ? [i] : []));
    if (wanted.length === 0) return;
    this.uwsLoad ??= this.uwsLoader();
    const { reason } = this.uwsLoad;
    if (reason === null) return;
    throw new ConfigError(
      wanted.map((i) => ({
        path: `listeners[${i}].transport`,
        message: `uws needs uWebSockets.js, which is not available: ${reason}. Install it with \`npm install ${UWS_INSTALL}\`, or use transport ${this.config.listeners[i]!.protocol === 'mqtt' ? 'websocket' : 'ws'}`,
      })),
    );
  }

  /** Checked by requireUws() at start: a uws listener has its engine. */
  private uwsFor(): Uws {
    return this.uwsLoad!.uws!;
  }

  private uwsEndpoint(uws: Uws, host: string, port: number): UwsEndpoint {
    if (port === 0) return new UwsEndpoint(uws, host, port, this.batcher, this.preLogon);
    const key = `${host.toLowerCase()}:${port}`;
    let endpoint = this.uwsEndpoints.get(key);
    if (endpoint === undefined) {
      endpoint = new UwsEndpoint(uws, host, port, this.batcher, this.preLogon);
      this.uwsEndpoints.set(key, endpoint);
    }
    return endpoint;
  }

  /** The TLS setup of a listener with `tls`; null for a plain one. */
  private serverTls(tls: ListenerTlsConfig | undefined): ServerTls | null {
    return tls === undefined ? null : this.tls!.forListener(tls);
  }

  /** Listeners sharing a host:port share its endpoint; the config makes them agree on `tls`. */
  private endpoint(host: string, port: number, tls: ServerTls | null): HttpEndpoint {
    const log = tls === null ? null : this.log.child({ endpoint: `${host}:${port}` });
    if (port === 0) return new HttpEndpoint(host, port, tls, log, this.preLogon);
    const key = `${host.toLowerCase()}:${port}`;
    let endpoint = this.endpoints.get(key);
    if (endpoint === undefined) {
      endpoint = new HttpEndpoint(host, port, tls, log, this.preLogon);
      this.endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  /** A connection's end-of-turn write threw: it was dropped; the others of the turn were still written. */
  private flushFailed(err: unknown): void {
    this.stats.connectionErrors++;
    this.log.error({ err }, 'writing to a connection failed; dropping it');
  }

  private addSession(session: AnySession): void {
    this.sessions.add(session);
    this.stats.connectionsAccepted++;
    this.stats.connectionsOpen++;
  }

  private onSessionGone(session: AnySession): void {
    if (this.sessions.delete(session)) this.stats.connectionsOpen--;
  }

  /** Close the logged-on sessions of `user` (all logged-on sessions when undefined). */
  private disconnectUsers(user: string | undefined, code: number, reason: string, vhost?: string): number {
    const n = this.closeSessions(
      (s) =>
        s.isLoggedOn && (user === undefined || s.userName === user) && (vhost === undefined || s.vhostName === vhost),
      code,
      reason,
    );
    // Persistent MQTT sessions of absent clients stay, but are entitled afresh (as a reconnection would be).
    this.mqtt.refreshEntitlements(user);
    return n;
  }

  /**
   * Ask the modules again for what open connections hold (after a reset in reevaluate mode, or an
   * invalidation of `scope`): disconnect a user whose logon is now denied, end subscriptions whose
   * read is (docs/entitlement.md#re-evaluation).
   */
  async reevaluateEntitlements(scope: ReevaluationScope, vhost?: string): Promise<ReevaluationReport> {
    const security = this.security;
    if (security === null) throw new Error('internal: re-evaluation before the security modules loaded');
    // Persistent MQTT sessions of absent clients are entitled afresh at their next delivery.
    this.mqtt.refreshEntitlements(scope?.user);
    const report = await reevaluate(this.sessions, scope, vhost);
    this.log.info({ ...scope, ...(vhost === undefined ? {} : { vhost }), ...report }, 'entitlements re-evaluated');
    return report;
  }

  /** Close every session `which` picks with `code`; returns how many. */
  private closeSessions(which: (session: AnySession) => boolean, code: number, reason: string): number {
    let n = 0;
    for (const session of [...this.sessions]) {
      if (!which(session)) continue;
      session.close(code, reason);
      n++;
    }
    return n;
  }

  /** The vhosts (GET /admin/vhosts): their connections now and their limits. */
  private listVhosts(): VhostsReport {
    const vhosts = this.vhosts;
    if (vhosts === null) return { enabled: false, vhosts: [] };
    const fallback = vhosts.names.defaultVhost()?.value;
    return {
      enabled: true,
      vhosts: vhosts.list.map((vhost) => ({
        name: vhost.name,
        source: vhost.source,
        default: vhost === fallback,
        connections: vhost.limits.connections,
        maxConnections: vhost.rules.maxConnections,
        maxConnectionsPerUser: vhost.rules.maxConnectionsPerUser,
        maxConnectionsPerHost: vhost.rules.maxConnectionsPerHost,
        allowUnknownUser: vhost.rules.allowUnknownUser,
        groups: [...vhost.rules.groups.keys()],
      })),
    };
  }

  private connectionDetail(id: string, vhost?: string): ConnectionDetail | null {
    for (const session of this.sessions)
      if (session.id === id && session.isOpen && (vhost === undefined || session.vhostName === vhost))
        return { ...session.describe(), subscriptionPatterns: session.subscriptionPatterns() };
    return null;
  }

  /** An admin closes one connection (by id), or every logged-on connection of a user: close 4005, MQTT v5 DISCONNECT 0x98. */
  private disconnectConnections(target: KickTarget): number {
    const inVhost = (s: AnySession): boolean => target.vhost === undefined || s.vhostName === target.vhost;
    const which =
      'id' in target
        ? (s: AnySession) => s.id === target.id && inVhost(s)
        : (s: AnySession) => s.isLoggedOn && s.userName === target.user && inVhost(s);
    const n = this.closeSessions(which, CloseCodes.DISCONNECTED_BY_ADMIN, 'disconnected by an administrator');
    if (n > 0) this.log.info({ ...target, disconnected: n }, 'connections closed by an administrator');
    return n;
  }

  /** The admin console (admin.console.enabled) over this broker's counters, or null. */
  private createConsole(): ConsoleEndpoint | null {
    const latency = this.moduleLatency;
    if (latency === null) return null;
    return createConsole(
      this.config.admin.console,
      {
        stats: this.stats,
        entitlementStatus: () => this.security?.entitlementStatus() ?? NO_ENTITLEMENT_STATUS,
        moduleLatency: latency,
        clusterNodes: () => {
          const cluster = this.clusterNode;
          if (cluster === null) return null;
          return cluster.view().then((view) =>
            view.nodes.map((n) => ({
              node: n.node,
              alive: n.alive,
              self: n.self,
              connections: n.self ? this.stats.connectionsOpen : (n.status?.connections ?? 0),
              messagesInPerSec: n.status?.messagesInPerSec ?? 0,
              deliveriesPerSec: n.status?.deliveriesPerSec ?? 0,
            })),
          );
        },
        nodeId: () => this.clusterNode?.nodeId ?? null,
        auditSeq: () => this.audit?.adminActions ?? 0,
      },
      this.log.child({ component: 'console' }),
    );
  }

  private metricsSource(): MetricsSource {
    return {
      stats: this.stats,
      connections: () => this.sessions,
      entitlementStatus: () => this.security?.entitlementStatus() ?? NO_ENTITLEMENT_STATUS,
      moduleHealth: () => this.security?.moduleHealth() ?? [],
      subscriptions: () => this.engine.subscriptionCount,
      storedSessions: () => this.mqtt.persistentSessions.size,
      retainedMessages: () => this.mqtt.retained.size,
      retainedBytes: () => this.mqtt.retained.heldBytes,
      shadowSummaries: () => this.security?.shadowSummaries() ?? [],
      vhosts: () => this.vhosts?.list ?? [],
    };
  }

  // ---- live reload (docs/admin.md#live-reload) ----

  /** Re-read the config and apply what can change live; throws ReloadUnavailableError when there is nothing to read. */
  async reload(request: ReloadRequest): Promise<ReloadResult> {
    if (this.closing !== null) throw new ReloadUnavailableError('the broker is shutting down');
    if (this.reloader === null)
      throw new ReloadUnavailableError(
        'this broker was started from a config object, not a file: there is nothing to reload (startBroker option reloadFrom)',
      );
    return this.reloader.reload(request);
  }

  /** A reload asked for by a signal (SIGHUP): as reload(), and written to the audit log as the admin API's are. */
  async reloadOnSignal(signal: NodeJS.Signals): Promise<ReloadResult> {
    const result = await this.reload({ via: signal });
    this.audit?.admin({
      user: '(signal)',
      method: signal,
      path: ADMIN_PATHS.reload,
      remote: '(local)',
      status: 200,
      action: 'config reload',
      result,
    });
    return result;
  }

  private liveParts(security: SecurityManager, tls: TlsProfiles): LiveParts {
    return {
      setLogLevel: (level) => this.logLevels.set(level),
      applyAdmission: ({ admission, limits }) => {
        this.admission.reconfigure(admission, limits);
        this.preLogon.sockets.resize(admission.maxUnauthenticated, admission.maxUnauthenticatedPerHost);
      },
      prepareTls: (config) => tls.prepare(config.tls),
      prepareModules: (config) => security.prepareReload(config),
      resetEntitlements: (mode) => this.resetAfterReload(security, mode),
      adopt: (config) => (this.config = config),
    };
  }

  /**
   * Users or policy changed: every cached answer goes; `disconnect` closes the logged-on
   * connections as an entitlement reset does, `reevaluate` asks again for what they hold.
   */
  private async resetAfterReload(
    security: SecurityManager,
    mode: ResetMode,
  ): Promise<{ disconnected: number; subscriptionsRevoked?: number }> {
    security.clearCaches();
    // Admin credentials checked by the old modules are checked again.
    this.adminListener?.forgetCredentials();
    if (mode === 'none') return { disconnected: 0 };
    if (mode === 'reevaluate') {
      const { disconnected, subscriptionsRevoked } = await this.reevaluateEntitlements(undefined);
      return { disconnected, subscriptionsRevoked };
    }
    return { disconnected: this.disconnectUsers(undefined, CloseCodes.ENTITLEMENTS_RESET, 'entitlements reset') };
  }

  private startSys(): void {
    const mqtt = this.mqtt;
    this.sys = new SysTopics(
      this.config.sys.intervalSec,
      {
        stats: this.stats,
        keptSessions: () => mqtt.persistentSessions.size,
        subscriptions: () => this.engine.subscriptionCount,
        retainedMessages: () => mqtt.retained.size,
        vhosts: () => this.vhosts?.list ?? [],
      },
      (topic, text) => mqtt.publishSys(topic, text),
      packageVersion(),
      this.clusterNode?.nodeId ?? null,
      (err) => this.log.error({ err }, 'publishing the $SYS topics failed'),
    );
    this.sys.start();
  }

  // ---- GET /healthz and /readyz (HealthSource) ----

  liveness(): Record<string, HealthCheck> {
    return { serving: this.closing === null ? PASS : fail('the broker is shutting down') };
  }

  readiness(): Record<string, HealthCheck> {
    const checks: Record<string, HealthCheck> = {
      listeners:
        this.closing !== null
          ? fail('the broker is shutting down')
          : this.started
            ? PASS
            : fail('starting: the listeners are not bound yet'),
      modules: this.security !== null ? PASS : fail('the security modules are not loaded yet'),
      store: this.store.failing
        ? fail(`writes to the ${this.store.kind} store fail (storeWriteErrors); see the broker log`)
        : PASS,
    };
    if (this.config.cluster !== undefined)
      checks.cluster =
        this.clusterNode?.connected === true ? PASS : fail("not connected to the cluster's Redis (cluster.redis)");
    return checks;
  }

  /** This node's id in its cluster, or null outside one. */
  get clusterNodeId(): string | null {
    return this.clusterNode?.nodeId ?? null;
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Drop every client connection at once, without a close handshake. Returns how many. */
  dropConnections(): number {
    let n = 0;
    for (const listener of this.listeners) n += listener.dropAll();
    return n;
  }

  /** Close listeners, send close frames (1001), wait up to shutdown.graceMs, then close the modules. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const graceMs = this.config.shutdown.graceMs;
      // MQTT v5 clients are told why (DISCONNECT 0x8B) before their sockets close.
      this.sys?.stop();
      for (const session of [...this.sessions])
        if (session.kind === 'packet') session.close(CloseCodes.GOING_AWAY, 'broker shutting down');
      await Promise.all([
        ...this.listeners.map((l) => l.close(CloseCodes.GOING_AWAY, 'broker shutting down', graceMs)),
        this.adminListener?.close(),
      ]);
      await this.healthListener?.close();
      this.mqtt.close();
      // Every session has written what it keeps by now; the store waits for its last commit
      // (in a cluster, on the cluster's Redis connection, which closes after it).
      await this.store.close().catch((err: unknown) => this.log.error({ err }, 'closing the store failed'));
      await this.clusterNode?.close();
      await this.security?.close();
      await this.auditOutput?.close();
      this.log.info('broker closed');
    })();
    return this.closing;
  }
}
