// Which users a policy change can affect: the policy module invalidates only their answers when
// its file changes (docs/entitlement.md#watching-the-policy-file). Pure and conservative: a user
// listed may see the same answers as before, a user not listed never sees a different one.
//
// A user's answers depend on (user-entitlements.ts): their groups, in policy order; the grants
// of those groups, in order (the first matching grant gives filter and select); the deny rules
// that reach them (by name, by "*", or through a group they are in); and, for users in no group,
// allowUnknownUser and the $default group. So the affected users are:
// - a user whose ordered list of groups differs (added to or removed from a group, or two of
//   their groups swapped places);
// - every member, before and after, of a group whose grants differ (content or order);
// - the users a deny rule that was added or removed reaches (rules are compared as a multiset
//   of their text: a rule that only moved up or down decides the same requests);
// - every user, those in no group included (who cannot be listed), when allowUnknownUser
//   changes, or while it is true on either side when $default's grants change or a changed
//   deny rule names "*" or the $default group. With allowUnknownUser false on both sides a user
//   in no group is denied everything either way, so "*" reaches only the users in groups.
import { DEFAULT_GROUP, EVERYONE } from './policy-schema.js';
import type { PreparedDenyRule, PreparedPolicy } from './prepared-policy.js';

export interface PolicyDiff {
  /** Users in no group may be affected: every cached answer must go (users lists the named ones still). */
  readonly everyone: boolean;
  /** The affected users the policies name, sorted. */
  readonly users: readonly string[];
}

export const NO_CHANGE: PolicyDiff = Object.freeze({ everyone: false, users: Object.freeze([]) });

export function diffPolicies(before: PreparedPolicy, after: PreparedPolicy): PolicyDiff {
  const affected = new Set<string>();
  // Users in no group count only where allowUnknownUser lets them in.
  const unknownUsersMatter = before.allowUnknownUser || after.allowUnknownUser;
  let everyone = before.allowUnknownUser !== after.allowUnknownUser;

  for (const user of union(before.membership.keys(), after.membership.keys())) {
    if (!sameList(before.membership.get(user), after.membership.get(user))) affected.add(user);
  }

  const addMembers = (group: string): void => {
    if (group === DEFAULT_GROUP) {
      if (unknownUsersMatter) everyone = true;
      return;
    }
    for (const policy of [before, after])
      for (const [user, groups] of policy.membership) if (groups.includes(group)) affected.add(user);
  };

  for (const group of union(before.groups.keys(), after.groups.keys())) {
    if (!sameList(grantTexts(before, group), grantTexts(after, group))) addMembers(group);
  }

  for (const rule of changedDenyRules(before.denyRules, after.denyRules)) {
    if (rule.everyone) {
      if (unknownUsersMatter) everyone = true;
      for (const user of union(before.membership.keys(), after.membership.keys())) affected.add(user);
    }
    // "*" in `users` means everyone, not a user of that name (who cannot be named alone).
    for (const user of rule.users) if (user !== EVERYONE) affected.add(user);
    for (const group of rule.groups) addMembers(group);
  }
  if (!everyone && affected.size === 0) return NO_CHANGE;
  return { everyone, users: [...affected].sort() };
}

function* union<T>(a: Iterable<T>, b: Iterable<T>): Generator<T> {
  const seen = new Set<T>();
  for (const item of a) {
    seen.add(item);
    yield item;
  }
  for (const item of b) if (!seen.has(item)) yield item;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** A group's grants as written, in order; undefined when the policy has no such group. */
function grantTexts(policy: PreparedPolicy, group: string): string[] | undefined {
  return policy.groups.get(group)?.grants.map((grant) => grant.source.text);
}

/** The deny rules in one policy and not the other, compared by their text (as often as they appear). */
function changedDenyRules(before: readonly PreparedDenyRule[], after: readonly PreparedDenyRule[]): PreparedDenyRule[] {
  const unmatched = new Map<string, PreparedDenyRule[]>();
  for (const rule of before) {
    const same = unmatched.get(rule.source.text);
    if (same === undefined) unmatched.set(rule.source.text, [rule]);
    else same.push(rule);
  }
  const added: PreparedDenyRule[] = [];
  for (const rule of after) {
    const same = unmatched.get(rule.source.text);
    if (same !== undefined && same.length > 0) same.pop();
    else added.push(rule);
  }
  return [...added, ...[...unmatched.values()].flat()];
}
