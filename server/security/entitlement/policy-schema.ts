// The policy document (inline `policy:` option or a policy file): groups of users with grants,
// plus deny rules. Validated strictly and in full at load; patterns are parsed and filters and
// select lists compiled here, so a bad one is reported with its key path
// (`groups.traders.grants[0].topics[1]`, `groups.traders.grants[1].filter`). A filter's syntax is
// its grant's `filterSyntax`, else the broker's default, so there is one schema per default.
import { z } from 'zod';
import { filterFor, selectFor } from '../../content/content-rules.js';
import { FILTER_SYNTAXES, type FilterSyntax } from '../../content/filter/index.js';
import { booleanField } from '../../config/fields.js';
import { patternField } from './pattern-field.js';
import type { TopicPattern } from './topic-pattern.js';

/** The group whose grants users in no group get, when `allowUnknownUser` is true. */
export const DEFAULT_GROUP = '$default';

/** Everyone, in a deny rule's `users`. */
export const EVERYONE = '*';

export const GRANT_ACTIONS = ['read', 'write', 'admin'] as const;
export const DENY_ACTIONS = ['logon', 'read', 'write', 'admin'] as const;

export type GrantAction = (typeof GRANT_ACTIONS)[number];
export type DenyAction = (typeof DENY_ACTIONS)[number];

const pattern = patternField(['user', 'group']);
const patternList = z.array(pattern).min(1);

const GROUP_NAME_FORM = 'a group name: not empty, no "/", "+" or "#", and only "$default" may start with "$"';

function isPlainGroupName(name: string): boolean {
  return name !== '' && !name.startsWith('$') && !name.includes('/') && !name.includes('+') && !name.includes('#');
}

interface ScopedRule {
  readonly actions: readonly string[];
  readonly topics?: readonly TopicPattern[];
  readonly paths?: readonly TopicPattern[];
}

/** `topics` belong to read/write and are required for them; `paths` belong to admin and are optional (absent: every admin path). */
function checkScopes(rule: ScopedRule, ctx: z.RefinementCtx): boolean {
  // With no valid actions there is nothing to check against (the actions issue is reported).
  if (rule.actions.length === 0) return true;
  const topicActions = rule.actions.includes('read') || rule.actions.includes('write');
  if (topicActions && rule.topics === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['topics'],
      input: undefined,
      message: 'expected a list of topic patterns (required for read and write)',
    });
  }
  if (!topicActions && rule.topics !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['topics'],
      input: sources(rule.topics),
      message: 'expected no topics: they apply only to read and write',
    });
  }
  if (!rule.actions.includes('admin') && rule.paths !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['paths'],
      input: sources(rule.paths),
      message: 'expected no paths: they apply only to admin',
    });
  }
  return topicActions;
}

function sources(patterns: readonly TopicPattern[]): string[] {
  return patterns.map((p) => p.source);
}

/** `defaultSyntax`: what a grant's filter is written in when the grant has no `filterSyntax`. */
function grantSchemaFor(defaultSyntax: FilterSyntax) {
  return z
    .strictObject({
      actions: z.array(z.enum(GRANT_ACTIONS)).min(1),
      topics: patternList.optional(),
      paths: patternList.optional(),
      /** Passed through on an allowed read or write: opaque here, applied by the content-filter feature. */
      filter: z.string().optional(),
      /** The syntax of `filter` (docs/filters.md#the-amps-syntax); passed through with it. */
      filterSyntax: z.enum(FILTER_SYNTAXES, { error: 'expected jsonata or amps' }).optional(),
      select: z.string().optional(),
    })
    .superRefine((grant, ctx) => {
      if (checkScopes(grant, ctx)) {
        checkContentRules(grant, grant.filterSyntax ?? defaultSyntax, ctx);
        return;
      }
      for (const key of ['filter', 'filterSyntax', 'select'] as const) {
        if (grant[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            input: grant[key],
            message: `expected no ${key}: it applies only to read and write`,
          });
        }
      }
    });
}

/**
 * A grant's filter and select list go to the delivery and publish paths as they are: compile them
 * now with the same compiler, so a typo fails the load instead of denying every message later.
 */
