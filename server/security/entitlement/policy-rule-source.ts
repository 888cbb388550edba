// Where a grant or deny rule sits in the policy and how it reads, kept with the prepared rule so
// an `explain` can name the rule that decided. Built once per policy load, never per check.
import { formatKeyPath } from '../../config/key-path.js';
import type { DenyRuleDefinition, GrantDefinition } from './policy-schema.js';
import type { TopicPattern } from './topic-pattern.js';

export interface PolicyRuleSource {
  readonly effect: 'grant' | 'deny';
  /** `groups.traders.grants[1]` or `deny[0]`, as config errors name keys. */
  readonly location: string;
  /** Index in its list: the group's grants, or deny. */
  readonly index: number;
  /** The rule's fields as JSON, in a fixed order, patterns as written. */
  readonly text: string;
}

const sources = (patterns: readonly TopicPattern[] | undefined): string[] | undefined =>
  patterns?.map((pattern) => pattern.source);

export function grantSource(group: string, index: number, grant: GrantDefinition): PolicyRuleSource {
  return {
    effect: 'grant',
    location: formatKeyPath(['groups', group, 'grants', index]),
    index,
    // JSON.stringify leaves out the undefined fields.
    text: JSON.stringify({
      actions: grant.actions,
      topics: sources(grant.topics),
      paths: sources(grant.paths),
      filter: grant.filter,
      filterSyntax: grant.filterSyntax,
      select: grant.select,
    }),
  };
}

export function denySource(index: number, rule: DenyRuleDefinition): PolicyRuleSource {
  return {
    effect: 'deny',
    location: formatKeyPath(['deny', index]),
    index,
    text: JSON.stringify({
      users: rule.users,
      groups: rule.groups,
      actions: rule.actions,
      topics: sources(rule.topics),
      paths: sources(rule.paths),
    }),
  };
}
