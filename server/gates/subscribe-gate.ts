// The subscribe pipeline, the same for every protocol: room under the connection's limit, the
// filter (a regex charged to the broker's regex budget), then the read entitlement. Per the AMPS
// User Guide (*Securing AMPS*, entitlement of subscriptions), a literal topic is entitled now and
// a wildcard or regex subscription per concrete topic at delivery, by the DeliveryPlan.
// Each protocol adapter turns a refusal into its own answer (a native error, a SUBACK code).
import { ALLOW_ALL, type Decision } from '../security/decision.js';
import type { EntitlementService } from '../security/entitlement-service.js';
import type { BrokerStats } from '../stats.js';
import type { AuditLog } from '../audit/audit-log.js';
import {
  parseSubscriptionPattern,
  TopicError,
  type RegexBudget,
  type RegexLease,
  type SubscriptionPattern,
  type TopicLimits,
} from '../topics/index.js';

export type SubscribeRefusalReason =
  /** The connection holds as many subscriptions as its limit. */
  | 'too-many'
  /** The filter is not a valid topic filter or regex, or the regex budget refused it (see `error`). */
  | 'invalid-filter'
  /** The read entitlement denied the literal topic. */
  | 'not-entitled'
  /** The read entitlement check failed (denied, fail closed). */
  | 'entitlement-unavailable';

export interface SubscribeRefusal {
  readonly kind: 'refused';
  readonly reason: SubscribeRefusalReason;
  readonly detail: string;
  /** The filter's own error, with its code, for 'invalid-filter'. */
  readonly error: TopicError | null;
}

/** A parsed filter, and the regex budget it holds until it is given back (null for a topic filter). */
export interface ParsedFilter {
  readonly kind: 'parsed';
  readonly pattern: SubscriptionPattern;
  readonly lease: RegexLease | null;
}

function refusal(reason: SubscribeRefusalReason, detail: string, error: TopicError | null = null): SubscribeRefusal {
  return { kind: 'refused', reason, detail, error };
}

/** One per listener; a connection passes its own counts and limit. */
export class SubscribeGate {
  constructor(
    private readonly entitlements: EntitlementService,
    private readonly topicLimits: TopicLimits,
    private readonly regexBudget: RegexBudget,
    private readonly stats: BrokerStats,
    private readonly audit: AuditLog | null = null,
  ) {}

  /** Refuses a new subscription on a connection that holds `held` of its `max`. */
  checkRoom(held: number, max: number): SubscribeRefusal | null {
    if (held < max) return null;
    this.stats.subscriptionsOverLimit++;
    return refusal('too-many', `this connection already has ${held} subscriptions, the maximum`);
  }

  /** A topic filter, or (native only) a regex, which is charged to `user`'s share of the regex budget. */
  parse(user: string, topic: string | undefined, regex: string | undefined): ParsedFilter | SubscribeRefusal {
    try {
      if (regex !== undefined && topic === undefined) {
        const lease = this.regexBudget.acquire(user, regex, this.topicLimits);
        return { kind: 'parsed', pattern: lease.pattern, lease };
      }
      return { kind: 'parsed', pattern: parseSubscriptionPattern({ topic, regex }, this.topicLimits), lease: null };
    } catch (err) {
      if (!(err instanceof TopicError)) throw err;
      return refusal('invalid-filter', err.message, err);
    }
  }

  /** The read entitlement of a literal topic; ALLOW_ALL for a wildcard or regex, entitled per topic at delivery. */
  decide(user: string, pattern: SubscriptionPattern): Decision | Promise<Decision> {
    if (pattern.kind !== 'exact') return ALLOW_ALL;
    return this.entitlements.check(user, 'read', 'topic', pattern.topic);
  }

  /** The answer of decide() for `pattern`: null to go on, or the refusal (counted in subscriptionsDenied). */
  conclude(
    decision: Decision,
    pattern: SubscriptionPattern,
    user: string,
    protocol: 'native' | 'mqtt',
  ): SubscribeRefusal | null {
    if (decision.allow) return null;
    this.stats.subscriptionsDenied++;
    if (pattern.kind === 'exact')
      this.audit?.denial(
        user,
        'read',
        pattern.topic,
        decision.failed ? 'entitlement-unavailable' : 'not-entitled',
        protocol,
      );
    if (decision.failed) return refusal('entitlement-unavailable', 'entitlement check failed; denied');
    // Only a literal topic is refused here: decide() allows the others until delivery.
    const topic = pattern.kind === 'exact' ? pattern.topic : '';
    return refusal('not-entitled', `not entitled to read "${topic}"`);
  }
}
