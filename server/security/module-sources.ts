// What a security module is built from, to tell on a live reload whether it must be built again:
// its spec (module and options, compared key by key) and the contents of the files its options
// name. A file option is one called `file` or ending in `File` (the policy module's `file`, the
// users module's `usersFile`, jwt's `publicKeyFile`), at any depth (tls-cert's `credentials`).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ModuleSpec } from '../config/index.js';
import { formatKeyPath, type KeyPath } from '../config/key-path.js';
import { diffConfig } from '../config/config-diff.js';

export interface ModuleSources {
  readonly spec: ModuleSpec;
  /** By the option's full key path (`security.authentication.options.usersFile`): a digest of the file, or why it could not be read. */
  readonly files: ReadonlyMap<string, string>;
}

/** Reads the files `spec`'s options name (relative to `baseDir`); `configPath` is where the spec is (`listeners[1].entitlement`). */
export async function readModuleSources(spec: ModuleSpec, baseDir: string, configPath: string): Promise<ModuleSources> {
  const files = new Map<string, string>();
  for (const { path, file } of fileOptions(spec.options, [])) {
    files.set(`${configPath}.options.${formatKeyPath(path)}`, await digestOf(resolve(baseDir, file)));
  }
  return { spec, files };
}

/** Whether the module must be built again, and the file options whose contents changed. */
export function compareSources(
  before: ModuleSources,
  after: ModuleSources,
): { readonly changed: boolean; readonly files: readonly string[] } {
  const files = [...after.files].filter(([key, digest]) => before.files.get(key) !== digest).map(([key]) => key);
  const specChanged = diffConfig(before.spec, after.spec).length > 0;
  return { changed: specChanged || files.length > 0, files };
}

function* fileOptions(value: unknown, path: KeyPath): Generator<{ path: KeyPath; file: string }> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* fileOptions(item, [...path, i]);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' && (key === 'file' || key.endsWith('File')))
      yield { path: [...path, key], file: item };
    else yield* fileOptions(item, [...path, key]);
  }
}

async function digestOf(file: string): Promise<string> {
  try {
    return createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  } catch (err) {
    // The module's own load names the file and the problem; this only has to differ from a digest.
    return `unreadable: ${err instanceof Error && 'code' in err ? String(err.code) : 'error'}`;
  }
}
