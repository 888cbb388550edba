import { describe, expect, it } from 'vitest';
import { allows, answerOf, configErrorOf, LEVEL, logon, read, testContext, write } from './helpers.js';
import { policyModule } from './example-policy.js';

describe('policy placeholders', () => {
  it('fills ${group} with the group the grant belongs to', async () => {
    const module = await policyModule({
      groups: {
        eu: { users: ['anna', 'both'], grants: [{ actions: ['read'], topics: ['desk/${group}/#'] }] },
        us: { users: ['sam', 'both'], grants: [{ actions: ['read'], topics: ['desk/${group}/#'] }] },
      },
    });
    expect(allows(module, read('anna', 'desk/eu/x'))).toBe(true);
    expect(allows(module, read('anna', 'desk/us/x'))).toBe(false);
    expect(allows(module, read('sam', 'desk/us/x'))).toBe(true);
    expect(allows(module, read('both', 'desk/eu/x'))).toBe(true);
    expect(allows(module, read('both', 'desk/us/x'))).toBe(true);
    expect(allows(module, read('both', 'desk/${group}/x'))).toBe(false);
  });

  it('fills ${group} in a deny rule with each group the rule reaches the user through', async () => {
    const module = await policyModule({
      groups: {
        eu: { users: ['anna', 'both'], grants: [{ actions: ['write'], topics: ['desk/#'] }] },
        us: { users: ['both'], grants: [] },
      },
      deny: [
        { groups: ['eu'], actions: ['write'], topics: ['desk/${group}/locked'] },
        { users: ['both'], actions: ['write'], topics: ['desk/${group}/frozen'] },
      ],
    });
    expect(allows(module, write('anna', 'desk/eu/locked'))).toBe(false);
    expect(allows(module, write('anna', 'desk/us/locked'))).toBe(true);
    expect(allows(module, write('anna', 'desk/eu/frozen'))).toBe(true);
    // The first rule reaches "both" through eu only; the second names the user, so through every group.
    expect(allows(module, write('both', 'desk/eu/locked'))).toBe(false);
    expect(allows(module, write('both', 'desk/us/locked'))).toBe(true);
    expect(allows(module, write('both', 'desk/eu/frozen'))).toBe(false);
    expect(allows(module, write('both', 'desk/us/frozen'))).toBe(false);
  });

  it('fills placeholders inside a level', async () => {
    const module = await policyModule({
      groups: {
        g: { users: ['al'], grants: [{ actions: ['read'], topics: ['tmp/${user}-home/#', 'q/${group}.${user}'] }] },
      },
    });
    expect(allows(module, read('al', 'tmp/al-home/x'))).toBe(true);
    expect(allows(module, read('al', 'tmp/al-homer/x'))).toBe(false);
    expect(allows(module, read('al', 'q/g.al'))).toBe(true);
    expect(allows(module, read('al', 'q/g.al/x'))).toBe(false);
  });

  it('fills ${user} in a re: pattern, which must match the whole topic', async () => {
    const module = await policyModule({
      groups: { g: { users: ['alice', 'bob'], grants: [{ actions: ['read'], topics: ['re:inbox/${user}/[0-9]+'] }] } },
    });
    expect(allows(module, read('alice', 'inbox/alice/12'))).toBe(true);
    expect(allows(module, read('alice', 'inbox/alice/x'))).toBe(false);
    expect(allows(module, read('alice', 'inbox/bob/1'))).toBe(false);
    expect(allows(module, read('alice', 'xinbox/alice/1'))).toBe(false);
    expect(allows(module, read('alice', 'inbox/alice/1/2'))).toBe(false);
    expect(allows(module, read('bob', 'inbox/bob/7'))).toBe(true);
  });

  it('makes a quantifier after a placeholder repeat the whole value', async () => {
    const module = await policyModule({
      groups: { g: { users: ['ab'], grants: [{ actions: ['read'], topics: ['re:x/${user}{2}'] }] } },
    });
    expect(allows(module, read('ab', 'x/abab'))).toBe(true);
    expect(allows(module, read('ab', 'x/abb'))).toBe(false);
  });

  it('treats an escaped \\${ in a regex as literal text', async () => {
    const module = await policyModule({
      groups: { g: { users: ['u'], grants: [{ actions: ['read'], topics: ['re:a/\\${user}'] }] } },
    });
    expect(allows(module, read('u', 'a/${user}'))).toBe(true);
    expect(allows(module, read('u', 'a/u'))).toBe(false);
  });

  it('binds ${user} for users in no group (allowUnknownUser)', async () => {
    const module = await policyModule({
      allowUnknownUser: true,
      groups: { $default: { grants: [{ actions: ['read', 'write'], topics: ['home/${user}/#', 're:mail/${user}'] }] } },
    });
    expect(allows(module, read('zed', 'home/zed/x'))).toBe(true);
    expect(allows(module, read('zed', 'home/zoe/x'))).toBe(false);
    expect(allows(module, write('zoe', 'mail/zoe'))).toBe(true);
    expect(allows(module, write('zoe', 'mail/zed'))).toBe(false);
    // A reset drops the bindings kept for users in no group; answers stay the same.
    await module.reset?.();
    expect(allows(module, read('zed', 'home/zed/x'))).toBe(true);
  });
});

