import { describe, expect, it } from 'vitest';
import { createSimpleAccessEntitlement } from '../../../server/security/entitlement/index.js';
import type { EntitlementModule } from '../../../server/security/module-types.js';
import { admin, allows, answerOf, configErrorOf, logon, read, testContext, write } from './helpers.js';

async function simpleAccess(options: Record<string, unknown>): Promise<EntitlementModule> {
  return createSimpleAccessEntitlement(options, testContext());
}

describe('simple-access entitlement module', () => {
  it('allows everything when no lists are given, except admin requests', async () => {
    const module = await simpleAccess({});
    expect(module.name).toBe('simple-access');
    expect(allows(module, logon('anyone'))).toBe(true);
    expect(allows(module, read('anyone', 'a/b'))).toBe(true);
    expect(allows(module, write('anyone', 'a/b'))).toBe(true);
    expect(answerOf(module, admin('anyone', '/admin/entitlements/reset'))).toMatchObject({ allow: false });
  });

  it('allows admin requests with admin: allow', async () => {
    const module = await simpleAccess({ admin: 'allow' });
    expect(allows(module, admin('anyone', '/admin/entitlements/reset', 'write'))).toBe(true);
    expect(allows(module, admin('anyone', '/admin/status', 'read'))).toBe(true);
  });

  it('requires a match in an allow list, per action', async () => {
    const module = await simpleAccess({
      read: { allow: ['prices/#', 'news/+/today'] },
      write: { allow: ['orders/new'] },
    });
    expect(allows(module, read('u', 'prices'))).toBe(true);
    expect(allows(module, read('u', 'prices/eur/usd'))).toBe(true);
    expect(allows(module, read('u', 'news/tech/today'))).toBe(true);
    expect(allows(module, read('u', 'news/tech/sub/today'))).toBe(false);
    expect(allows(module, read('u', 'orders/new'))).toBe(false);
    expect(allows(module, write('u', 'orders/new'))).toBe(true);
    expect(allows(module, write('u', 'orders/new/x'))).toBe(false);
    expect(allows(module, write('u', 'prices/eur'))).toBe(false);
    expect(answerOf(module, write('u', 'prices/eur'))).toEqual({
      allow: false,
      reason: 'topic is not in the write.allow list',
    });
  });

  it('lets deny beat allow', async () => {
    const module = await simpleAccess({
      read: { allow: ['prices/#'], deny: ['prices/internal/#'] },
      write: { deny: ['#'] },
    });
    expect(allows(module, read('u', 'prices/eur'))).toBe(true);
    expect(answerOf(module, read('u', 'prices/internal/x'))).toEqual({
      allow: false,
      reason: 'topic is in the read.deny list',
    });
    expect(allows(module, read('u', 'prices/internal'))).toBe(false);
    // A deny on '#' also covers topics that begin with '$', unlike an MQTT subscription.
    expect(allows(module, write('u', '$sys/anything'))).toBe(false);
    expect(allows(module, write('u', 'a'))).toBe(false);
  });

  it('treats an empty allow list as allowing nothing', async () => {
    const module = await simpleAccess({ write: { allow: [] } });
    expect(allows(module, write('u', 'a'))).toBe(false);
    expect(allows(module, read('u', 'a'))).toBe(true);
  });

  it('matches re: patterns against the whole topic with re2', async () => {
    const module = await simpleAccess({ read: { allow: ['re:prices/[a-z]{3}'], deny: ['re:.*secret.*'] } });
    expect(allows(module, read('u', 'prices/eur'))).toBe(true);
    expect(allows(module, read('u', 'prices/euro'))).toBe(false);
    expect(allows(module, read('u', 'xprices/eur'))).toBe(false);
    expect(allows(module, read('u', 'prices/sec'))).toBe(true);
    expect(allows(module, read('u', 'prices/secret'))).toBe(false);
  });

  it('denies request kinds the broker never sends', async () => {
    const module = await simpleAccess({ admin: 'allow' });
    expect(allows(module, { user: 'u', action: 'admin', resourceType: 'topic', resource: 'a' })).toBe(false);
    expect(allows(module, { user: 'u', action: 'read', resourceType: 'logon', resource: '' })).toBe(false);
  });

  it('reports bad options with their paths', async () => {
    const error = await configErrorOf(() =>
      simpleAccess({
        read: { allow: ['ok/#', 'a/#/b'], permit: [] },
        write: { deny: ['re:(unclosed', 'x/${user}'] },
        admin: 'yes',
      }),
    );
    expect(error.issues).toEqual([
      {
        path: 'security.entitlement.options.read.allow[1]',
        message: `expected a valid pattern ('#' must be the last topic level in "a/#/b"), got "a/#/b"`,
      },
      { path: 'security.entitlement.options.read.permit', message: 'unknown key (expected one of "allow", "deny")' },
      {
        path: 'security.entitlement.options.write.deny[0]',
        message:
          'expected a valid pattern (regex does not compile: missing closing ): "(unclosed"), got "re:(unclosed"',
      },
      {
        path: 'security.entitlement.options.write.deny[1]',
        message: 'expected a valid pattern (placeholders such as "${user}" are not supported here), got "x/${user}"',
      },
      { path: 'security.entitlement.options.admin', message: 'expected one of "allow", "deny", got "yes"' },
    ]);
  });
});
