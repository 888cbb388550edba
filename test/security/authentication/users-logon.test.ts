// `users` module logons with a password: anonymous refusal, unknown users, wrong passwords, host
// access lists (with an injected resolver), passwordCheckOnly and groups.
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostNameResolver } from '../../../server/security/authentication/host-access.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  parsePasswordHash,
  verifyParsedPassword,
  type ParsedPasswordHash,
} from '../../../server/security/authentication/password-hash.js';
import { makeUsersAuthenticationFactory } from '../../../server/security/authentication/users.js';
import { answerOf, expectAccept, expectReject, logon, moduleContext } from './helpers.js';

const CHEAP = { N: 1024, r: 8, p: 1 };
let aliceHash: string;
let bobHash: string;

beforeAll(async () => {
  [aliceHash, bobHash] = await Promise.all([hashPassword('alice-pw', CHEAP), hashPassword('bob-pw', CHEAP)]);
});

const usersModule = (options: Record<string, unknown> = {}, resolveHostNames?: HostNameResolver) =>
  makeUsersAuthenticationFactory({ resolveHostNames })(
    {
      users: [
        { name: 'alice', hash: aliceHash, group: 'admin' },
        { name: 'bob', hash: bobHash, hosts: ['10.0.0.0/8', '::1', '*.corp.example.com'] },
      ],
      ...options,
    },
    moduleContext(),
  );

describe('users: password logons', () => {
  it('accepts the right password, with the configured name as identity', async () => {
    const module = await usersModule();
    expect(module.name).toBe('users');
    expect(module.allowsImplicitLogon).toBe(false);
    expectAccept(await answerOf(module.authenticate(logon({ user: 'alice', password: 'alice-pw' }))), 'alice');
  });

  it('rejects a wrong password and an unknown user, with reasons for the log that hold no password', async () => {
    const module = await usersModule();
    const wrong = expectReject(
      await answerOf(module.authenticate(logon({ user: 'alice', password: 'bob-pw' }))),
      /wrong password for user "alice"/,
    );
    const unknown = expectReject(
      await answerOf(module.authenticate(logon({ user: 'mallory', password: 'alice-pw' }))),
      /unknown user "mallory"/,
    );
    for (const reason of [wrong, unknown]) expect(reason).not.toMatch(/-pw/);
  });

  it('refuses anonymous logons: empty name, missing or empty password, implicit logon', async () => {
    const module = await usersModule();
    expectReject(
      await answerOf(module.authenticate(logon({ user: '', password: 'alice-pw' }))),
      /anonymous logon refused: empty user name/,
    );
    expectReject(
      await answerOf(module.authenticate(logon({ user: 'alice', password: undefined }))),
      /anonymous logon refused: no password/,
    );
    expectReject(await answerOf(module.authenticate(logon({ user: 'alice', password: '' }))), /no password/);
    expectReject(
      await answerOf(module.authenticate(logon({ user: '', password: undefined, mechanism: 'implicit' }))),
      /never allows an implicit logon/,
    );
  });

  it('rejects mechanisms it does not know', async () => {
    const module = await usersModule();
    expectReject(
      await answerOf(
        module.authenticate(logon({ user: 'alice', password: undefined, token: 'abc', mechanism: 'token' })),
      ),
      /does not support mechanism "token"/,
    );
  });

  it('checks an unknown user against a dummy hash with the same scrypt cost: one real scrypt, as for a known user', async () => {
    // The property behind "an unknown user takes as long as a wrong password", without timing
    // (wall-clock comparisons fail on a loaded machine): one real scrypt with the same parameters.
    const checked: ParsedPasswordHash[] = [];
    const verifyPassword = (password: string, hash: ParsedPasswordHash): Promise<boolean> => {
      checked.push(hash);
      return verifyParsedPassword(password, hash);
    };
    const alice = parsePasswordHash(aliceHash)!;
    const module = await makeUsersAuthenticationFactory({ verifyPassword })(
      { users: [{ name: 'alice', hash: aliceHash }] },
      moduleContext(),
    );
    expectReject(await answerOf(module.authenticate(logon({ user: 'alice', password: 'wrong' }))), /wrong password/);
    expectReject(await answerOf(module.authenticate(logon({ user: 'nobody', password: 'wrong' }))), /unknown user/);
    expectReject(await answerOf(module.authenticate(logon({ user: 'nobody', password: 'alice-pw' }))), /unknown user/);
    expect(checked).toHaveLength(3);
    expect(checked[0]!.key.equals(alice.key)).toBe(true); // a known user: her own hash
    const [, dummy, again] = checked;
    expect(dummy).toBe(again); // one dummy hash, made at startup
    expect(dummy!.params).toEqual(alice.params);
    expect(dummy!.key.length).toBe(alice.key.length);
    expect(dummy!.salt.equals(alice.salt)).toBe(false);
    // A real hash, of no password anyone knows: alice's own password does not match it.
    expect(await verifyParsedPassword('alice-pw', dummy!)).toBe(false);
  });

  it('gives the dummy hash the default cost when no user has a hash to copy', async () => {
    const checked: ParsedPasswordHash[] = [];
    const module = await makeUsersAuthenticationFactory({
      verifyPassword: (password, hash) => {
        checked.push(hash);
        return verifyParsedPassword(password, hash);
      },
    })({ users: [] }, moduleContext());
    expectReject(await answerOf(module.authenticate(logon({ user: 'nobody', password: 'pw' }))), /unknown user/);
    expect(checked.map((h) => h.params)).toEqual([DEFAULT_SCRYPT_PARAMS]);
  });

  it('tells other modules the group of a user', async () => {
    const module = await usersModule();
    expect(module.groupOf('alice')).toBe('admin');
    expect(module.groupOf('bob')).toBeUndefined();
    expect(module.groupOf('nobody')).toBeUndefined();
    expect(module.groupOf('constructor')).toBeUndefined();
  });
});

