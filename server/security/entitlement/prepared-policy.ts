// A validated policy rearranged for binding users: who is in which group (in file order), and
// every grant's and deny rule's answer built once, shared by all users.
import { allowAnswer, denyAnswer, type AllowAnswer, type DenyAnswer } from './answers.js';
import { DEFAULT_GROUP, EVERYONE, type DenyAction, type GrantAction, type PolicyDefinition } from './policy-schema.js';
import { denySource, grantSource, type PolicyRuleSource } from './policy-rule-source.js';
import { patternUses, type TopicPattern } from './topic-pattern.js';

export interface PreparedGrant {
  readonly actions: ReadonlySet<GrantAction>;
  readonly topics: readonly TopicPattern[];
  /** Undefined: every admin path. */
  readonly paths: readonly TopicPattern[] | undefined;
  readonly answer: AllowAnswer;
  /** Where the grant is and how it reads (explain). */
  readonly source: PolicyRuleSource;
}

export interface PreparedGroup {
  readonly name: string;
  readonly grants: readonly PreparedGrant[];
}

export interface PreparedDenyRule {
  readonly everyone: boolean;
  readonly users: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
  readonly actions: ReadonlySet<DenyAction>;
  readonly topics: readonly TopicPattern[];
  readonly paths: readonly TopicPattern[] | undefined;
  /** True if some pattern has `${group}`: then the rule is bound once per group it reaches the user through. */
  readonly usesGroup: boolean;
  readonly answer: DenyAnswer;
  /** Where the rule is and how it reads (explain). */
  readonly source: PolicyRuleSource;
}

export interface PreparedPolicy {
  readonly allowUnknownUser: boolean;
  readonly groups: ReadonlyMap<string, PreparedGroup>;
  /** Each listed user's groups, in the order the groups appear in the policy. */
  readonly membership: ReadonlyMap<string, readonly string[]>;
  readonly denyRules: readonly PreparedDenyRule[];
}

export function preparePolicy(definition: PolicyDefinition): PreparedPolicy {
  const groups = new Map<string, PreparedGroup>();
  const membership = new Map<string, string[]>();
  for (const [name, group] of Object.entries(definition.groups)) {
    groups.set(name, {
      name,
      grants: group.grants.map((grant, index) => ({
        actions: new Set(grant.actions),
        topics: grant.topics ?? [],
        paths: grant.paths,
        answer: allowAnswer(grant.filter, grant.select, grant.filterSyntax),
        source: grantSource(name, index, grant),
      })),
    });
    if (name === DEFAULT_GROUP) continue;
    for (const user of group.users) {
      const userGroups = membership.get(user);
      if (userGroups === undefined) membership.set(user, [name]);
      else if (!userGroups.includes(name)) userGroups.push(name);
    }
  }
  const denyRules = definition.deny.map((rule, index): PreparedDenyRule => {
    const topics = rule.topics ?? [];
    const paths = rule.paths;
    return {
      everyone: rule.users?.includes(EVERYONE) ?? false,
      users: new Set(rule.users ?? []),
      groups: new Set(rule.groups ?? []),
      actions: new Set(rule.actions),
      topics,
      paths,
      usesGroup: [...topics, ...(paths ?? [])].some((pattern) => patternUses(pattern, 'group')),
      answer: denyAnswer(`denied by deny[${index}]`),
      source: denySource(index, rule),
    };
  });
  return { allowUnknownUser: definition.allowUnknownUser, groups, membership, denyRules };
}