describe('policy placeholders: hostile user names', () => {
  const HOSTILE = ['#', '+', 'a/b', '.*', 'a|b', '(', '${group}', '', '\\E', ')|.*|(', 'a\u0000b'];

  const hostilePolicy = (deny: unknown[] = []) => ({
    groups: {
      traders: {
        users: ['alice', ...HOSTILE],
        grants: [{ actions: ['read', 'write'], topics: ['orders/${user}/#', 're:inbox/${user}/.*', 'desk/${user}'] }],
      },
    },
    deny,
  });

  it('never lets a user name widen what ${user} grants', async () => {
    const module = await policyModule(hostilePolicy());
    for (const user of HOSTILE) {
      expect(allows(module, logon(user)), `logon ${JSON.stringify(user)}`).toBe(true);
      for (const topic of [
        'orders/alice/x',
        'orders/other',
        'orders/a/x',
        'inbox/alice/x',
        'inbox/a/x',
        'inbox/b/x',
        'desk/alice',
        'desk/x',
        'orders//x',
        'inbox//x',
      ]) {
        expect(allows(module, read(user, topic)), `${JSON.stringify(user)} reads ${topic}`).toBe(false);
      }
    }
  });

  it('matches a ${user} level only against the literal user name', async () => {
    const module = await policyModule(hostilePolicy());
    for (const user of ['#', '+', '.*', 'a|b', '(', '${group}', '\\E', ')|.*|(', 'a\u0000b']) {
      expect(allows(module, read(user, `orders/${user}/x`)), JSON.stringify(user)).toBe(true);
      expect(allows(module, read(user, `desk/${user}`)), JSON.stringify(user)).toBe(true);
      expect(allows(module, read(user, `inbox/${user}/x`)), JSON.stringify(user)).toBe(true);
    }
    // ${group} in a user name is not filled in again.
    expect(allows(module, read('${group}', 'orders/traders/x'))).toBe(false);
  });

  it('gives a user name containing "/" no ${user} level, but quotes it literally in a regex', async () => {
    const module = await policyModule(hostilePolicy());
    expect(allows(module, read('a/b', 'orders/a/b/x'))).toBe(false);
    expect(allows(module, read('a/b', 'desk/a/b'))).toBe(false);
    expect(allows(module, read('a/b', 'inbox/a/b/x'))).toBe(true);
  });

  it('binds no placeholder to an empty user name', async () => {
    const module = await policyModule(hostilePolicy());
    expect(allows(module, read('', 'orders//x'))).toBe(false);
    expect(allows(module, read('', 'desk/'))).toBe(false);
    expect(allows(module, read('', 'inbox//x'))).toBe(false);
  });

  it('makes an unbindable deny rule deny everything it covers (fail closed)', async () => {
    const context = testContext();
    const module = await policyModule(
      {
        groups: {
          traders: { users: ['alice', 'a/b', ''], grants: [{ actions: ['read', 'write'], topics: ['orders/#'] }] },
        },
        deny: [{ users: ['*'], actions: ['write'], topics: ['orders/${user}/audit'] }],
      },
      context,
    );
    expect(allows(module, write('alice', 'orders/alice/x'))).toBe(true);
    expect(allows(module, write('alice', 'orders/alice/audit'))).toBe(false);
    expect(answerOf(module, write('a/b', 'orders/x'))).toEqual({ allow: false, reason: 'denied by deny[0]' });
    expect(allows(module, write('', 'orders/x'))).toBe(false);
    expect(allows(module, read('a/b', 'orders/x'))).toBe(true);
    const debug = context.records.filter((record) => record.level === LEVEL.debug && record.user === 'a/b');
    expect(debug).toEqual([
      expect.objectContaining({
        pattern: 'orders/${user}/audit',
        reason: 'a placeholder value contains "/"',
        msg: expect.stringContaining('denies everything'),
      }),
    ]);
  });

  it('rejects placeholders where a filled-in value could not be one regex atom', async () => {
    const options = {
      groups: {
        g: {
          users: ['u'],
          grants: [{ actions: ['read'], topics: ['re:a[${user}]', 're:\\Q${user}\\E', 'x/${usr}', 're:[$]${group}'] }],
        },
      },
    };
    const error = await configErrorOf(() => policyModule(options));
    // topics[3] is fine: its class [$] is closed before the placeholder.
    const at = 'security.entitlement.options.policy.groups.g.grants[0].topics';
    expect(error.issues).toEqual([
      {
        path: `${at}[0]`,
        message:
          'expected a valid pattern (${user} cannot be used inside a character class [...]), got "re:a[${user}]"',
      },
      {
        path: `${at}[1]`,
        message: 'expected a valid pattern (${user} cannot be used inside \\Q...\\E), got "re:\\\\Q${user}\\\\E"',
      },
      {
        path: `${at}[2]`,
        message:
          'expected a valid pattern (unknown placeholder "${usr}"; expected ${user} or ${group}), got "x/${usr}"',
      },
    ]);
  });
});
