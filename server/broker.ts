// The composition root: one topic engine and router shared by every listener's sessions.
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

export class Broker implements SessionContext {
  readonly engine: TopicEngine<SubscriptionEntry, DeliveryPlan>;
  readonly router: Router;
  readonly topicLimits: TopicLimits;
  readonly stats = new BrokerStats();
  private readonly sessions = new Set<NativeSession>();
  private readonly listeners: WsListener[] = [];
  private readonly batcher = new TickBatcher();
  private readonly idPrefix = randomBytes(4).toString('hex');
  private sessionCounter = 0;
  private closing: Promise<void> | null = null;

  constructor(
    readonly config: WardenConfig,
    readonly log: Logger,
  ) {
    const { maxTopicLength, maxLevels, maxRegexLength, routeCacheSize } = config.topics;
    this.topicLimits = { maxTopicLength, maxLevels, maxRegexLength };
    this.engine = new TopicEngine({ routeCacheSize });
    this.router = new Router(this.engine);
  }

  newSessionId(): string {
    return `${this.idPrefix}-${(++this.sessionCounter).toString(36)}`;
  }

  async start(): Promise<BoundListener[]> {
    for (const listenerConfig of this.config.listeners) {
      const options = listenerConfig.options;
      const accept = (accepted: AcceptedConnection): TransportHandler => {
        const session = new NativeSession(accepted.connection, accepted.encoding, accepted.listenerName, options, this, (s) => this.onSessionGone(s));
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
      for (const b of bound) this.log.info({ listener: b.name, url: b.url }, 'listening');
      return bound;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private onSessionGone(session: NativeSession): void {
    if (this.sessions.delete(session)) this.stats.connectionsOpen--;
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

  /** Close listeners, send close frames (1001) and wait up to shutdown.graceMs for them. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const graceMs = this.config.shutdown.graceMs;
      await Promise.all(this.listeners.map((l) => l.close(CloseCodes.GOING_AWAY, 'broker shutting down', graceMs)));
      this.log.info('broker closed');
    })();
    return this.closing;
  }
}
