// diffPolicies: which users a policy change can affect. Each rule of the diff with a hand-made
// pair of policies, then random pairs checked against the policies themselves: a user the diff
// leaves out (with `everyone` false) gets the same answer from both to every request asked. A
// denial's reason names the deny rule's index, so a rule that only moved may change it: that
// reason goes to the broker's log only, and the diff does not count it.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parsePolicyDocument } from '../../../server/security/entitlement/policy-file.js';
import { diffPolicies, type PolicyDiff } from '../../../server/security/entitlement/policy-diff.js';
import { PolicyRules } from '../../../server/security/entitlement/policy-rules.js';
import type { PolicyDefinition } from '../../../server/security/entitlement/policy-schema.js';
import { preparePolicy, type PreparedPolicy } from '../../../server/security/entitlement/prepared-policy.js';
import type { EntitlementAnswer, EntitlementRequest } from '../../../server/security/module-types.js';
import { parseYamlText } from '../../../server/config/yaml-text.js';
import { mulberry32, pick } from '../../helpers/prng.js';

const definition = (text: string): PolicyDefinition => parsePolicyDocument(parseYamlText(text), 'test.yaml', 'jsonata');
const prepared = (text: string): PreparedPolicy => preparePolicy(definition(text));
const diff = (before: string, after: string): PolicyDiff => diffPolicies(prepared(before), prepared(after));
const users = (...names: string[]) => ({ everyone: false, users: names.sort() });
const everyoneAnd = (...names: string[]) => ({ everyone: true, users: names.sort() });

const BASE = `
groups:
  traders:
    users: [alice, bob]
    grants:
      - { actions: [read, write], topics: ['orders/\${user}/#'] }
      - { actions: [read], topics: ['prices/#'], filter: "region = 'EU'", select: '-/internal' }
  desk:
    users: [bob, carol]
    grants:
      - { actions: [read], topics: ['desks/\${group}/#'] }
  ops:
    users: [olga]
    grants:
      - { actions: [admin], paths: ['/admin/status'] }
  $default:
    grants:
      - { actions: [read], topics: ['public/#'] }
deny:
  - { users: [mallory], actions: [logon] }
  - { groups: [desk], actions: [write], topics: ['desks/#'] }
`;

