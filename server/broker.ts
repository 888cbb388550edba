// The composition root: one topic engine and router shared by every listener's sessions, the
// security modules, and the admin listener.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { CloseCodes } from '../protocol/native.js';
import type { WardenConfig } from './config/index.js';
import { TopicEngine, type TopicLimits } from './topics/index.js';
import type { DeliveryPlan } from './delivery/delivery-plan.js';
import { Router } from './delivery/router.js';
import type { SubscriptionEntry } from './delivery/subscription-entry.js';
import { NativeSession } from './session/native-session.js';
import type { SessionContext } from './session/session-context.js';
import { BrokerStats } from './stats.js';
import { TickBatcher } from './transports/tick-batcher.js';
import type { AcceptedConnection, TransportHandler } from './transports/transport.js';
import { WsListener, type BoundListener } from './transports/ws-listener.js';
import { SecurityManager } from './security/security-manager.js';
import { AdminListener, type BoundAdminListener } from './admin/admin-listener.js';

export class Broker implements SessionContext {
  readonly engine: TopicEngine<SubscriptionEntry, DeliveryPlan>;
  readonly router: Router;
  readonly topicLimits: TopicLimits;
  readonly maxPendingDeliveries: number;
  readonly stats = new BrokerStats();
  private readonly sessions = new Set<NativeSession>();
  private readonly listeners: WsListener[] = [];
  private readonly batcher = new TickBatcher();
  private readonly idPrefix = randomBytes(4).toString('hex');
  private sessionCounter = 0;
  private security: SecurityManager | null = null;
  private adminListener: AdminListener | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    readonly config: WardenConfig,
    readonly log: Logger,
    /** Directory that relative module paths and module files resolve against (the config file's). */
    private readonly baseDir: string,
  ) {
    const { maxTopicLength, maxLevels, maxRegexLength, routeCacheSize } = config.topics;
    this.topicLimits = { maxTopicLength, maxLevels, maxRegexLength };
    this.maxPendingDeliveries = config.security.maxPendingDeliveries;
    this.engine = new TopicEngine({ routeCacheSize });
    this.router = new Router(this.engine, this.stats);
  }

  newSessionId(): string {
    return `${this.idPrefix}-${(++this.sessionCounter).toString(36)}`;
  }

  get admin(): SecurityManager {
    if (this.security === null) throw new Error('the broker has not started');
    return this.security;
  }

  async start(): Promise<{ listeners: BoundListener[]; admin: BoundAdminListener | null }> {
    const security = await SecurityManager.create(this.config, this.baseDir, this.log.child({ component: 'security' }));
    this.security = security;
    security.onDisconnectUsers((user, code, reason) => this.disconnectUsers(user, code, reason));
    for (const listenerConfig of this.config.listeners) {
      const options = listenerConfig.options;
      const listenerSecurity = security.forListener(listenerConfig.name);
      const accept = (accepted: AcceptedConnection): TransportHandler => {
        const session = new NativeSession(accepted.connection, accepted.encoding, accepted.listenerName, options, listenerSecurity, this, (s) =>
          this.onSessionGone(s),
        );
        this.sessions.add(session);
        this.stats.connectionsAccepted++;
        this.stats.connectionsOpen++;
        return session;
      };
      this.listeners.push(new WsListener(listenerConfig, accept, this.batcher, this.log.child({ listener: listenerConfig.name })));
    }
    try {
      const bound: BoundListener[] = [];
      for (const listener of this.listeners) bound.push(await listener.listen());
      let admin: BoundAdminListener | null = null;
      if (this.config.admin.enabled) {
        const { host, port } = this.config.admin;
        this.adminListener = new AdminListener({ host, port }, security, this.log.child({ listener: 'admin' }));
        admin = await this.adminListener.listen();
      }
      for (const b of bound) this.log.info({ listener: b.name, url: b.url }, 'listening');
      return { listeners: bound, admin };
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private onSessionGone(session: NativeSession): void {
    if (this.sessions.delete(session)) this.stats.connectionsOpen--;
  }

  /** Close the logged-on sessions of `user` (all logged-on sessions when undefined). */
  private disconnectUsers(user: string | undefined, code: number, reason: string): number {
    let n = 0;
    for (const session of [...this.sessions]) {
      if (!session.isLoggedOn || (user !== undefined && session.userName !== user)) continue;
      session.close(code, reason);
      n++;
    }
    return n;
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
      await Promise.all([
        ...this.listeners.map((l) => l.close(CloseCodes.GOING_AWAY, 'broker shutting down', graceMs)),
        this.adminListener?.close(),
      ]);
      await this.security?.close();
      this.log.info('broker closed');
    })();
    return this.closing;
  }
}
