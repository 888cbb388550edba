// Deciding one request against a user's bound entitlements: deny rules first (deny beats allow),
// then the first grant in policy order that matches, whose filter and select list come along.
// explainRequest walks the same rules in the same order and also names the entry that decided;
// decideRequest stays the lean loop that checks run.
import type { EntitlementAnswer, EntitlementExplanation, EntitlementRequest } from '../module-types.js';
import { denyAnswer } from './answers.js';
import { requestKind } from './request-kind.js';
import { explainedRule, type ActionRules, type UserEntitlements } from './user-entitlements.js';

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

/** decideRequest's answer, with the rule that gave it (null: no rule matched, the default answer). */
export function explainRequest(entitlements: UserEntitlements, request: EntitlementRequest): EntitlementExplanation {
  switch (requestKind(request)) {
    case 'logon':
      return { answer: entitlements.logon, rule: entitlements.logonRule };
    case 'read':
      return explain(entitlements.read, request.resource);
    case 'write':
      return explain(entitlements.write, request.resource);
    case 'admin':
      return explain(entitlements.admin, request.resource);
    default:
      return { answer: UNSUPPORTED, rule: null };
  }
}

function explain(rules: ActionRules, resource: string): EntitlementExplanation {
  const entry =
    rules.denies.find((deny) => deny.matcher.matches(resource)) ??
    rules.grants.find((grant) => grant.matcher.matches(resource));
  return entry === undefined
    ? { answer: rules.noGrant, rule: null }
    : { answer: entry.answer, rule: explainedRule(entry) };
}
