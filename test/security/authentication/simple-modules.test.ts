// allow-any, implicit and deny-all, and the registry of built-in modules.
import { describe, expect, it } from 'vitest';
import { createAllowAnyAuthentication } from '../../../server/security/authentication/allow-any.js';
import { createDenyAllAuthentication } from '../../../server/security/authentication/deny-all.js';
import { createImplicitAuthentication } from '../../../server/security/authentication/implicit.js';
import { BUILTIN_AUTHENTICATION_MODULES } from '../../../server/security/authentication/index.js';
import { answerOf, configErrorOf, expectAccept, expectReject, logon, moduleContext } from './helpers.js';

describe('allow-any', () => {
  it('requires a logon but accepts any credentials, with the given user name as identity', async () => {
    const module = await createAllowAnyAuthentication({}, moduleContext());
    expect(module.name).toBe('allow-any');
    expect(module.allowsImplicitLogon).toBe(false);
    expectAccept(await answerOf(module.authenticate(logon({ user: 'bob', password: 'anything' }))), 'bob');
    expectAccept(
      await answerOf(
        module.authenticate(logon({ user: 'carol', password: undefined, token: 'x', mechanism: 'token' })),
      ),
      'carol',
    );
  });

  it('rejects SCRAM-SHA-256 (no password store) and an implicit logon', async () => {
    const module = await createAllowAnyAuthentication({}, moduleContext());
    expectReject(
      await answerOf(module.authenticate(logon({ mechanism: 'SCRAM-SHA-256', data: 'n,,n=alice,r=abc' }))),
      /no password store/,
    );
    expectReject(
      await answerOf(module.authenticate(logon({ user: '', password: undefined, mechanism: 'implicit' }))),
      /implicit logon is not allowed/,
    );
  });

  it('refuses options it does not have', async () => {
    const error = await configErrorOf(() => createAllowAnyAuthentication({ users: [] }, moduleContext()));
    expect(error.issues[0].path).toBe('security.authentication.options.users');
  });
});

describe('implicit', () => {
  it('allows the implicit logon with an empty identity, and explicit logons like allow-any', async () => {
    const module = await createImplicitAuthentication({}, moduleContext());
    expect(module.allowsImplicitLogon).toBe(true);
    expectAccept(
      await answerOf(module.authenticate(logon({ user: '', password: undefined, mechanism: 'implicit' }))),
      '',
    );
    expectAccept(await answerOf(module.authenticate(logon({ user: 'dave' }))), 'dave');
    expectReject(await answerOf(module.authenticate(logon({ mechanism: 'SCRAM-SHA-256', data: 'n,,n=a,r=b' }))));
  });
});

describe('deny-all', () => {
  it('rejects every logon with its fixed reason', async () => {
    const module = await createDenyAllAuthentication({}, moduleContext());
    for (const request of [
      logon(),
      logon({ mechanism: 'implicit', user: '' }),
      logon({ mechanism: 'token', token: 't' }),
    ]) {
      expectReject(await answerOf(module.authenticate(request)), 'deny-all module refuses every logon');
    }
  });
});

describe('BUILTIN_AUTHENTICATION_MODULES', () => {
  it('has every built-in by its config name, and nothing inherited', () => {
    expect(Object.keys(BUILTIN_AUTHENTICATION_MODULES).sort()).toEqual([
      'allow-any',
      'deny-all',
      'http',
      'implicit',
      'jwt',
      'tls-cert',
      'users',
    ]);
    expect(BUILTIN_AUTHENTICATION_MODULES['constructor']).toBeUndefined();
    expect(BUILTIN_AUTHENTICATION_MODULES['toString']).toBeUndefined();
    expect(Object.isFrozen(BUILTIN_AUTHENTICATION_MODULES)).toBe(true);
  });
});
