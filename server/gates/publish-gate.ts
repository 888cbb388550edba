// The publish pipeline, the same for every protocol: the topic, the size, the write entitlement,
// the connection's distinct-topic rate, then the write filter, in that order. The AMPS User Guide
// (*Securing AMPS*) makes a write entitlement's filter a condition on each published message.
// Each protocol adapter turns a refusal into its own answer (a native error, a PUBACK reason code,
// a dropped QoS 0 message); an accepted message goes to the router.
//
// One per connection: it keeps the connection's write answers by topic (WriteDecisionCache) and,
// once admitted, its resource-limit group's message size and publish-topic window.
import type { AdmissionTicket } from '../admission/admission.js';
import type { PublishTopicWindow } from '../admission/publish-topic-window.js';
import type { Message } from '../delivery/message.js';
import { ALLOW_ALL, type Decision } from '../security/decision.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { EntitlementService } from '../security/entitlement-service.js';
import type { BrokerStats } from '../stats.js';
import { TopicError, validatePublishTopic, type TopicLimits } from '../topics/index.js';
import type { GateProtocol } from './logon-gate.js';
import { WriteDecisionCache } from './write-decision-cache.js';
import { checkWriteFilter } from './write-filter.js';

export type PublishRefusalReason =
  /** Not a valid topic to publish to (see `error`). */
  | 'invalid-topic'
  /** Larger than the connection's resource-limit group allows. */
  | 'too-large'
  /** The write entitlement denied the topic. */
  | 'not-entitled'
  /** The write entitlement check failed, or its rules do not compile (denied, fail closed). */
  | 'entitlement-unavailable'
  /** The connection published to as many distinct topics this second as its group allows. */
  | 'topic-rate'
  /** The payload does not match the write filter. */
  | 'filtered'
  /** A write filter applies and the payload is not a JSON object. */
  | 'not-object';

export interface PublishRefusal {
  readonly kind: 'refused';
  readonly reason: PublishRefusalReason;
  readonly detail: string;
  /** The topic's own error, with its code, for 'invalid-topic'. */
  readonly error: TopicError | null;
}

function refusal(reason: PublishRefusalReason, detail: string, error: TopicError | null = null): PublishRefusal {
  return { kind: 'refused', reason, detail, error };
}

/** Whether a publish counts toward the connection's distinct-topic rate (a will, sent after it closed, does not). */
export type TopicRate = 'counted' | 'exempt';

export class PublishGate {
  private readonly writeDecisions: WriteDecisionCache;
  private maxBytes = Number.POSITIVE_INFINITY;
  private topicWindow: PublishTopicWindow | null = null;
  /** The admitted user, for the audit log's denials. */
  private user = '';

  constructor(
    entitlements: EntitlementService,
    private readonly topicLimits: TopicLimits,
    private readonly stats: BrokerStats,
    private readonly audit: AuditLog | null = null,
    private readonly protocol: GateProtocol = 'native',
  ) {
    this.writeDecisions = new WriteDecisionCache(entitlements);
  }

  /** The connection was admitted: its resource-limit group's size and topic-rate limits apply from now on. */
  admit(ticket: AdmissionTicket): void {
    this.user = ticket.user;
    // A vhost group's maxMessageSize narrows the resource-limit group's (the smaller applies).
    const vhostMax = ticket.vhostSeat?.group?.maxMessageSize;
    const max = ticket.group.maxMessageBytes;
    this.maxBytes = vhostMax !== undefined && vhostMax < max ? vhostMax : max;
    this.topicWindow = ticket.publishTopicWindow();
  }

  /** The largest message this connection may publish (Infinity when its group sets no limit). */
  get maxMessageBytes(): number {
    return this.maxBytes;
  }

  checkTopic(topic: string): PublishRefusal | null {
    try {
      validatePublishTopic(topic, this.topicLimits);
      return null;
    } catch (err) {
      if (!(err instanceof TopicError)) throw err;
      return refusal('invalid-topic', err.message, err);
    }
  }

  /** `bytes` as the protocol measures a message (the native frame, the MQTT payload); counted in publishesTooLarge. */
  checkSize(bytes: number): PublishRefusal | null {
    if (bytes <= this.maxBytes) return null;
    this.stats.publishesTooLarge++;
    return refusal('too-large', `the message is ${bytes} bytes; this connection may publish at most ${this.maxBytes}`);
  }

  /** The write entitlement of `topic`, from the connection's recent answers when it has one. */
  decide(user: string, topic: string): Decision | Promise<Decision> {
    return this.writeDecisions.get(user, topic);
  }

  /**
   * The steps after decide(), on the message built from the publish: the decision, the topic rate,
   * then the write filter. Null: route it. Each refusal is counted in its own stat.
   */
  authorize(
    decision: Decision,
    message: Message,
    rate: TopicRate,
    onInvalidRules: (err: unknown) => void,
  ): PublishRefusal | null {
    const stats = this.stats;
    if (!decision.allow) {
      stats.publishesDenied++;
      const reason = decision.failed ? 'entitlement-unavailable' : 'not-entitled';
      this.audit?.denial(this.user, 'write', message.clientTopic, reason, this.protocol);
      if (decision.failed) return refusal('entitlement-unavailable', 'entitlement check failed; denied');
      return refusal('not-entitled', `not entitled to publish to "${message.clientTopic}"`);
    }
    if (rate === 'counted' && this.topicWindow !== null && !this.topicWindow.admit(message.topic)) {
      stats.publishesOverTopicLimit++;
      return refusal('topic-rate', 'too many distinct publish topics this second');
    }
    if (decision === ALLOW_ALL) return null;
    switch (checkWriteFilter(decision, message, stats, onInvalidRules)) {
      case 'allowed':
        return null;
      case 'unavailable':
        return refusal('entitlement-unavailable', 'the write entitlement has rules that do not compile; denied');
      case 'not-object':
        return refusal('not-object', 'the payload is not an object, and a content filter applies');
      case 'filtered':
        return refusal('filtered', 'the message does not match your write filter');
    }
  }
}
