import { describe, expect, it } from 'vitest';
import { admin, allows, answerOf, logon, read, write } from './helpers.js';
import { examplePolicy, policyModule, PRICES_FILTER, PRICES_SELECT } from './example-policy.js';

describe('policy entitlement module: the example policy', () => {
  it('lets traders use their own orders topics only', async () => {
    const module = await policyModule(examplePolicy());
    expect(module.name).toBe('policy');
    expect(answerOf(module, logon('alice'))).toEqual({ allow: true });
    for (const request of [read, write]) {
      expect(answerOf(module, request('alice', 'orders/alice/x'))).toEqual({ allow: true });
      expect(allows(module, request('alice', 'orders/alice'))).toBe(true);
      expect(allows(module, request('alice', 'orders/alice/x/y'))).toBe(true);
      expect(allows(module, request('alice', 'orders/bob/x'))).toBe(false);
      expect(allows(module, request('bob', 'orders/bob/x'))).toBe(true);
      expect(allows(module, request('bob', 'orders/alice/x'))).toBe(false);
      expect(allows(module, request('alice', 'orders/alicex/x'))).toBe(false);
      expect(allows(module, request('alice', 'orders'))).toBe(false);
    }
  });

  it("passes the matching grant's filter and select list through", async () => {
    const module = await policyModule(examplePolicy());
    expect(answerOf(module, read('alice', 'prices/eur/usd'))).toEqual({
      allow: true,
      filter: PRICES_FILTER,
      select: PRICES_SELECT,
    });
    expect(answerOf(module, read('bob', 'prices/public/x'))).toEqual({
      allow: true,
      filter: PRICES_FILTER,
      select: PRICES_SELECT,
    });
    expect(answerOf(module, read('alice', 'news/x'))).toEqual({
      allow: false,
      reason: 'no read grant matches the topic',
    });
  });

  it('lets deny rules beat grants: nobody writes prices, admin included', async () => {
    const module = await policyModule(examplePolicy());
    expect(answerOf(module, write('alice', 'prices/eur'))).toEqual({ allow: false, reason: 'denied by deny[0]' });
    expect(answerOf(module, write('admin', 'prices/eur'))).toEqual({ allow: false, reason: 'denied by deny[0]' });
    expect(allows(module, read('admin', 'prices/eur'))).toBe(true);
  });

  it('lets guests read public prices only', async () => {
    const module = await policyModule(examplePolicy());
    expect(allows(module, logon('eve'))).toBe(true);
    expect(answerOf(module, read('eve', 'prices/public/x'))).toEqual({ allow: true });
    expect(allows(module, read('eve', 'prices/x'))).toBe(false);
    expect(allows(module, read('eve', 'prices/publicity'))).toBe(false);
    expect(allows(module, write('eve', 'prices/public/x'))).toBe(false);
    expect(allows(module, read('eve', 'orders/eve/x'))).toBe(false);
    // eve is in a group, so the $default grants are not hers.
    expect(allows(module, read('eve', 'lobby/x'))).toBe(false);
    expect(answerOf(module, admin('eve', '/admin/status', 'read'))).toEqual({
      allow: false,
      reason: 'no admin grant matches the path',
    });
  });

  it('gives admins every topic, $-topics included, and the admin interface', async () => {
    const module = await policyModule(examplePolicy());
    expect(allows(module, logon('admin'))).toBe(true);
    for (const topic of ['a', 'orders/bob/x', '$sys/stats', 'prices/x'])
      expect(allows(module, read('admin', topic))).toBe(true);
    expect(allows(module, write('admin', 'orders/bob/x'))).toBe(true);
    expect(answerOf(module, admin('admin', '/admin/entitlements/reset', 'write'))).toEqual({ allow: true });
    expect(allows(module, admin('admin', '/admin/status', 'read'))).toBe(true);
    expect(allows(module, { user: 'admin', action: 'admin', resourceType: 'admin', resource: '/admin/status' })).toBe(
      true,
    );
    expect(allows(module, admin('alice', '/admin/entitlements/reset'))).toBe(false);
  });

  it('denies a user in no group everything, logon included', async () => {
    const module = await policyModule(examplePolicy());
    expect(answerOf(module, logon('mallory'))).toEqual({ allow: false, reason: 'user is in no group' });
    expect(allows(module, logon(''))).toBe(false);
    expect(allows(module, read('mallory', 'prices/public/x'))).toBe(false);
    expect(allows(module, read('mallory', 'lobby/x'))).toBe(false);
    expect(allows(module, admin('mallory', '/admin/status', 'read'))).toBe(false);
  });

  it('gives users in no group the $default grants when allowUnknownUser is true', async () => {
    const module = await policyModule(examplePolicy({ allowUnknownUser: true }));
    expect(allows(module, logon('mallory'))).toBe(true);
    expect(allows(module, logon(''))).toBe(true);
    expect(allows(module, read('mallory', 'prices/public/x'))).toBe(true);
    expect(allows(module, read('mallory', 'lobby/x'))).toBe(true);
    expect(allows(module, read('', 'lobby/x'))).toBe(true);
    expect(allows(module, read('mallory', 'prices/x'))).toBe(false);
    expect(allows(module, write('mallory', 'lobby/x'))).toBe(false);
    expect(allows(module, admin('mallory', '/admin/status', 'read'))).toBe(false);
    // Listed users keep exactly their groups' grants.
    expect(allows(module, read('eve', 'lobby/x'))).toBe(false);
  });

  it('lets users in no group log on but grants them nothing when there is no $default group', async () => {
    const policy = examplePolicy({ allowUnknownUser: true });
    delete (policy.groups as Record<string, unknown>).$default;
    const module = await policyModule(policy);
    expect(allows(module, logon('mallory'))).toBe(true);
    expect(allows(module, read('mallory', 'prices/public/x'))).toBe(false);
  });

  it('denies request kinds the broker never sends', async () => {
    const module = await policyModule(examplePolicy());
    expect(allows(module, { user: 'admin', action: 'admin', resourceType: 'topic', resource: 'a' })).toBe(false);
    expect(allows(module, { user: 'admin', action: 'read', resourceType: 'logon', resource: '' })).toBe(false);
    expect(allows(module, { user: 'admin', action: 'logon', resourceType: 'admin', resource: '/admin' })).toBe(false);
  });
});

