import { describe, expect, it } from 'vitest';
import { createPolicyEntitlement } from '../../../server/security/entitlement/index.js';
import { configErrorOf, testContext } from './helpers.js';
import { examplePolicy } from './example-policy.js';

const P = 'security.entitlement.options.policy';

async function issuesOf(options: Record<string, unknown>) {
  return (await configErrorOf(() => createPolicyEntitlement(options, testContext()))).issues;
}

describe('policy module options', () => {
  it('names the pattern and its full path when a pattern is bad', async () => {
    const policy = examplePolicy();
    (policy.groups as Record<string, { grants: { topics?: string[] }[] }>).traders.grants[0].topics = [
      'orders/${user}/#',
      'orders/+x',
    ];
    expect(await issuesOf({ policy })).toEqual([
      {
        path: `${P}.groups.traders.grants[0].topics[1]`,
        message: `expected a valid pattern ('+' must occupy a whole topic level in "orders/+x"), got "orders/+x"`,
      },
    ]);
  });

  it('compiles every grant filter and select list at load, naming the grant and the problem', async () => {
    const issues = await issuesOf({
      policy: {
        groups: {
          g: {
            users: ['a'],
            grants: [
              { actions: ['read'], topics: ['ok/#'], filter: "region = 'EU'", select: '-/internal' },
              { actions: ['read'], topics: ['a/#'], filter: 'px >' },
              { actions: ['write'], topics: ['b/#'], filter: "/region = 'EU'" },
              { actions: ['read'], topics: ['c/#'], select: 'px' },
            ],
          },
        },
      },
    });
    expect(issues).toEqual([
      {
        path: `${P}.groups.g.grants[1].filter`,
        message:
          'expected a filter (docs/filters.md) that compiles, but filter does not parse: Unexpected end of expression (position 4), got "px >"',
      },
      {
        path: `${P}.groups.g.grants[2].filter`,
        message: `expected a filter (docs/filters.md) that compiles, but filter does not parse: No terminating / in regular expression (position 14), got "/region = 'EU'"`,
      },
      {
        path: `${P}.groups.g.grants[3].select`,
        message:
          'expected a select list (docs/select-lists.md) that compiles, but select list step 1 "px" must start with "+/" or "-/", got "px"',
      },
    ]);
  });

  it("compiles a grant's filter in its filterSyntax, else in the broker's default (content.filterSyntax)", async () => {
    const grants = [
      { actions: ['read'], topics: ['a/#'], filter: "/region = 'EU'", filterSyntax: 'amps' },
      { actions: ['read'], topics: ['b/#'], filter: 'region = "EU"', filterSyntax: 'jsonata' },
      { actions: ['read'], topics: ['c/#'], filter: "/px > 1 AND /region = 'EU'" },
    ];
    const options = { policy: { groups: { g: { users: ['a'], grants } } } };
    const amps = { ...testContext(), filterSyntax: 'amps' as const };
    const module = await createPolicyEntitlement(options, amps);
    // The answer says what the grant says; a grant without filterSyntax leaves it to the broker.
    expect(module.check({ user: 'a', action: 'read', resourceType: 'topic', resource: 'a/1' })).toEqual({
      allow: true,
      filter: "/region = 'EU'",
      filterSyntax: 'amps',
    });
    expect(module.check({ user: 'a', action: 'read', resourceType: 'topic', resource: 'c/1' })).toEqual({
      allow: true,
      filter: "/px > 1 AND /region = 'EU'",
    });
    // With the default default, the third grant is not JSONata.
    expect(await issuesOf(options)).toEqual([
      {
        path: `${P}.groups.g.grants[2].filter`,
        message: `expected a filter (docs/filters.md) that compiles, but filter does not parse: Syntax error: "region" (position 19), got "/px > 1 AND /region = 'EU'"`,
      },
    ]);
  });

  it('checks filterSyntax: a known syntax, beside a filter, on a read or write grant', async () => {
    const issues = await issuesOf({
      policy: {
        groups: {
          g: {
            users: ['a'],
            grants: [
              { actions: ['read'], topics: ['a/#'], filter: 'px > 1', filterSyntax: 'sql' },
              { actions: ['read'], topics: ['b/#'], filterSyntax: 'amps' },
              { actions: ['admin'], filterSyntax: 'amps' },
              { actions: ['read'], topics: ['c/#'], filter: 'px > 1', filterSyntax: 'amps' },
            ],
          },
        },
      },
    });
    expect(issues).toEqual([
      { path: `${P}.groups.g.grants[0].filterSyntax`, message: 'expected jsonata or amps, got "sql"' },
      {
        path: `${P}.groups.g.grants[1].filterSyntax`,
        message: 'expected a filter beside it: filterSyntax is the syntax of the grant\'s filter, got "amps"',
      },
      {
        path: `${P}.groups.g.grants[2].filterSyntax`,
        message: 'expected no filterSyntax: it applies only to read and write, got "amps"',
      },
      {
        path: `${P}.groups.g.grants[3].filter`,
        message:
          'expected a filter (docs/filters.md) that compiles, but filter does not parse: expected a field, a literal or (, found px (position 1), got "px > 1"',
      },
    ]);
  });

  it('requires exactly one of file and policy', async () => {
    expect(await issuesOf({})).toEqual([
      {
        path: 'security.entitlement.options.file',
        message: 'expected a policy file path (or an inline "policy"), got nothing',
      },
    ]);
    expect(await issuesOf({ file: 'p.yaml', policy: examplePolicy() })).toEqual([
      {
        path: 'security.entitlement.options',
        message: 'expected either "file" or "policy", not both, got ["file","policy"]',
      },
    ]);
    expect(await issuesOf({ policyFile: 'p.yaml' })).toEqual([
      {
        path: 'security.entitlement.options.policyFile',
        message: 'unknown key (expected one of "file", "policy", "watch", "shadow")',
      },
      {
        path: 'security.entitlement.options.file',
        message: 'expected a policy file path (or an inline "policy"), got nothing',
      },
    ]);
  });

  it('rejects unknown keys at every level', async () => {
    expect(
      await issuesOf({
        policy: {
          groups: { g: { user: ['a'], grants: [{ actions: ['read'], topic: ['a'] }] } },
          deny: [{ users: ['*'], actions: ['write'], topics: ['a'], reason: 'x' }],
          allowUnknownUsers: true,
        },
      }),
    ).toEqual(
      expect.arrayContaining([
        { path: `${P}.allowUnknownUsers`, message: 'unknown key (did you mean "allowUnknownUser"?)' },
        { path: `${P}.groups.g.user`, message: 'unknown key (did you mean "users"?)' },
        { path: `${P}.groups.g.grants[0].topic`, message: 'unknown key (did you mean "topics"?)' },
        { path: `${P}.deny[0].reason`, message: expect.stringMatching(/^unknown key/) },
      ]),
    );
  });

  it('checks that each rule says what it covers', async () => {
    const issues = await issuesOf({
      policy: {
        groups: {
          g: {
            users: ['a'],
            grants: [
              { actions: ['read'] },
              { actions: ['admin'], topics: ['a/#'], filter: 'x' },
              { actions: ['write'], topics: ['a'], paths: ['/admin/#'] },
              { actions: [], topics: ['a'] },
              { actions: ['logon'], topics: ['a'] },
            ],
          },
        },
      },
    });
    expect(issues).toEqual([
      {
        path: `${P}.groups.g.grants[0].topics`,
        message: 'expected a list of topic patterns (required for read and write), got nothing',
      },
      {
        path: `${P}.groups.g.grants[1].topics`,
        message: 'expected no topics: they apply only to read and write, got ["a/#"]',
      },
      {
        path: `${P}.groups.g.grants[1].filter`,
        message: 'expected no filter: it applies only to read and write, got "x"',
      },
      {
        path: `${P}.groups.g.grants[2].paths`,
        message: 'expected no paths: they apply only to admin, got ["/admin/#"]',
      },
      { path: `${P}.groups.g.grants[3].actions`, message: 'expected a list of at least 1 items, got []' },
      { path: `${P}.groups.g.grants[4].actions[0]`, message: 'expected one of "read", "write", "admin", got "logon"' },
    ]);
  });

  it('checks deny rules', async () => {
    const issues = await issuesOf({
      policy: {
        groups: { g: {} },
        deny: [
          { actions: ['read'], topics: ['a'] },
          { groups: ['g', 'nope'], actions: ['logon'] },
          { users: ['x'], actions: ['write'] },
        ],
      },
    });
    expect(issues).toEqual([
      {
        path: `${P}.deny[0].users`,
        message: 'expected a list of users or "*" (or "groups"): whom the rule denies, got nothing',
      },
      {
        path: `${P}.deny[2].topics`,
        message: 'expected a list of topic patterns (required for read and write), got nothing',
      },
      { path: `${P}.deny[1].groups[1]`, message: 'expected the name of a group in "groups", got "nope"' },
    ]);
  });

  it('checks group names and the $default group', async () => {
    expect(
      await issuesOf({ policy: { groups: { 'a/b': {}, $admins: {}, ok: {}, $default: { users: ['x'] } } } }),
    ).toEqual([
      {
        path: `${P}.groups["a/b"]`,
        message:
          'expected a group name: not empty, no "/", "+" or "#", and only "$default" may start with "$", got "a/b"',
      },
      {
        path: `${P}.groups.$admins`,
        message:
          'expected a group name: not empty, no "/", "+" or "#", and only "$default" may start with "$", got "$admins"',
      },
      {
        path: `${P}.groups.$default.users`,
        message: 'expected no users: $default is for users in no group, got ["x"]',
      },
    ]);
    const withProto = JSON.parse('{"groups": {"__proto__": {"users": ["x"]}}}') as Record<string, unknown>;
    expect(await issuesOf({ policy: withProto })).toEqual([
      { path: `${P}.groups.__proto__`, message: expect.stringContaining('other than "__proto__"') },
    ]);
  });

  it('requires groups and checks types', async () => {
    expect(await issuesOf({ policy: {} })).toEqual([
      { path: `${P}.groups`, message: 'expected a mapping of group names to groups, got nothing' },
    ]);
    expect(await issuesOf({ policy: { groups: {}, allowUnknownUser: 'yes' } })).toEqual([
      { path: `${P}.allowUnknownUser`, message: 'expected true or false, got "yes"' },
    ]);
    expect(await issuesOf({ policy: { groups: { g: { users: 'alice' } } } })).toEqual([
      { path: `${P}.groups.g.users`, message: 'expected a list, got "alice"' },
    ]);
  });
});
