// Which store `warden store` works on: --path DIR, else persistence.path of the config (--config,
// else $WARDEN_CONFIG, else the embedded default), resolved as the broker resolves it (against the
// working directory). A config whose store is `memory` names no store on disk: that is refused
// rather than answered about some directory the broker does not use.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfigFile, resolveConfigPath, type WardenConfig } from '../config/index.js';
import { requireLmdbFile, type LmdbFileFacts } from '../store/lmdb-file-check.js';
import { StoreError } from '../store/store-error.js';
import { CliError, usageError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

export function resolveStoreDir(
  flags: { path?: string | undefined; config?: string | undefined },
  env: NodeJS.ProcessEnv,
): string {
  if (flags.path !== undefined) {
    if (flags.config !== undefined) throw usageError('give --path or --config, not both');
    if (flags.path === '') throw usageError('--path needs a directory');
    return path.resolve(flags.path);
  }
  const configPath = resolveConfigPath(flags.config, env);
  let config: WardenConfig;
  try {
    config = loadConfigFile(configPath, env);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(`cannot take the store's location from the config (or pass --path):\n${err.message}`);
    throw err;
  }
  if (config.persistence.store !== 'lmdb')
    throw new CliError(
      `${configPath}: persistence.store is ${config.persistence.store}, so there is no store on disk to work on. Pass --path DIR to name a store directory.`,
      EXIT.STORE,
    );
  return path.resolve(config.persistence.path);
}

/**
 * The facts of the store's data file. Refuses (StoreError), before anything opens it, a directory
 * with no store in it (opening would create an empty one) and a damaged data file (lmdb-js would
 * crash on it).
 */
export function requireStore(dir: string): LmdbFileFacts {
  const dataFile = path.join(dir, 'data.mdb');
  if (!fs.existsSync(dataFile))
    throw new StoreError(`${dir}: there is no store here (no data.mdb). Check persistence.path, or pass --path DIR.`);
  return requireLmdbFile(dataFile);
}
