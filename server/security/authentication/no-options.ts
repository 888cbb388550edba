// Modules without options still validate them, so a misplaced key is an error rather than a
// setting that silently does nothing.
import { z } from 'zod';
import { parseModuleOptions } from '../module-options.js';
import type { ModuleContext } from '../module-types.js';

const noOptionsSchema = z.strictObject({});

export function expectNoOptions(options: Readonly<Record<string, unknown>>, context: ModuleContext): void {
  parseModuleOptions(noOptionsSchema, options, context);
}
