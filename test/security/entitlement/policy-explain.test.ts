// The policy module's explain(): the same answer as check(), and the grant or deny rule that gave
// it, by location, group or user, index, text and matching pattern.
import { describe, expect, it } from 'vitest';
import type { EntitlementModule, EntitlementRequest } from '../../../server/security/module-types.js';
import { admin, answerOf, logon, read, write } from './helpers.js';
import { examplePolicy, policyModule, PRICES_FILTER, PRICES_SELECT } from './example-policy.js';

function explainOf(module: EntitlementModule, request: EntitlementRequest) {
  if (module.explain === undefined) throw new Error(`${module.name} has no explain()`);
  const explanation = module.explain(request);
  if (explanation instanceof Promise) throw new Error(`${module.name}.explain returned a promise`);
  return explanation;
}

describe('policy explain()', () => {
  it('names the deny rule that beat a grant', async () => {
    const module = await policyModule(examplePolicy());
    expect(explainOf(module, write('alice', 'prices/eur'))).toEqual({
      answer: { allow: false, reason: 'denied by deny[0]' },
      rule: {
        effect: 'deny',
        location: 'deny[0]',
        user: '*',
        index: 0,
        text: '{"users":["*"],"actions":["write"],"topics":["prices/#"]}',
        pattern: 'prices/#',
      },
    });
  });

  it('names the first matching grant, with its group, index and filter and select list', async () => {
    const module = await policyModule(examplePolicy());
    expect(explainOf(module, read('alice', 'prices/eur/usd'))).toEqual({
      answer: { allow: true, filter: PRICES_FILTER, select: PRICES_SELECT },
      rule: {
        effect: 'grant',
        location: 'groups.traders.grants[1]',
        group: 'traders',
        index: 1,
        text: JSON.stringify({ actions: ['read'], topics: ['prices/#'], filter: PRICES_FILTER, select: PRICES_SELECT }),
        pattern: 'prices/#',
      },
    });
    // The pattern as written, placeholder and all.
    expect(explainOf(module, write('bob', 'orders/bob/1')).rule).toMatchObject({
      location: 'groups.traders.grants[0]',
      index: 0,
      pattern: 'orders/${user}/#',
    });
  });

  it('says no rule matched when the default answer decided', async () => {
    const module = await policyModule(examplePolicy());
    expect(explainOf(module, read('alice', 'news/x'))).toEqual({
      answer: { allow: false, reason: 'no read grant matches the topic' },
      rule: null,
    });
    expect(explainOf(module, read('mallory', 'prices/x'))).toEqual({
      answer: { allow: false, reason: 'user is in no group' },
      rule: null,
    });
    expect(explainOf(module, logon('alice'))).toEqual({ answer: { allow: true }, rule: null });
  });

  it('names deny rules reached by user name, by group, and for logon', async () => {
    const module = await policyModule(
      examplePolicy({
        deny: [
          { users: ['*'], actions: ['write'], topics: ['prices/#'] },
          { users: ['eve'], actions: ['logon'] },
          { groups: ['traders'], actions: ['read'], topics: ['desks/${group}/#'] },
        ],
      }),
    );
    expect(explainOf(module, logon('eve'))).toEqual({
      answer: { allow: false, reason: 'denied by deny[1]' },
      rule: {
        effect: 'deny',
        location: 'deny[1]',
        user: 'eve',
        index: 1,
        text: '{"users":["eve"],"actions":["logon"]}',
      },
    });
    expect(explainOf(module, read('bob', 'desks/traders/x')).rule).toEqual({
      effect: 'deny',
      location: 'deny[2]',
      group: 'traders',
      index: 2,
      text: '{"groups":["traders"],"actions":["read"],"topics":["desks/${group}/#"]}',
      pattern: 'desks/${group}/#',
    });
  });

  it('names $default grants for unknown users and admin grants without paths', async () => {
    const module = await policyModule(examplePolicy({ allowUnknownUser: true }));
    expect(explainOf(module, read('stranger', 'lobby/x')).rule).toMatchObject({
      location: 'groups.$default.grants[0]',
      group: '$default',
      pattern: 'lobby/#',
    });
    // Asking twice binds the same way (nothing is kept between the two).
    expect(explainOf(module, read('stranger', 'lobby/x'))).toEqual(explainOf(module, read('stranger', 'lobby/x')));
    const adminRule = explainOf(module, admin('admin', '/admin/entitlements', 'read'));
    expect(adminRule).toEqual({
      answer: { allow: true },
      rule: {
        effect: 'grant',
        location: 'groups.admins.grants[0]',
        group: 'admins',
        index: 0,
        text: '{"actions":["read","write","admin"],"topics":["#"]}',
      },
    });
  });

  it('gives the very answer check() gives, for every kind of request', async () => {
    const module = await policyModule(
      examplePolicy({ allowUnknownUser: true, deny: [{ users: ['bob'], actions: ['admin', 'logon'] }] }),
    );
    const users = ['admin', 'alice', 'bob', 'eve', 'stranger', ''];
    const resources = ['prices/eur', 'prices/public/x', 'orders/alice/1', 'orders/bob/1', 'lobby/a', 'x'];
    let compared = 0;
    for (const user of users) {
      const requests: EntitlementRequest[] = [
        logon(user),
        admin(user, '/admin/entitlements', 'read'),
        { user, action: 'logon', resourceType: 'topic', resource: 'x' },
        ...resources.flatMap((topic) => [read(user, topic), write(user, topic)]),
      ];
      for (const request of requests) {
        // Identity: both hand out the same frozen answer object.
        expect(explainOf(module, request).answer).toBe(answerOf(module, request));
        compared++;
      }
    }
    expect(compared).toBe(users.length * (3 + resources.length * 2));
  });
});
