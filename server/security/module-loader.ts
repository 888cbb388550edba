// Turns a config module spec ({ module, options }) into a module instance: a built-in by name,
// or the default export of the user's own ESM file (a path, relative to the config file).
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type ModuleSpec } from '../config/index.js';
import type { ModuleContext } from './module-types.js';

export interface ModuleKind<M> {
  /** 'authentication' or 'entitlement', for messages. */
  readonly kind: string;
  readonly builtins: Readonly<
    Record<string, (options: Readonly<Record<string, unknown>>, context: ModuleContext) => M | Promise<M>>
  >;
  /** Method names a module of this kind must have. */
  readonly requiredMethods: readonly string[];
}

function looksLikePath(name: string): boolean {
  return name.startsWith('.') || isAbsolute(name) || /\.(m?js|cjs)$/.test(name);
}

export async function loadModule<M>(kind: ModuleKind<M>, spec: ModuleSpec, context: ModuleContext): Promise<M> {
  const where = `${context.configPath}.module`;
  let factory = Object.hasOwn(kind.builtins, spec.module) ? kind.builtins[spec.module] : undefined;
  if (factory === undefined) {
    if (!looksLikePath(spec.module)) {
      const names = Object.keys(kind.builtins).join(', ');
      throw new ConfigError([
        {
          path: where,
          message: `unknown ${kind.kind} module "${spec.module}"; expected one of ${names}, or a path to an ESM file`,
        },
      ]);
    }
    const file = resolve(context.baseDir, spec.module);
    let loaded: { default?: unknown };
    try {
      loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (err) {
      throw new ConfigError([
        { path: where, message: `cannot load ${kind.kind} module ${JSON.stringify(file)}: ${(err as Error).message}` },
      ]);
    }
    if (typeof loaded.default !== 'function') {
      throw new ConfigError([
        {
          path: where,
          message: `${JSON.stringify(file)} must default-export a factory function (options, context) => module`,
        },
      ]);
    }
    factory = loaded.default as (typeof kind.builtins)[string];
  }
  const instance = await factory(spec.options, context);
  for (const method of kind.requiredMethods) {
    if (typeof (instance as Record<string, unknown> | null)?.[method] !== 'function') {
      throw new ConfigError([
        { path: where, message: `the ${kind.kind} module "${spec.module}" has no ${method}() method` },
      ]);
    }
  }
  return instance;
}
