// Resolving a configuration: find the file, read it, substitute placeholders, validate, freeze.
// The result is resolved once at startup and is immutable from then on.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import { deepFreeze } from './deep-freeze.js';
import type { KeyPath } from './key-path.js';
import { findPackageRoot } from './package-root.js';
import { wardenConfigSchema, type WardenConfig } from './schema.js';
import { substitute } from './substitute.js';
import { tlsSecretPaths } from './tls-schema.js';
import { parseYamlText } from './yaml-text.js';
import { createIssueFormatter } from './zod-issues.js';

export { ConfigError, type ConfigIssue } from './config-error.js';

/** The annotated default configuration shipped in the package (config/warden.yaml). */
export const DEFAULT_CONFIG_PATH: string = join(findPackageRoot(import.meta.url), 'config', 'warden.yaml');

/** Environment variable naming the config file when no --config argument is given. */
export const CONFIG_PATH_ENV = 'WARDEN_CONFIG';

export interface ConfigSource {
  /** The file the input came from; named in errors, and its directory is the default `dir`. */
  readonly path?: string;
  /** Directory relative ${file:PATH} placeholders resolve against; default: `path`'s directory, else the cwd. */
  readonly dir?: string;
  /** Environment for ${env:NAME}; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The key paths of each parsed config's secret values, for what shows its values (a refused live reload). */
const secretsOf = new WeakMap<object, readonly KeyPath[]>();

/**
 * Key paths of `config`'s values that came from ${env:} or ${file:}, and of TLS passphrases: never
 * to be shown. A config made by parseConfig (or passed through it again) knows them; others have none.
 */
export function configSecretPaths(config: WardenConfig): readonly KeyPath[] {
  return secretsOf.get(config) ?? [];
}

/** `derived`, a copy of `config` with some keys changed (a worker's node id), keeps `config`'s secret paths. */
export function keepSecretPaths<T extends object>(config: WardenConfig, derived: T): T {
  secretsOf.set(derived, configSecretPaths(config));
  return derived;
}

/** Validates an already-parsed document (null/undefined count as empty) into a frozen config; throws ConfigError. */
export function parseConfig(input: unknown, source: ConfigSource = {}): WardenConfig {
  const dir = source.dir ?? (source.path !== undefined ? dirname(resolve(source.path)) : process.cwd());
  const document = input ?? {};
  const { value, secretPaths, templates, issues } = substitute(document, { env: source.env ?? process.env, dir });
  if (issues.length > 0) throw new ConfigError(issues, source.path);

  const formatter = createIssueFormatter();
  const result = wardenConfigSchema.safeParse(value, { reportInput: true, error: formatter.errorMap });
  // A passphrase is secret even when written in the file itself.
  const secrets = [...secretPaths, ...tlsSecretPaths(value)];
  if (!result.success)
    throw new ConfigError(formatter.toConfigIssues(result.error.issues, secrets, templates), source.path);
  const config = deepFreeze(result.data);
  // A config parsed again (startBroker does) keeps what its first parse substituted.
  const inherited = typeof input === 'object' && input !== null ? (secretsOf.get(input) ?? []) : [];
  secretsOf.set(config, [...inherited, ...secrets]);
  return config;
}

/** Reads, parses and validates a YAML config file; every failure, unreadable file included, is a ConfigError. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): WardenConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError([{ path: '', message: `cannot read config file ${JSON.stringify(file)} (${code})` }], file);
  }
  return parseConfig(parseYamlText(text, file), { path: file, dir: dirname(file), env });
}

/**
 * Which config file to load: the --config argument, else $WARDEN_CONFIG, else the embedded default.
 * Empty values count as absent; relative paths resolve against the working directory.
 */
export function resolveConfigPath(argvPath: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = nonEmpty(argvPath) ?? nonEmpty(env[CONFIG_PATH_ENV]);
  return chosen === undefined ? DEFAULT_CONFIG_PATH : resolve(chosen);
}

/** The configuration an empty file yields; it equals what config/warden.yaml spells out. */
export function defaultConfig(): WardenConfig {
  return parseConfig({});
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
