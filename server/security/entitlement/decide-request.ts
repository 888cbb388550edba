// Deciding one request against a user's bound entitlements: deny rules first (deny beats allow),
// then the first grant in policy order that matches, whose filter and select list come along.
// explainRequest finds the same entry and also names it.
import type { EntitlementAnswer, EntitlementExplanation, EntitlementRequest } from '../module-types.js';
import { denyAnswer, type AllowAnswer, type DenyAnswer } from './answers.js';
import { requestKind } from './request-kind.js';
import { explainedRule, type ActionRules, type RuleEntry, type UserEntitlements } from './user-entitlements.js';

const UNSUPPORTED = denyAnswer('unsupported request');

/** The rules a request is decided by: the logon answer, one action's rules, or none (unsupported). */
function rulesFor(entitlements: UserEntitlements, request: EntitlementRequest): ActionRules | 'logon' | null {
  switch (requestKind(request)) {
    case 'logon':
      return 'logon';
    case 'read':
      return entitlements.read;
    case 'write':
      return entitlements.write;
    case 'admin':
      return entitlements.admin;
    default:
      return null;
  }
}

/** The deny that matches `resource`, else the first grant that does; undefined: none (the default answer). */
function decidingEntry(
  rules: ActionRules,
  resource: string,
): RuleEntry<DenyAnswer> | RuleEntry<AllowAnswer> | undefined {
  const denies = rules.denies;
  for (let i = 0; i < denies.length; i++) if (denies[i].matcher.matches(resource)) return denies[i];
  const grants = rules.grants;
  for (let i = 0; i < grants.length; i++) if (grants[i].matcher.matches(resource)) return grants[i];
  return undefined;
}

export function decideRequest(entitlements: UserEntitlements, request: EntitlementRequest): EntitlementAnswer {
  const rules = rulesFor(entitlements, request);
  if (rules === 'logon') return entitlements.logon;
  if (rules === null) return UNSUPPORTED;
  return decidingEntry(rules, request.resource)?.answer ?? rules.noGrant;
}

/** decideRequest's answer, with the rule that gave it (null: no rule matched, the default answer). */
export function explainRequest(entitlements: UserEntitlements, request: EntitlementRequest): EntitlementExplanation {
  const rules = rulesFor(entitlements, request);
  if (rules === 'logon') return { answer: entitlements.logon, rule: entitlements.logonRule };
  if (rules === null) return { answer: UNSUPPORTED, rule: null };
  const entry = decidingEntry(rules, request.resource);
  return entry === undefined
    ? { answer: rules.noGrant, rule: null }
    : { answer: entry.answer, rule: explainedRule(entry) };
}
