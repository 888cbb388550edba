// The built-in entitlement modules, by the name used in the config's `module:` key.
import type { EntitlementModuleFactory } from '../module-types.js';
import { createAllowAllEntitlement } from './allow-all.js';
import { createHttpEntitlement } from './http-entitlement.js';
import { createPolicyEntitlement } from './policy-module.js';
import { createSimpleAccessEntitlement } from './simple-access.js';

export { createAllowAllEntitlement, createHttpEntitlement, createPolicyEntitlement, createSimpleAccessEntitlement };

/** No prototype, so a configured name like "toString" or "__proto__" finds nothing. */
export const BUILTIN_ENTITLEMENT_MODULES: Readonly<Record<string, EntitlementModuleFactory>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, EntitlementModuleFactory>, {
    'allow-all': createAllowAllEntitlement,
    'simple-access': createSimpleAccessEntitlement,
    policy: createPolicyEntitlement,
    http: createHttpEntitlement,
  }),
);
