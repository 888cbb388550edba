// Deciding one request against a user's bound entitlements: deny rules first (deny beats allow),
// then the first grant in policy order that matches, whose filter and select list come along.
import type { EntitlementAnswer, EntitlementRequest } from '../module-types.js';
import { denyAnswer } from './answers.js';
import { requestKind } from './request-kind.js';
import type { ActionRules, UserEntitlements } from './user-entitlements.js';

const UNSUPPORTED = denyAnswer('unsupported request');

export function decideRequest(entitlements: UserEntitlements, request: EntitlementRequest): EntitlementAnswer {
  switch (requestKind(request)) {
    case 'logon':
      return entitlements.logon;
    case 'read':
      return decide(entitlements.read, request.resource);
    case 'write':
      return decide(entitlements.write, request.resource);
    case 'admin':
      return decide(entitlements.admin, request.resource);
    default:
      return UNSUPPORTED;
  }
}

function decide(rules: ActionRules, resource: string): EntitlementAnswer {
  const denies = rules.denies;
  for (let i = 0; i < denies.length; i++) if (denies[i].matcher.matches(resource)) return denies[i].answer;
  const grants = rules.grants;
  for (let i = 0; i < grants.length; i++) if (grants[i].matcher.matches(resource)) return grants[i].answer;
  return rules.noGrant;
}