export function checkContentRules(
  grant: { filter?: string | undefined; filterSyntax?: FilterSyntax | undefined; select?: string | undefined },
  syntax: FilterSyntax,
  ctx: z.RefinementCtx,
): void {
  if (grant.filterSyntax !== undefined && grant.filter === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['filterSyntax'],
      input: grant.filterSyntax,
      message: "expected a filter beside it: filterSyntax is the syntax of the grant's filter",
    });
  }
  const rules = [
    ['filter', grant.filter, (source: string) => filterFor(source, syntax)],
    ['select', grant.select, selectFor],
  ] as const;
  for (const [key, source, compile] of rules) {
    if (source === undefined || source === '') continue;
    try {
      compile(source);
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      const form = key === 'filter' ? 'filter (docs/filters.md)' : 'select list (docs/select-lists.md)';
      ctx.addIssue({
        code: 'custom',
        path: [key],
        input: source,
        message: `expected a ${form} that compiles, but ${problem}`,
      });
    }
  }
}

function groupsSchemaFor(defaultSyntax: FilterSyntax) {
  const groupSchema = z.strictObject({
    users: z.array(z.string()).default([]),
    grants: z.array(grantSchemaFor(defaultSyntax)).default([]),
  });
  /** Checked on the raw input: a `__proto__` key would not survive parsing into a plain object. */
  return z
    .unknown()
    .superRefine((groups, ctx) => {
      if (typeof groups === 'object' && groups !== null && Object.hasOwn(groups, '__proto__')) {
        ctx.addIssue({
          code: 'custom',
          path: ['__proto__'],
          input: '__proto__',
          message: `expected ${GROUP_NAME_FORM} other than "__proto__"`,
        });
      }
    })
    .pipe(z.record(z.string(), groupSchema, { error: 'expected a mapping of group names to groups' }));
}

const denyRuleSchema = z
  .strictObject({
    /** User names, or "*" for everyone (users in no group included). */
    users: z.array(z.string()).min(1).optional(),
    groups: z.array(z.string()).min(1).optional(),
    actions: z.array(z.enum(DENY_ACTIONS)).min(1),
    topics: patternList.optional(),
    paths: patternList.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.users === undefined && rule.groups === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['users'],
        input: undefined,
        message: 'expected a list of users or "*" (or "groups"): whom the rule denies',
      });
    }
    checkScopes(rule, ctx);
  });

function buildPolicySchema(defaultSyntax: FilterSyntax) {
  return z
    .strictObject({
      /** Users in no group: true gives them the $default group's grants; false denies them everything, logon included. */
      allowUnknownUser: booleanField().default(false),
      groups: groupsSchemaFor(defaultSyntax),
      /** Deny rules beat every grant. */
      deny: z.array(denyRuleSchema).default([]),
    })
    .superRefine(checkPolicy);
}

type PolicySchema = ReturnType<typeof buildPolicySchema>;
const policySchemas = new Map<FilterSyntax, PolicySchema>();

/** The policy document's schema, where a grant's filter without `filterSyntax` is in `defaultSyntax` (content.filterSyntax). */
export function policySchemaFor(defaultSyntax: FilterSyntax): PolicySchema {
  let schema = policySchemas.get(defaultSyntax);
  if (schema === undefined) {
    schema = buildPolicySchema(defaultSyntax);
    policySchemas.set(defaultSyntax, schema);
  }
  return schema;
}

/** What holds across groups and deny rules. */
function checkPolicy(
  policy: {
    readonly groups: Readonly<Record<string, { readonly users: readonly string[] }>>;
    readonly deny: readonly { readonly groups?: readonly string[] | undefined }[];
  },
  ctx: z.RefinementCtx,
): void {
  for (const name of Object.keys(policy.groups)) {
    if (name !== DEFAULT_GROUP && !isPlainGroupName(name)) {
      ctx.addIssue({ code: 'custom', path: ['groups', name], input: name, message: `expected ${GROUP_NAME_FORM}` });
    }
  }
  const defaultGroup = policy.groups[DEFAULT_GROUP];
  if (defaultGroup !== undefined && defaultGroup.users.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['groups', DEFAULT_GROUP, 'users'],
      input: defaultGroup.users,
      message: 'expected no users: $default is for users in no group',
    });
  }
  policy.deny.forEach((rule, ruleIndex) => {
    rule.groups?.forEach((name, nameIndex) => {
      if (!Object.hasOwn(policy.groups, name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['deny', ruleIndex, 'groups', nameIndex],
          input: name,
          message: 'expected the name of a group in "groups"',
        });
      }
    });
  });
}

export type PolicyDefinition = z.output<PolicySchema>;
export type GrantDefinition = z.output<ReturnType<typeof grantSchemaFor>>;
export type DenyRuleDefinition = z.output<typeof denyRuleSchema>;
