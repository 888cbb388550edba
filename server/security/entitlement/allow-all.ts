// `allow-all`, the default entitlement module: every request is allowed, with no filter or select list.
import type { EntitlementModule, EntitlementModuleFactory } from '../module-types.js';
import { parseModuleOptions } from '../module-options.js';
import { z } from 'zod';
import { ALLOW } from './answers.js';

const optionsSchema = z.strictObject({});

export const createAllowAllEntitlement: EntitlementModuleFactory = (options, context): EntitlementModule => {
  parseModuleOptions(optionsSchema, options, context);
  return { name: 'allow-all', check: () => ALLOW };
};
