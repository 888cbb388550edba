// What a native session needs from the broker, passed in once at construction.
import type { Logger } from 'pino';
import type { RegexBudget, TopicEngine, TopicLimits } from '../topics/index.js';
import type { DeliveryPlan } from '../delivery/delivery-plan.js';
import type { Router } from '../delivery/router.js';
import type { SubscriptionEntry } from '../delivery/subscription-entry.js';
import type { BrokerStats } from '../stats.js';
import type { NativeListenerOptions } from '../config/index.js';
import type { Admission } from '../admission/admission.js';
import type { Timers } from '../timers.js';
import type { FilterSyntax } from '../content/filter/index.js';

export interface SessionContext {
  readonly engine: TopicEngine<SubscriptionEntry, DeliveryPlan>;
  readonly router: Router;
  readonly topicLimits: TopicLimits;
  /** The broker-wide budget every regex subscription is charged to (topics.regex). */
  readonly regexBudget: RegexBudget;
  readonly stats: BrokerStats;
  readonly log: Logger;
  /** Per connection: deliveries held while a read entitlement is pending (security.maxPendingDeliveries). */
  readonly maxPendingDeliveries: number;
  /** The syntax of a subscriber's filter that does not name one (content.filterSyntax). */
  readonly filterSyntax: FilterSyntax;
  /** Admission control: consulted after authentication, before a session is admitted (docs/admission.md). */
  readonly admission: Admission;
  /** The time and timers of the logon timeouts, session expiry, delayed wills and message expiry. */
  readonly timers: Timers;
  newSessionId(): string;
}

export type SessionLimits = NativeListenerOptions;