describe('diffPolicies', () => {
  it('finds no one when nothing that decides an answer changed (comments, layout, quoting)', () => {
    const relaid = BASE.replace('users: [alice, bob]', 'users:\n      - alice\n      - "bob"  # same people').replace(
      'groups:',
      '# rewritten by hand\ngroups:',
    );
    expect(diff(BASE, BASE)).toEqual(users());
    expect(diff(BASE, relaid)).toEqual(users());
  });

  it('group membership: a user added, removed or moved is affected, and no one else', () => {
    expect(diff(BASE, BASE.replace('users: [alice, bob]', 'users: [alice, bob, dave]'))).toEqual(users('dave'));
    expect(diff(BASE, BASE.replace('users: [alice, bob]', 'users: [bob]'))).toEqual(users('alice'));
    expect(
      diff(BASE, BASE.replace('users: [bob, carol]', 'users: [bob]').replace('users: [olga]', 'users: [olga, carol]')),
    ).toEqual(users('carol'));
    // Listed twice in a group is the same membership.
    expect(diff(BASE, BASE.replace('users: [alice, bob]', 'users: [alice, bob, alice]'))).toEqual(users());
  });

  it("group order: only users in both swapped groups (the first matching grant is the first group's)", () => {
    const swapped = BASE.replace(/  traders:\n(    .*\n)+?(?=  desk:)/, '').replace(
      '  ops:',
      `  traders:\n    users: [alice, bob]\n    grants:\n      - { actions: [read, write], topics: ['orders/\${user}/#'] }\n      - { actions: [read], topics: ['prices/#'], filter: "region = 'EU'", select: '-/internal' }\n  ops:`,
    );
    expect(Object.keys(definition(swapped).groups)).toEqual(['desk', 'traders', 'ops', '$default']);
    expect(diff(BASE, swapped)).toEqual(users('bob'));
  });

  it("a group's grants: a changed topic, filter or select list, or their order, affects its members before and after", () => {
    expect(diff(BASE, BASE.replace("topics: ['orders/${user}/#']", "topics: ['orders/${user}/+']"))).toEqual(
      users('alice', 'bob'),
    );
    expect(diff(BASE, BASE.replace("region = 'EU'", "region = 'US'"))).toEqual(users('alice', 'bob'));
    expect(diff(BASE, BASE.replace("select: '-/internal'", "select: '-/secret'"))).toEqual(users('alice', 'bob'));
    expect(diff(BASE, BASE.replace(", select: '-/internal'", ''))).toEqual(users('alice', 'bob'));
    expect(
      diff(BASE, BASE.replace("actions: [read], topics: ['desks", "actions: [read, write], topics: ['desks")),
    ).toEqual(users('bob', 'carol'));
    const reordered = BASE.replace(
      "      - { actions: [read, write], topics: ['orders/${user}/#'] }\n      - { actions: [read], topics: ['prices/#'], filter: \"region = 'EU'\", select: '-/internal' }",
      "      - { actions: [read], topics: ['prices/#'], filter: \"region = 'EU'\", select: '-/internal' }\n      - { actions: [read, write], topics: ['orders/${user}/#'] }",
    );
    expect(reordered).not.toBe(BASE);
    expect(diff(BASE, reordered)).toEqual(users('alice', 'bob'));
    // Members before and after: a grant changed while a member left and another joined.
    const both = BASE.replace('users: [olga]', 'users: [olga, pat]').replace('/admin/status', '/admin/#');
    expect(diff(BASE.replace('users: [olga]', 'users: [olga, quinn]'), both)).toEqual(users('olga', 'pat', 'quinn'));
  });

  it('a group renamed is a change for its members (and for a deny rule naming it); an empty new group is no one', () => {
    const renamed = BASE.replace('  ops:', '  operations:');
    expect(diff(BASE, renamed)).toEqual(users('olga'));
    expect(diff(BASE, BASE.replace('  ops:', '  nobody: {}\n  ops:'))).toEqual(users());
    const deskRenamed = BASE.replace('  desk:', '  desks:').replace('groups: [desk]', 'groups: [desks]');
    expect(diff(BASE, deskRenamed)).toEqual(users('bob', 'carol'));
  });

  it('deny rules: one added, removed or changed affects the users it names and the members of the groups it names', () => {
    const withRule = (rule: string) => BASE.replace('deny:\n', `deny:\n  - ${rule}\n`);
    expect(diff(BASE, withRule("{ users: [alice], actions: [read], topics: ['prices/#'] }"))).toEqual(users('alice'));
    // A user in no group is named too (with allowUnknownUser false the answer is the same, but naming costs nothing).
    expect(diff(BASE, withRule('{ users: [zed], actions: [logon] }'))).toEqual(users('zed'));
    expect(diff(BASE, BASE.replace('  - { users: [mallory], actions: [logon] }\n', ''))).toEqual(users('mallory'));
    expect(
      diff(BASE, BASE.replace('groups: [desk], actions: [write]', 'groups: [desk], actions: [read, write]')),
    ).toEqual(users('bob', 'carol'));
    expect(diff(BASE, withRule("{ users: [olga], groups: [traders], actions: [admin], paths: ['/admin/#'] }"))).toEqual(
      users('alice', 'bob', 'olga'),
    );
  });

  it('deny rules that only moved are no change (the same requests are denied)', () => {
    const moved = BASE.replace(
      "  - { users: [mallory], actions: [logon] }\n  - { groups: [desk], actions: [write], topics: ['desks/#'] }",
      "  - { groups: [desk], actions: [write], topics: ['desks/#'] }\n  - { users: [mallory], actions: [logon] }",
    );
    expect(moved).not.toBe(BASE);
    expect(diff(BASE, moved)).toEqual(users());
  });

  it('a deny rule for "*": every user in a group; everyone when users in no group may log on', () => {
    const star = BASE.replace('deny:\n', "deny:\n  - { users: ['*'], actions: [write], topics: ['prices/#'] }\n");
    expect(diff(BASE, star)).toEqual(users('alice', 'bob', 'carol', 'olga'));
    const open = (text: string) => `allowUnknownUser: true\n${text}`;
    expect(diff(open(BASE), open(star))).toEqual(everyoneAnd('alice', 'bob', 'carol', 'olga'));
  });

  it('a deny rule naming $default: everyone when users in no group may log on, else no one', () => {
    const rule = BASE.replace('deny:\n', "deny:\n  - { groups: [$default], actions: [read], topics: ['public/x'] }\n");
    expect(diff(BASE, rule)).toEqual(users());
    expect(diff(`allowUnknownUser: true\n${BASE}`, `allowUnknownUser: true\n${rule}`)).toEqual(everyoneAnd());
  });

  it('$default grants: everyone when allowUnknownUser is true on either side, else no one', () => {
    const changed = BASE.replace("topics: ['public/#']", "topics: ['public/#', 'news/#']");
    expect(diff(BASE, changed)).toEqual(users());
    expect(diff(`allowUnknownUser: true\n${BASE}`, `allowUnknownUser: true\n${changed}`)).toEqual(everyoneAnd());
    expect(diff(BASE, BASE.replace(/ {2}\$default:\n.*\n.*\n/, ''))).toEqual(users());
  });

  it('allowUnknownUser changed: everyone', () => {
    expect(diff(BASE, `allowUnknownUser: true\n${BASE}`)).toEqual(everyoneAnd());
    expect(diff(`allowUnknownUser: true\n${BASE}`, BASE)).toEqual(everyoneAnd());
  });

  it('a policy replaced by a different one: the users of both', () => {
    const other = `groups:\n  readers:\n    users: [alice, zoe]\n    grants:\n      - { actions: [read], topics: ['#'] }\n`;
    expect(diff(BASE, other)).toEqual(users('alice', 'bob', 'carol', 'mallory', 'olga', 'zoe'));
  });
});