describe('policy entitlement module: several groups', () => {
  const twoGroups = (first: string, second: string) => ({
    groups: {
      [first]: {
        users: ['carol'],
        grants: [{ actions: ['read'], topics: ['prices/#', `${first}/#`], filter: `desk = '${first}'` }],
      },
      [second]: {
        users: ['carol', 'dave'],
        grants: [{ actions: ['read'], topics: ['prices/eu/#', `${second}/#`], filter: `desk = '${second}'` }],
      },
    },
  });

  it('gives a user the union of their groups’ grants', async () => {
    const module = await policyModule(twoGroups('desk', 'risk'));
    expect(allows(module, read('carol', 'desk/x'))).toBe(true);
    expect(allows(module, read('carol', 'risk/x'))).toBe(true);
    expect(allows(module, read('dave', 'risk/x'))).toBe(true);
    expect(allows(module, read('dave', 'desk/x'))).toBe(false);
  });

  it('answers with the first matching grant in file order', async () => {
    const deskFirst = await policyModule(twoGroups('desk', 'risk'));
    expect(answerOf(deskFirst, read('carol', 'prices/eu/x'))).toEqual({ allow: true, filter: "desk = 'desk'" });
    const riskFirst = await policyModule(twoGroups('risk', 'desk'));
    expect(answerOf(riskFirst, read('carol', 'prices/eu/x'))).toEqual({ allow: true, filter: "desk = 'risk'" });
    // Where only a later group's grant matches, that grant's filter applies.
    expect(answerOf(riskFirst, read('carol', 'desk/x'))).toEqual({ allow: true, filter: "desk = 'desk'" });
  });

  it('orders grants within a group as written', async () => {
    const module = await policyModule({
      groups: {
        g: {
          users: ['u'],
          grants: [
            { actions: ['read'], topics: ['a/special'], select: '-/,+/narrow' },
            { actions: ['read'], topics: ['a/#'], select: '-/,+/wide' },
          ],
        },
      },
    });
    expect(answerOf(module, read('u', 'a/special'))).toEqual({ allow: true, select: '-/,+/narrow' });
    expect(answerOf(module, read('u', 'a/other'))).toEqual({ allow: true, select: '-/,+/wide' });
  });
});

describe('policy entitlement module: deny rules', () => {
  it('denies by user, by group, and logon itself', async () => {
    const module = await policyModule(
      examplePolicy({
        deny: [
          { users: ['bob'], actions: ['logon'] },
          { groups: ['traders'], actions: ['read'], topics: ['prices/restricted/#'] },
          { users: ['admin'], actions: ['admin'], paths: ['/admin/entitlements/#'] },
        ],
      }),
    );
    expect(answerOf(module, logon('bob'))).toEqual({ allow: false, reason: 'denied by deny[0]' });
    expect(allows(module, logon('alice'))).toBe(true);
    expect(answerOf(module, read('alice', 'prices/restricted/x'))).toEqual({
      allow: false,
      reason: 'denied by deny[1]',
    });
    expect(allows(module, read('alice', 'prices/open/x'))).toBe(true);
    expect(allows(module, read('admin', 'prices/restricted/x'))).toBe(true);
    expect(answerOf(module, admin('admin', '/admin/entitlements/reset'))).toEqual({
      allow: false,
      reason: 'denied by deny[2]',
    });
    expect(allows(module, admin('admin', '/admin/entitlements'))).toBe(false);
    expect(allows(module, admin('admin', '/admin/status', 'read'))).toBe(true);
  });

  it('applies a deny to everyone with "*", users in no group included', async () => {
    const module = await policyModule(
      examplePolicy({ allowUnknownUser: true, deny: [{ users: ['*'], actions: ['read'], topics: ['lobby/closed'] }] }),
    );
    expect(allows(module, read('mallory', 'lobby/open'))).toBe(true);
    expect(allows(module, read('mallory', 'lobby/closed'))).toBe(false);
    expect(allows(module, read('admin', 'lobby/closed'))).toBe(false);
  });

  it('reaches users in no group through the $default group', async () => {
    const module = await policyModule(
      examplePolicy({ allowUnknownUser: true, deny: [{ groups: ['$default'], actions: ['logon'] }] }),
    );
    expect(allows(module, logon('mallory'))).toBe(false);
    expect(allows(module, logon('eve'))).toBe(true);
  });
});

describe('policy entitlement module: admin paths', () => {
  it('limits an admin grant to its paths', async () => {
    const module = await policyModule({
      groups: {
        ops: { users: ['olga'], grants: [{ actions: ['admin'], paths: ['/admin/status', '/admin/stats/#'] }] },
      },
    });
    expect(allows(module, admin('olga', '/admin/status', 'read'))).toBe(true);
    expect(allows(module, admin('olga', '/admin/stats', 'read'))).toBe(true);
    expect(allows(module, admin('olga', '/admin/stats/topics', 'read'))).toBe(true);
    expect(allows(module, admin('olga', '/admin/entitlements/reset'))).toBe(false);
    // An admin grant is not a topic grant.
    expect(allows(module, read('olga', 'admin/status'))).toBe(false);
  });
});
