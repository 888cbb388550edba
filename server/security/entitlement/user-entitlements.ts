// One user's policy, bound: every `${user}`/`${group}` filled in and every matcher ready, so a
// check is a few loops over prebuilt matchers. Binding fails closed: a pattern that cannot be
// bound for this user (empty name, "/" in a name used as a level, a regex that no longer
// compiles) grants nothing, and as a deny rule denies every topic or path of its actions.
import type { Logger } from 'pino';
import type { ExplainedRule } from '../module-types.js';
import { ALLOW, denyAnswer, type AllowAnswer, type DenyAnswer } from './answers.js';
import type { PlaceholderValues } from './placeholders.js';
import type { PolicyRuleSource } from './policy-rule-source.js';
import { DEFAULT_GROUP, EVERYONE } from './policy-schema.js';
import type { PreparedDenyRule, PreparedPolicy } from './prepared-policy.js';
import { MATCH_EVERYTHING, type TopicMatcher } from './topic-matcher.js';
import { bindTopicPattern, type TopicPattern } from './topic-pattern.js';

/** One bound pattern. Checks read `matcher` and `answer`; the rest is for explain, shared, never copied. */
export interface RuleEntry<A> {
  readonly matcher: TopicMatcher;
  readonly answer: A;
  /** The grant or deny rule the pattern belongs to. */
  readonly source: PolicyRuleSource;
  /** The pattern as written; undefined for an admin rule without paths (every path). */
  readonly pattern: string | undefined;
  /** The group the rule reached the user through (a grant's own group), if any. */
  readonly group: string | undefined;
  /** The name a deny rule reached the user by (the user, or "*"), if any. */
  readonly user: string | undefined;
}

/** The rules for one kind of request: denies first, then grants in policy order. */
export interface ActionRules {
  readonly denies: readonly RuleEntry<DenyAnswer>[];
  readonly grants: readonly RuleEntry<AllowAnswer>[];
  readonly noGrant: DenyAnswer;
}

export interface UserEntitlements {
  readonly logon: AllowAnswer | DenyAnswer;
  /** The deny rule behind a denied logon, or null (explain). */
  readonly logonRule: ExplainedRule | null;
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
  logonRule: null,
  read: NOTHING_ALLOWED,
  write: NOTHING_ALLOWED,
  admin: NOTHING_ALLOWED,
});

export function bindUser(policy: PreparedPolicy, user: string, log: Logger): UserEntitlements {
  const groups = policy.membership.get(user) ?? (policy.allowUnknownUser ? [DEFAULT_GROUP] : undefined);
  if (groups === undefined) return UNKNOWN_USER_ENTITLEMENTS;
  const binder = new UserBinder(user, log);
  binder.addDenyRules(policy.denyRules, groups);
  binder.addGrants(policy, groups);
  return binder.build();
}

/** A bound entry's rule as explain reports it. */
export function explainedRule(entry: RuleEntry<unknown>): ExplainedRule {
  const { effect, location, index, text } = entry.source;
  return {
    effect,
    location,
    ...(entry.group !== undefined ? { group: entry.group } : {}),
    ...(entry.user !== undefined ? { user: entry.user } : {}),
    index,
    text,
    ...(entry.pattern !== undefined ? { pattern: entry.pattern } : {}),
  };
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
  private logon: AllowAnswer | DenyAnswer = ALLOW;
  private logonRule: ExplainedRule | null = null;

  constructor(
    private readonly user: string,
    private readonly log: Logger,
  ) {}

  /** Adds the deny rules that reach the user, and the first of them that denies logon. */
  addDenyRules(denyRules: readonly PreparedDenyRule[], groups: readonly string[]): void {
    for (const rule of denyRules) {
      const through = groupsRuleReaches(rule, this.user, groups);
      if (through.length === 0) continue;
      const byName = rule.everyone ? EVERYONE : rule.users.has(this.user) ? this.user : undefined;
      // Without ${group} the rule means the same through every group: bind it once.
      for (const group of rule.usesGroup ? through : through.slice(0, 1)) {
        const values = { user: this.user, group };
        // Named by user, the group only matters when a pattern uses it.
        const entry = {
          answer: rule.answer,
          source: rule.source,
          group: byName === undefined || rule.usesGroup ? group : undefined,
          user: byName,
        };
        if (rule.actions.has('logon') && this.logonRule === null) {
          this.logon = rule.answer;
          this.logonRule = explainedRule({ ...entry, matcher: MATCH_EVERYTHING, pattern: undefined });
        }
        for (const action of ['read', 'write'] as const) {
          if (!rule.actions.has(action)) continue;
          for (const topic of rule.topics)
            this.rules[action].denies.push({ matcher: this.bindDeny(topic, values), pattern: topic.source, ...entry });
        }
        if (!rule.actions.has('admin')) continue;
        if (rule.paths === undefined) {
          this.rules.admin.denies.push({ matcher: MATCH_EVERYTHING, pattern: undefined, ...entry });
          continue;
        }
        for (const path of rule.paths)
          this.rules.admin.denies.push({ matcher: this.bindDeny(path, values), pattern: path.source, ...entry });
      }
    }
  }

  /** Adds the grants of the user's groups, in policy order (the first match decides filter and select). */
  addGrants(policy: PreparedPolicy, groups: readonly string[]): void {
    for (const group of groups) {
      const values = { user: this.user, group };
      for (const grant of policy.groups.get(group)?.grants ?? []) {
        const entry = { answer: grant.answer, source: grant.source, group, user: undefined };
        for (const action of ['read', 'write'] as const) {
          if (!grant.actions.has(action)) continue;
          for (const topic of grant.topics) this.addGrant(this.rules[action], topic, values, entry);
        }
        if (!grant.actions.has('admin')) continue;
        // Admin answers carry no filter or select list: those are for topics.
        const adminEntry = { ...entry, answer: ALLOW };
        if (grant.paths === undefined)
          this.rules.admin.grants.push({ matcher: MATCH_EVERYTHING, pattern: undefined, ...adminEntry });
        else for (const path of grant.paths) this.addGrant(this.rules.admin, path, values, adminEntry);
      }
    }
  }

  build(): UserEntitlements {
    const { read, write, admin } = this.rules;
    return Object.freeze({
      logon: this.logon,
      logonRule: this.logonRule,
      read: Object.freeze(read),
      write: Object.freeze(write),
      admin: Object.freeze(admin),
    });
  }

  private addGrant(
    rules: RulesInProgress,
    pattern: TopicPattern,
    values: PlaceholderValues,
    entry: Omit<RuleEntry<AllowAnswer>, 'matcher' | 'pattern'>,
  ): void {
    const bound = bindTopicPattern(pattern, values);
    if ('matcher' in bound) rules.grants.push({ matcher: bound.matcher, pattern: pattern.source, ...entry });
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
