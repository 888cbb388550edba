import { describe, expect, it } from 'vitest';
import { createAllowAllEntitlement } from '../../../server/security/entitlement/index.js';
import { admin, answerOf, configErrorOf, logon, read, testContext, write } from './helpers.js';

describe('allow-all entitlement module', () => {
  it('allows every kind of request, with no filter or select list', async () => {
    const module = await createAllowAllEntitlement({}, testContext());
    expect(module.name).toBe('allow-all');
    for (const request of [
      logon(''),
      logon('eve'),
      read('eve', 'a/b'),
      write('eve', '$sys/x'),
      admin('eve', '/admin/entitlements/reset'),
    ]) {
      expect(answerOf(module, request)).toEqual({ allow: true });
    }
  });

  it('rejects options, since it has none', async () => {
    const error = await configErrorOf(() => createAllowAllEntitlement({ mode: 'strict' }, testContext()));
    expect(error.issues).toEqual([{ path: 'security.entitlement.options.mode', message: 'unknown key' }]);
  });
});
