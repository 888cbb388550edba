// The policy from docs/entitlement.md, as the tests use it (inline, so `${user}` is written as
// is: the config loader's `$${` escaping only applies to the broker's own config file).
import { createPolicyEntitlement } from '../../../server/security/entitlement/index.js';
import type { EntitlementModule } from '../../../server/security/module-types.js';
import { testContext, type TestContext } from './helpers.js';

export const PRICES_FILTER = "region = 'EU'";
export const PRICES_SELECT = '-/internal';

export function examplePolicy(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    allowUnknownUser: false,
    groups: {
      admins: {
        users: ['admin'],
        grants: [{ actions: ['read', 'write', 'admin'], topics: ['#'] }],
      },
      traders: {
        users: ['alice', 'bob'],
        grants: [
          { actions: ['read', 'write'], topics: ['orders/${user}/#'] },
          { actions: ['read'], topics: ['prices/#'], filter: PRICES_FILTER, select: PRICES_SELECT },
        ],
      },
      guests: {
        users: ['eve'],
        grants: [{ actions: ['read'], topics: ['prices/public/#'] }],
      },
      $default: {
        grants: [{ actions: ['read'], topics: ['prices/public/#', 'lobby/#'] }],
      },
    },
    deny: [{ users: ['*'], actions: ['write'], topics: ['prices/#'] }],
    ...overrides,
  };
}

export async function policyModule(
  policy: Record<string, unknown>,
  context: TestContext = testContext(),
): Promise<EntitlementModule> {
  return createPolicyEntitlement({ policy }, context);
}