describe('users: host access lists', () => {
  const resolver: HostNameResolver = async (address) => (address === '192.0.2.7' ? ['ws7.corp.example.com'] : []);

  it('enforces a user list: addresses, CIDR, IPv6, IPv4-mapped clients and names', async () => {
    const module = await usersModule({}, resolver);
    const bobFrom = async (remoteAddress: string) =>
      (await answerOf(module.authenticate(logon({ user: 'bob', password: 'bob-pw', remoteAddress })))).outcome;
    expect(await bobFrom('10.1.2.3')).toBe('accept');
    expect(await bobFrom('::ffff:10.1.2.3')).toBe('accept');
    expect(await bobFrom('::1')).toBe('accept');
    expect(await bobFrom('192.0.2.7')).toBe('accept');
    expect(await bobFrom('127.0.0.1')).toBe('reject');
    expect(await bobFrom('192.0.2.8')).toBe('reject');
    const reason = expectReject(
      await answerOf(module.authenticate(logon({ user: 'bob', password: 'bob-pw', remoteAddress: '203.0.113.1' }))),
    );
    expect(reason).toBe('user "bob" may not connect from 203.0.113.1 (host access list)');
  });

  it('lets users without a list connect from anywhere, unless defaultHosts says otherwise', async () => {
    const open = await usersModule();
    expectAccept(
      await answerOf(open.authenticate(logon({ user: 'alice', password: 'alice-pw', remoteAddress: '203.0.113.1' }))),
      'alice',
    );
    const restricted = await usersModule({ defaultHosts: ['127.0.0.1'] });
    expectReject(
      await answerOf(
        restricted.authenticate(logon({ user: 'alice', password: 'alice-pw', remoteAddress: '203.0.113.1' })),
      ),
      /host access list/,
    );
    expectAccept(
      await answerOf(
        restricted.authenticate(logon({ user: 'alice', password: 'alice-pw', remoteAddress: '::ffff:127.0.0.1' })),
      ),
      'alice',
    );
    // bob's own list wins over defaultHosts
    expectAccept(
      await answerOf(restricted.authenticate(logon({ user: 'bob', password: 'bob-pw', remoteAddress: '10.0.0.1' }))),
      'bob',
    );
  });

  it('an empty list admits nobody', async () => {
    const module = await makeUsersAuthenticationFactory()(
      { users: [{ name: 'alice', hash: aliceHash, hosts: [] }] },
      moduleContext(),
    );
    expectReject(
      await answerOf(module.authenticate(logon({ user: 'alice', password: 'alice-pw' }))),
      /host access list/,
    );
  });

  it('checks hosts only after the password, so a wrong password causes no DNS lookup', async () => {
    let lookups = 0;
    const module = await usersModule({}, async () => {
      lookups += 1;
      return [];
    });
    expectReject(
      await answerOf(module.authenticate(logon({ user: 'bob', password: 'wrong', remoteAddress: '192.0.2.7' }))),
      /wrong password/,
    );
    expect(lookups).toBe(0);
    expectReject(
      await answerOf(module.authenticate(logon({ user: 'bob', password: 'bob-pw', remoteAddress: '192.0.2.7' }))),
      /host access list/,
    );
    expect(lookups).toBe(1);
  });

  it('passwordCheckOnly: the password is still checked, host lists are not', async () => {
    const module = await usersModule({ passwordCheckOnly: true, defaultHosts: ['127.0.0.1'] }, resolver);
    expect(module.passwordCheckOnly).toBe(true);
    expectAccept(
      await answerOf(module.authenticate(logon({ user: 'bob', password: 'bob-pw', remoteAddress: '203.0.113.1' }))),
      'bob',
    );
    expectAccept(
      await answerOf(module.authenticate(logon({ user: 'alice', password: 'alice-pw', remoteAddress: '203.0.113.1' }))),
      'alice',
    );
    expectReject(
      await answerOf(module.authenticate(logon({ user: 'bob', password: 'nope', remoteAddress: '10.0.0.1' }))),
      /wrong password/,
    );
    expectReject(await answerOf(module.authenticate(logon({ user: '', password: 'bob-pw' }))), /anonymous/);
    expectReject(await answerOf(module.authenticate(logon({ user: 'zed', password: 'bob-pw' }))), /unknown user/);
  });
});