describe('diffPolicies against the policies themselves (random pairs)', () => {
  const USERS = ['alice', 'bob', 'carol', 'dave', 'eve', ''];
  const GROUPS = ['g1', 'g2', 'g3', '$default'];
  const TOPICS = ['a/#', 'a/b', 'b/+', 'a/${user}/#', 'c/${group}', '#'];
  const ASKED = ['a/b', 'a/c', 'b/x', 'c/g1', 'c/g2', 'c/$default', 'a/alice/1', 'a/bob/1', 'z'];
  const FILTERS = [undefined, "region = 'EU'", "region = 'US'"];
  const SELECTS = [undefined, '-/internal', '+/px'];
  const log = pino({ level: 'silent' });

  interface Doc {
    allowUnknownUser: boolean;
    groups: Record<string, { users?: string[]; grants: Record<string, unknown>[] }>;
    deny: Record<string, unknown>[];
  }

  const some = <T>(random: () => number, items: readonly T[], p: number): T[] => items.filter(() => random() < p);

  function randomGrant(random: () => number): Record<string, unknown> {
    const filter = pick(random, FILTERS);
    const select = pick(random, SELECTS);
    return {
      actions: random() < 0.5 ? ['read'] : ['read', 'write'],
      topics: [pick(random, TOPICS)],
      ...(filter !== undefined ? { filter } : {}),
      ...(select !== undefined ? { select } : {}),
    };
  }

  function randomDeny(random: () => number, groups: readonly string[]): Record<string, unknown> {
    const action = pick(random, ['logon', 'read', 'write']);
    const named = some(random, groups, 0.5);
    const whom =
      random() < 0.5 || named.length === 0
        ? { users: [pick(random, ['alice', 'bob', 'carol', 'dave', 'eve', '*'])] }
        : { groups: named };
    return { ...whom, actions: [action], ...(action === 'logon' ? {} : { topics: [pick(random, TOPICS)] }) };
  }

  function randomPolicy(random: () => number): Doc {
    const names = some(random, GROUPS, 0.8).sort(() => random() - 0.5);
    const groups: Doc['groups'] = {};
    for (const name of names) {
      const grants = Array.from({ length: Math.floor(random() * 3) }, () => randomGrant(random));
      groups[name] = name === '$default' ? { grants } : { users: some(random, USERS, 0.35), grants };
    }
    const deny = Array.from({ length: Math.floor(random() * 3) }, () => randomDeny(random, names));
    return { allowUnknownUser: random() < 0.3, groups, deny };
  }

  /** A small edit: one membership, grant, deny rule, group order or allowUnknownUser. */
  function mutate(doc: Doc, random: () => number): Doc {
    const next = structuredClone(doc);
    const names = Object.keys(next.groups);
    const group = names.length > 0 ? next.groups[pick(random, names)]! : undefined;
    switch (Math.floor(random() * 6)) {
      case 0:
        if (group?.users !== undefined) group.users = some(random, USERS, 0.35);
        break;
      case 1:
        if (group !== undefined) group.grants[0] = randomGrant(random);
        break;
      case 2:
        if (group !== undefined) group.grants.reverse();
        break;
      case 3:
        next.deny[Math.floor(random() * (next.deny.length + 1))] = randomDeny(random, names);
        break;
      case 4:
        next.groups = Object.fromEntries(Object.entries(next.groups).reverse());
        break;
      default:
        next.deny.reverse();
    }
    return next;
  }

  /** What the broker applies: a denial's reason (`denied by deny[1]`) only goes to its log. */
  const decision = (answer: EntitlementAnswer): string =>
    answer.allow ? JSON.stringify([true, answer.filter, answer.select]) : 'deny';

  const requests = (user: string): EntitlementRequest[] => [
    { user, action: 'logon', resourceType: 'logon', resource: '' },
    ...ASKED.flatMap((topic): EntitlementRequest[] => [
      { user, action: 'read', resourceType: 'topic', resource: topic },
      { user, action: 'write', resourceType: 'topic', resource: topic },
    ]),
  ];

  it('a user left out of the diff gets the same answers from both policies', () => {
    const random = mulberry32(19);
    const counts = { changed: 0, leftOut: 0, everyone: 0 };
    for (let round = 0; round < 300; round++) {
      const beforeDoc = randomPolicy(random);
      // Mostly small edits of the first, sometimes an unrelated policy.
      const afterDoc = random() < 0.2 ? randomPolicy(random) : mutate(beforeDoc, random);
      const before = new PolicyRules(definition(JSON.stringify(beforeDoc)), log);
      const after = new PolicyRules(definition(JSON.stringify(afterDoc)), log);
      const result = diffPolicies(before.policy, after.policy);
      if (result.everyone) {
        counts.everyone++;
        continue;
      }
      for (const user of [...USERS, 'stranger']) {
        const differs = requests(user).some(
          (request) => decision(before.check(request)) !== decision(after.check(request)),
        );
        if (differs) counts.changed++;
        if (!result.users.includes(user)) {
          counts.leftOut++;
          const why = `user ${JSON.stringify(user)}\nbefore ${JSON.stringify(beforeDoc)}\nafter ${JSON.stringify(afterDoc)}`;
          expect(differs, why).toBe(false);
        }
      }
    }
    // The generator really makes changes, and users the diff rightly leaves out.
    expect(counts.changed).toBeGreaterThan(100);
    expect(counts.leftOut).toBeGreaterThan(300);
    expect(counts.everyone).toBeGreaterThan(10);
  });
});
