// Loads uWebSockets.js (the `@trufflesuite/uws-js-unofficial` build, which users install themselves) and
// checks that the native addon is what loaded. The package's own loader (src/uws.js) requires
// `binaries/uws_<platform>_<arch>_<abi>.node` and, when that throws (or UWS_USE_FALLBACK is set),
// prints a warning to the console and silently returns a JS emulation built on `ws`: the same
// API, slower than `ws` itself. So the package loading is not proof of anything; this module
// answers null with the reason unless the package's export is that very addon.
import { createRequire } from 'node:module';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as UwsTypes from '@trufflesuite/uws-js-unofficial';

export type Uws = typeof UwsTypes;

export const UWS_PACKAGE = '@trufflesuite/uws-js-unofficial';
/** What users install to get it (the build Warden is tested with; docs/transports.md). */
export const UWS_INSTALL = `${UWS_PACKAGE}@20.30.0-unofficial.0`;

export type UwsLoad = { readonly uws: Uws; readonly reason: null } | { readonly uws: null; readonly reason: string };

/** What the broker calls (once) when a listener asks for uWebSockets.js; tests inject their own. */
export type UwsLoader = () => UwsLoad;

export interface UwsLoadContext {
  /** Resolves, loads and caches modules (Node's require). */
  readonly require: NodeJS.Require;
  readonly env: NodeJS.ProcessEnv;
  /** The addon file name the package picks for this process. */
  readonly binaryName: string;
}

/** The package's naming scheme: `uws_linux_x64_115.node` on Linux x64 under Node 20 (ABI 115). */
export function binaryNameFor(platform: string, arch: string, abi: string): string {
  return `uws_${platform}_${arch}_${abi}.node`;
}

function defaultContext(): UwsLoadContext {
  return {
    require: createRequire(import.meta.url),
    env: process.env,
    binaryName: binaryNameFor(process.platform, process.arch, process.versions.modules),
  };
}

/** The values for which the package skips its addon (src/uws.js). */
const FALLBACK_FLAGS = new Set(['true', 'True', 'TRUE', '1']);

const fail = (reason: string): UwsLoad => ({ uws: null, reason });

export function loadUws(context: UwsLoadContext = defaultContext()): UwsLoad {
  const { require, env, binaryName } = context;
  let main: string;
  try {
    main = require.resolve(UWS_PACKAGE);
  } catch {
    return fail(`${UWS_PACKAGE} is not installed`);
  }
  // Checked before loading: the package would announce its emulation with console.log, on the
  // stdout that carries our JSON log lines.
  const flag = env.UWS_USE_FALLBACK;
  if (flag !== undefined && FALLBACK_FLAGS.has(flag))
    return fail(`UWS_USE_FALLBACK=${flag} makes ${UWS_PACKAGE} use its JS emulation`);
  const binary = join(dirname(main), '..', 'binaries', binaryName);
  if (!existsSync(binary))
    return fail(`${UWS_PACKAGE} has no prebuilt ${binaryName} for this platform and Node.js ABI`);
  let loaded: unknown;
  try {
    loaded = require(UWS_PACKAGE);
  } catch (err) {
    return fail(`${UWS_PACKAGE} failed to load: ${(err as Error).message}`);
  }
  // The reliable signal: a .node file that loaded sits in the module cache under its real path,
  // and the package returns its exports as they are. The emulation is dist/index.js instead.
  const addon = require.cache[realpathSync(binary)];
  if (addon === undefined || addon.exports !== loaded)
    return fail(`${UWS_PACKAGE} loaded its JS emulation instead of the native ${binaryName}`);
  return { uws: loaded as Uws, reason: null };
}
