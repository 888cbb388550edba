// The `vhost-policy` entitlement module (docs/vhosts.md#rules): one vhost's compiled policy behind
// the broker's EntitlementModule boundary, so the entitlement cache, `explain` and resets work for
// a vhost as for any module. Every answer is synchronous; the broker builds one per vhost from its
// policy, and a changed policy is a new module (EntitlementService.replaceModule), not a mutation.
import type {
  EntitlementAnswer,
  EntitlementExplanation,
  EntitlementModule,
  EntitlementRequest,
} from '../security/module-types.js';
import type { VhostPolicyRules } from './vhost-policy-rules.js';

export const VHOST_POLICY_MODULE = 'vhost-policy';

class VhostPolicyEntitlement implements EntitlementModule {
  readonly name = VHOST_POLICY_MODULE;

  constructor(private readonly rules: VhostPolicyRules) {}

  check(request: EntitlementRequest): EntitlementAnswer {
    return this.rules.check(request);
  }

  explain(request: EntitlementRequest): EntitlementExplanation {
    return this.rules.explain(request);
  }

  /** An entitlement reset: users in no group are bound again when next seen. The policy itself is kept. */
  reset(): void {
    this.rules.forgetUnknownUsers();
  }
}

export function createVhostPolicyEntitlement(rules: VhostPolicyRules): EntitlementModule {
  return new VhostPolicyEntitlement(rules);
}
