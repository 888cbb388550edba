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

export function bindUser(policy: PreparedPolicy, user: string, log: Logger): UserEntitlements {
  const groups = policy.membership.get(user) ?? (policy.allowUnknownUser ? [DEFAULT_GROUP] : undefined);
  if (groups === undefined) return UNKNOWN_USER_ENTITLEMENTS;
  const binder = new UserBinder(user, log);
  const logon = binder.addDenyRules(policy.denyRules, groups);
  binder.addGrants(policy, groups);
  return binder.build(logon);
}

interface RulesInProgress {
  readonly denies: RuleEntry<DenyAnswer>[];
  readonly grants: RuleEntry<AllowAnswer>[];
  readonly noGrant: DenyAnswer;
}

function emptyRules(noGrant: DenyAnswer): RulesInProgress {
  return { denies: [], grants: [], noGrant };
}

/** Collects one user's bound rules per kind of request. */
class UserBinder {
  private readonly rules = {
    read: emptyRules(NO_GRANT.read),
    write: emptyRules(NO_GRANT.write),
    admin: emptyRules(NO_GRANT.admin),
  };

  constructor(
    private readonly user: string,
    private readonly log: Logger,
  ) {}

  /** Adds the deny rules that reach the user; returns the logon answer they leave. */
  addDenyRules(denyRules: readonly PreparedDenyRule[], groups: readonly string[]): AllowAnswer | DenyAnswer {
    let logon: AllowAnswer | DenyAnswer = ALLOW;
    for (const rule of denyRules) {
      const through = groupsRuleReaches(rule, this.user, groups);
      if (through.length === 0) continue;
      if (rule.actions.has('logon') && logon === ALLOW) logon = rule.answer;
      // Without ${group} the rule means the same through every group: bind it once.
      for (const group of rule.usesGroup ? through : through.slice(0, 1)) {
        const values = { user: this.user, group };
        for (const action of ['read', 'write'] as const) {
          if (!rule.actions.has(action)) continue;
          for (const topic of rule.topics)
            this.rules[action].denies.push({ matcher: this.bindDeny(topic, values), answer: rule.answer });
        }
        if (!rule.actions.has('admin')) continue;
        const paths =
          rule.paths === undefined ? [MATCH_EVERYTHING] : rule.paths.map((path) => this.bindDeny(path, values));
        for (const matcher of paths) this.rules.admin.denies.push({ matcher, answer: rule.answer });
      }
    }
    return logon;
  }

  /** Adds the grants of the user's groups, in policy order (the first match decides filter and select). */
  addGrants(policy: PreparedPolicy, groups: readonly string[]): void {
    for (const group of groups) {
      const values = { user: this.user, group };
      for (const grant of policy.groups.get(group)?.grants ?? []) {
        for (const action of ['read', 'write'] as const) {
          if (!grant.actions.has(action)) continue;
          for (const topic of grant.topics) this.addGrant(this.rules[action], topic, values, grant.answer);
        }
        if (!grant.actions.has('admin')) continue;
        // Admin answers carry no filter or select list: those are for topics.
        if (grant.paths === undefined) this.rules.admin.grants.push({ matcher: MATCH_EVERYTHING, answer: ALLOW });
        else for (const path of grant.paths) this.addGrant(this.rules.admin, path, values, ALLOW);
      }
    }
  }

  build(logon: AllowAnswer | DenyAnswer): UserEntitlements {
    const { read, write, admin } = this.rules;
    return Object.freeze({
      logon,
      read: Object.freeze(read),
      write: Object.freeze(write),
      admin: Object.freeze(admin),
    });
  }

  private addGrant(
    rules: RulesInProgress,
    pattern: TopicPattern,
    values: PlaceholderValues,
    answer: AllowAnswer,
  ): void {
    const bound = bindTopicPattern(pattern, values);
    if ('matcher' in bound) rules.grants.push({ matcher: bound.matcher, answer });
    else this.logUnbound(pattern, bound.unbound, 'grants nothing');
  }

  private bindDeny(pattern: TopicPattern, values: PlaceholderValues): TopicMatcher {
    const bound = bindTopicPattern(pattern, values);
    if ('matcher' in bound) return bound.matcher;
    this.logUnbound(pattern, bound.unbound, 'denies everything');
    return MATCH_EVERYTHING;
  }

  private logUnbound(pattern: TopicPattern, reason: string, effect: string): void {
    this.log.debug(
      { user: this.user, pattern: pattern.source, reason },
      `policy pattern cannot be bound for this user; it ${effect}`,
    );
  }
}

/** The user's groups the rule reaches them through: all of them if it names the user (or "*"), else those it names. */
function groupsRuleReaches(rule: PreparedDenyRule, user: string, groups: readonly string[]): readonly string[] {
  if (rule.everyone || rule.users.has(user)) return groups;
  return groups.filter((group) => rule.groups.has(group));
}
