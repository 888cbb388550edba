import { describe, expect, it } from 'vitest';
import {
  BUILTIN_ENTITLEMENT_MODULES,
  createAllowAllEntitlement,
  createHttpEntitlement,
  createPolicyEntitlement,
  createSimpleAccessEntitlement,
} from '../../../server/security/entitlement/index.js';

describe('built-in entitlement modules', () => {
  it('are registered under their config names', () => {
    expect({ ...BUILTIN_ENTITLEMENT_MODULES }).toEqual({
      'allow-all': createAllowAllEntitlement,
      'simple-access': createSimpleAccessEntitlement,
      policy: createPolicyEntitlement,
      http: createHttpEntitlement,
    });
    expect(Object.isFrozen(BUILTIN_ENTITLEMENT_MODULES)).toBe(true);
  });

  it('find nothing under names inherited from Object.prototype', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(BUILTIN_ENTITLEMENT_MODULES[name]).toBeUndefined();
    }
  });
});
