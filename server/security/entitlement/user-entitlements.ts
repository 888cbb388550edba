// One user's policy, bound: every `${user}`/`${group}` filled in and every matcher ready, so a
// check is a few loops over prebuilt matchers. Binding fails closed: a pattern that cannot be
// bound for this user (empty name, "/" in a name used as a level, a regex that no longer
// compiles) grants nothing, and as a deny rule denies every topic or path of its actions.
import type { Logger } from 'pino';
import { ALLOW, denyAnswer, type AllowAnswer, type DenyAnswer } from './answers.js';
import type { PlaceholderValues } from './placeholders.js';
import { DEFAULT_GROUP } from './policy-schema.js';
import type { PreparedDenyRule, PreparedPolicy } from './prepared-policy.js';
import { MATCH_EVERYTHING, type TopicMatcher } from './topic-matcher.js';
import { bindTopicPattern, type TopicPattern } from './topic-pattern.js';

export interface RuleEntry<A> {
  readonly matcher: TopicMatcher;
  readonly answer: A;
}

/** The rules for one kind of request: denies first, then grants in policy order. */
export interface ActionRules {
  readonly denies: readonly RuleEntry<DenyAnswer>[];
  readonly grants: readonly RuleEntry<AllowAnswer>[];
  readonly noGrant: DenyAnswer;
}

export interface UserEntitlements {
  readonly logon: AllowAnswer | DenyAnswer;
  readonly read: ActionRules;
  readonly write: ActionRules;
  readonly admin: ActionRules;
}

const NO_GRANT = {
  read: denyAnswer('no read grant matches the topic'),
  write: denyAnswer('no write grant matches the topic'),
  admin: denyAnswer('no admin grant matches the path'),
};

const NOT_IN_A_GROUP = denyAnswer('user is in no group');
const NOTHING_ALLOWED: ActionRules = Object.freeze({ denies: [], grants: [], noGrant: NOT_IN_A_GROUP });

/** A user in no group while allowUnknownUser is false: everything denied, logon included. */
export const UNKNOWN_USER_ENTITLEMENTS: UserEntitlements = Object.freeze({
  logon: NOT_IN_A_GROUP,
  read: NOTHING_ALLOWED,
  write: NOTHING_ALLOWED,
  admin: NOTHING_ALLOWED,
});

class RulesBuilder {
  readonly denies: RuleEntry<DenyAnswer>[] = [];
  readonly grants: RuleEntry<AllowAnswer>[] = [];

  constructor(private readonly noGrant: DenyAnswer) {}

  build(): ActionRules {
    return Object.freeze({ denies: this.denies, grants: this.grants, noGrant: this.noGrant });
  }
}

export function bindUser(policy: PreparedPolicy, user: string, log: Logger): UserEntitlements {
  const groups = policy.membership.get(user) ?? (policy.allowUnknownUser ? [DEFAULT_GROUP] : undefined);
  if (groups === undefined) return UNKNOWN_USER_ENTITLEMENTS;

  const rules = { read: new RulesBuilder(NO_GRANT.read), write: new RulesBuilder(NO_GRANT.write), admin: new RulesBuilder(NO_GRANT.admin) };
  const unbound = (pattern: TopicPattern, reason: string, effect: string): void => {
    log.debug({ user, pattern: pattern.source, reason }, `policy pattern cannot be bound for this user; it ${effect}`);
  };
  const bindGrant = (pattern: TopicPattern, values: PlaceholderValues): TopicMatcher | undefined => {
    const bound = bindTopicPattern(pattern, values);
    if ('matcher' in bound) return bound.matcher;
    unbound(pattern, bound.unbound, 'grants nothing');
    return undefined;
  };
  const bindDeny = (pattern: TopicPattern, values: PlaceholderValues): TopicMatcher => {
    const bound = bindTopicPattern(pattern, values);
    if ('matcher' in bound) return bound.matcher;
    unbound(pattern, bound.unbound, 'denies everything');
    return MATCH_EVERYTHING;
  };

  let logon: AllowAnswer | DenyAnswer = ALLOW;
  for (const rule of policy.denyRules) {
    const through = groupsRuleReaches(rule, user, groups);
    if (through.length === 0) continue;
    if (rule.actions.has('logon') && logon === ALLOW) logon = rule.answer;
    // Without ${group} the rule means the same through every group: bind it once.
    for (const group of rule.usesGroup ? through : through.slice(0, 1)) {
      const values = { user, group };
      for (const action of ['read', 'write'] as const) {
        if (!rule.actions.has(action)) continue;
        for (const topic of rule.topics) rules[action].denies.push({ matcher: bindDeny(topic, values), answer: rule.answer });
      }
      if (rule.actions.has('admin')) {
        if (rule.paths === undefined) rules.admin.denies.push({ matcher: MATCH_EVERYTHING, answer: rule.answer });
        else for (const path of rule.paths) rules.admin.denies.push({ matcher: bindDeny(path, values), answer: rule.answer });
      }
    }
  }

  for (const group of groups) {
    const values = { user, group };
    for (const grant of policy.groups.get(group)?.grants ?? []) {
      for (const action of ['read', 'write'] as const) {
        if (!grant.actions.has(action)) continue;
        for (const topic of grant.topics) {
          const matcher = bindGrant(topic, values);
          if (matcher !== undefined) rules[action].grants.push({ matcher, answer: grant.answer });
        }
      }
      if (!grant.actions.has('admin')) continue;
      // Admin answers carry no filter or select list: those are for topics.
      if (grant.paths === undefined) rules.admin.grants.push({ matcher: MATCH_EVERYTHING, answer: ALLOW });
      else
        for (const path of grant.paths) {
          const matcher = bindGrant(path, values);
          if (matcher !== undefined) rules.admin.grants.push({ matcher, answer: ALLOW });
        }
    }
  }

  return Object.freeze({ logon, read: rules.read.build(), write: rules.write.build(), admin: rules.admin.build() });
}

/** The user's groups the rule reaches them through: all of them if it names the user (or "*"), else those it names. */
function groupsRuleReaches(rule: PreparedDenyRule, user: string, groups: readonly string[]): readonly string[] {
  if (rule.everyone || rule.users.has(user)) return groups;
  return groups.filter((group) => rule.groups.has(group));
}
