// A loaded policy, ready to answer checks synchronously. Users listed in the policy are bound at
// load; users in no group (only when allowUnknownUser is true) are bound on first sight and kept
// in a bounded LRU, since their names are not known in advance.
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { EntitlementAnswer, EntitlementExplanation, EntitlementRequest } from '../module-types.js';
import { decideRequest, explainRequest } from './decide-request.js';
import type { PolicyDefinition } from './policy-schema.js';
import { preparePolicy, type PreparedPolicy } from './prepared-policy.js';
import { bindUser, UNKNOWN_USER_ENTITLEMENTS, type UserEntitlements } from './user-entitlements.js';

/** Bound entitlements kept for users in no group; beyond it the least recently seen are rebound when next seen. */
export const UNKNOWN_USER_CACHE_SIZE = 10_000;

export class PolicyRules {
  /** The policy as prepared (policy-diff.ts compares two of them). */
  readonly policy: PreparedPolicy;
  private readonly known: ReadonlyMap<string, UserEntitlements>;
  private readonly unknown: LRUCache<string, UserEntitlements>;
  private readonly log: Logger;

  constructor(definition: PolicyDefinition, log: Logger) {
    this.policy = preparePolicy(definition);
    this.log = log;
    const known = new Map<string, UserEntitlements>();
    for (const user of this.policy.membership.keys()) known.set(user, bindUser(this.policy, user, log));
    this.known = known;
    this.unknown = new LRUCache({ max: UNKNOWN_USER_CACHE_SIZE });
  }

  check(request: EntitlementRequest): EntitlementAnswer {
    return decideRequest(this.entitlementsOf(request.user), request);
  }

  /** check() with the rule that decided. Side-effect free: a user in no group is bound for this call only. */
  explain(request: EntitlementRequest): EntitlementExplanation {
    const { user } = request;
    const entitlements =
      this.known.get(user) ??
      (this.policy.allowUnknownUser
        ? (this.unknown.peek(user) ?? bindUser(this.policy, user, this.log))
        : UNKNOWN_USER_ENTITLEMENTS);
    return explainRequest(entitlements, request);
  }

  /** Drops the bindings of users in no group (an entitlement reset drops every cache). */
  forgetUnknownUsers(): void {
    this.unknown.clear();
  }

  private entitlementsOf(user: string): UserEntitlements {
    const known = this.known.get(user);
    if (known !== undefined) return known;
    if (!this.policy.allowUnknownUser) return UNKNOWN_USER_ENTITLEMENTS;
    let bound = this.unknown.get(user);
    if (bound === undefined) {
      bound = bindUser(this.policy, user, this.log);
      this.unknown.set(user, bound);
    }
    return bound;
  }
}
