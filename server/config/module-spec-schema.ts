// A security module as the config names one: shared by the security, listener, admin and vhost
// sections (a vhost policy may name its own authentication module, docs/vhosts.md).
import { z } from 'zod';
import { stringField } from './fields.js';

/**
 * A security module: a built-in name or a path to the user's own ESM file (relative paths resolve
 * against the config file's directory), and its options, which the module itself validates.
 */
export const moduleSpecSchema = z.strictObject({
  module: stringField(/^\S(.*\S)?$/, 1024, 'a built-in module name or a path to an ESM file'),
  options: z.record(z.string(), z.unknown(), { error: 'expected a map of module options' }).default({}),
});
