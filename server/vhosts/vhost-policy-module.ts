// The `vhost-policy` entitlement module: one vhost's policy behind the broker's usual entitlement
// interface, so the entitlement cache, resets and re-evaluation work for vhosts unchanged
// (docs/vhosts.md#rules). Built by the broker for each vhost; not named in a config.
import type { EntitlementModule } from '../security/module-types.js';
import type { VhostPolicyRules } from './vhost-policy-rules.js';

export function createVhostPolicyEntitlement(rules: VhostPolicyRules): EntitlementModule {
  return {
    name: 'vhost-policy',
    check: (request) => rules.check(request),
    // Users in no group were bound on first sight: a reset binds them again.
    reset: () => rules.forgetUnknownUsers(),
  };
}
