// The security pipeline of one listener, as every session on it uses it: the logon and subscribe
// gates (shared), a publish gate per connection, and the read entitlement that deliveries ask.
import type { Logger } from 'pino';
import type { Admission } from '../admission/admission.js';
import type { Decision } from '../security/decision.js';
import type { ListenerSecurity } from '../security/security-manager.js';
import type { EntitlementService } from '../security/entitlement-service.js';
import type { BrokerStats } from '../stats.js';
import type { RegexBudget, TopicLimits } from '../topics/index.js';
import { LogonGate, type GateProtocol, type VhostLogon } from './logon-gate.js';
import { VhostNamespace } from '../vhosts/vhost-namespace.js';
import type { Vhost } from '../vhosts/vhosts.js';
import { PublishGate } from './publish-gate.js';
import { SubscribeGate } from './subscribe-gate.js';
import type { AuditLog } from '../audit/audit-log.js';

export interface GateContext {
  readonly admission: Admission;
  readonly stats: BrokerStats;
  readonly topicLimits: TopicLimits;
  readonly regexBudget: RegexBudget;
  /** Where logons and entitlement denials are written (audit.enabled), or null. */
  readonly audit: AuditLog | null;
}

export class ListenerGates {
  readonly logon: LogonGate;
  readonly subscribe: SubscribeGate;
  /** The vhost whose connections use these gates, or null without vhosts (docs/vhosts.md). */
  readonly vhost: Vhost | null;
  /** Where those connections' topics live: the vhost's hidden namespace, or the default one. */
  readonly namespace: VhostNamespace;

  constructor(
    private readonly security: ListenerSecurity,
    private readonly ctx: GateContext,
    log: Logger,
    vhost: VhostLogon | null = null,
  ) {
    this.vhost = vhost?.vhost ?? null;
    this.namespace = this.vhost?.namespace ?? VhostNamespace.DEFAULT;
    this.logon = new LogonGate(security, ctx.admission, ctx.stats, log, ctx.audit, vhost);
    this.subscribe = new SubscribeGate(security.entitlements, ctx.topicLimits, ctx.regexBudget, ctx.stats, ctx.audit);
  }

  /** The entitlements its connections are asked under (a re-evaluation asks them again). */
  get entitlements(): EntitlementService {
    return this.security.entitlements;
  }

  /** A new connection's publish gate: it keeps that connection's write answers and limits. */
  publishGate(protocol: GateProtocol): PublishGate {
    return new PublishGate(this.security.entitlements, this.ctx.topicLimits, this.ctx.stats, this.ctx.audit, protocol);
  }

  /**
   * The read entitlement of `topic` (a route's, internal) for a delivery: wildcard and regex
   * subscriptions are entitled per topic. A vhost's module is asked about the topic its clients see.
   */
  readAccess(user: string, topic: string): Decision | Promise<Decision> {
    const resource = this.vhost === null ? topic : VhostNamespace.clientTopic(topic);
    return this.security.entitlements.check(user, 'read', 'topic', resource);
  }
}
