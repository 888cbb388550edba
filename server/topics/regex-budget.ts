// The broker-wide budget for regex subscriptions (docs/protocol.md). Every new topic is tested
// against every distinct regex, and a regex search costs up to (program size x topic length), so
// the sum of the distinct regexes' program sizes bounds the work a publish to a new topic can
// cause; their number and match-state cap bound the memory. Each user has a share of both.
//
// Subscriptions to the same source share one compiled regex: the broker pays for a pattern once,
// while each user pays for every regex subscription they hold.
import type { RE2JS } from 're2js';
import { compileSubscriptionRegex } from './compile-topic-regex.js';
import { TopicError } from './topic-errors.js';
import type { TopicLimits } from './topic-limits.js';

export interface RegexBudgetLimits {
  /** Regex subscriptions in the broker; 0 refuses every one. */
  maxSubscriptions: number;
  /** Regex subscriptions one user may hold, over all their connections. */
  maxSubscriptionsPerUser: number;
  /** Sum of the program sizes of the distinct regexes subscribed to in the broker. */
  maxTotalProgramSize: number;
  /** Sum of the program sizes of one user's regex subscriptions. */
  maxProgramSizePerUser: number;
}

/** What the budget reports (BrokerStats has these fields). */
export interface RegexBudgetCounters {
  regexSubscriptions: number;
  regexPatterns: number;
  regexProgramSize: number;
  regexSubscriptionsRefused: number;
}

export type RegexPattern = { kind: 'regex'; source: string; regex: RE2JS };

class SharedRegex {
  readonly pattern: RegexPattern;
  readonly cost: number;
  refs: number;

  constructor(pattern: RegexPattern) {
    this.pattern = pattern;
    this.cost = pattern.regex.programSize();
    this.refs = 0;
  }
}

class UserShare {
  subscriptions = 0;
  programSize = 0;
}

/** One regex subscription's hold on the budget; released once, when the subscription ends. */
export class RegexLease {
  private released = false;

  constructor(
    private readonly budget: RegexBudget,
    private readonly user: string,
    private readonly shared: SharedRegex,
  ) {}

  get pattern(): RegexPattern {
    return this.shared.pattern;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.user, this.shared);
  }
}

export class RegexBudget {
  private readonly patterns = new Map<string, SharedRegex>();
  private readonly users = new Map<string, UserShare>();
  private subscriptions = 0;
  private programSize = 0;

  constructor(
    private readonly limits: RegexBudgetLimits,
    private readonly counters: RegexBudgetCounters,
  ) {}

  /**
   * Compiles `source` (or reuses the regex already subscribed to) and charges it to `user`.
   * Throws TopicError: INVALID_REGEX / TOPIC_TOO_LONG for the pattern itself, RESOURCE_LIMIT when
   * the broker's or the user's budget has no room for it.
   */
  acquire(user: string, source: unknown, topicLimits: TopicLimits): RegexLease {
    const limits = this.limits;
    const share = this.users.get(user);
    // Counts first: a refusal that needs no compiling costs nothing.
    if (this.subscriptions >= limits.maxSubscriptions) {
      throw this.refuse(`the broker already holds ${this.subscriptions} regex subscriptions, its limit`);
    }
    if (share !== undefined && share.subscriptions >= limits.maxSubscriptionsPerUser) {
      throw this.refuse(`this user already holds ${share.subscriptions} regex subscriptions, the per-user limit`);
    }
    const known = typeof source === 'string' ? this.patterns.get(source) : undefined;
    const shared =
      known ??
      new SharedRegex({
        kind: 'regex',
        source: source as string,
        regex: compileSubscriptionRegex(source, topicLimits),
      });
    const userSize = (share?.programSize ?? 0) + shared.cost;
    if (userSize > limits.maxProgramSizePerUser) {
      throw this.refuse(
        `this regex compiles to ${shared.cost} instructions; this user's regex subscriptions would total ${userSize}, over the per-user limit of ${limits.maxProgramSizePerUser}`,
      );
    }
    if (known === undefined && this.programSize + shared.cost > limits.maxTotalProgramSize) {
      const total = this.programSize + shared.cost;
      throw this.refuse(
        `this regex compiles to ${shared.cost} instructions; the broker's distinct regexes would total ${total}, over its limit of ${limits.maxTotalProgramSize}`,
      );
    }
    this.take(user, share, shared);
    return new RegexLease(this, user, shared);
  }

  private take(user: string, existing: UserShare | undefined, shared: SharedRegex): void {
    let share = existing;
    if (share === undefined) {
      share = new UserShare();
      this.users.set(user, share);
    }
    share.subscriptions++;
    share.programSize += shared.cost;
    if (shared.refs++ === 0) {
      this.patterns.set(shared.pattern.source, shared);
      this.programSize += shared.cost;
    }
    this.subscriptions++;
    this.publish();
  }

  /** @internal RegexLease.release */
  give(user: string, shared: SharedRegex): void {
    const share = this.users.get(user)!;
    share.subscriptions--;
    share.programSize -= shared.cost;
    if (share.subscriptions === 0) this.users.delete(user);
    if (--shared.refs === 0) {
      this.patterns.delete(shared.pattern.source);
      this.programSize -= shared.cost;
    }
    this.subscriptions--;
    this.publish();
  }

  private publish(): void {
    const counters = this.counters;
    counters.regexSubscriptions = this.subscriptions;
    counters.regexPatterns = this.patterns.size;
    counters.regexProgramSize = this.programSize;
  }

  private refuse(message: string): TopicError {
    this.counters.regexSubscriptionsRefused++;
    return new TopicError('RESOURCE_LIMIT', message);
  }
}
