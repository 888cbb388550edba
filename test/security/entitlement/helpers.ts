// Shared pieces for the entitlement module tests: a module context, a logger whose records the
// test can read, request builders, and a way to catch a factory's ConfigError.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect } from 'vitest';
import { ConfigError } from '../../../server/config/index.js';
import type {
  EntitlementAnswer,
  EntitlementModule,
  EntitlementRequest,
  InvalidationTarget,
  ModuleContext,
} from '../../../server/security/module-types.js';

export const CONFIG_PATH = 'security.entitlement';

export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface TestContext extends ModuleContext {
  /** Every record logged so far, parsed. */
  readonly records: LogRecord[];
  /** What the module asked to invalidate, in order. */
  readonly invalidated: InvalidationTarget[];
  /** How many times the module called invalidateAll(). */
  readonly invalidatedAll: { count: number };
  /** What the module wrote to the audit log, in order. */
  readonly audited: { event: string; fields: Readonly<Record<string, unknown>> }[];
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export function testContext(baseDir = process.cwd()): TestContext {
  const records: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      records.push(JSON.parse(chunk.toString('utf8')) as LogRecord);
      done();
    },
  });
  // Synchronous pino writes to a plain Writable, so records are there as soon as the call returns.
  const invalidated: InvalidationTarget[] = [];
  const audited: TestContext['audited'] = [];
  const invalidatedAll = { count: 0 };
  return {
    log: pino({ level: 'debug' }, sink),
    baseDir,
    configPath: CONFIG_PATH,
    records,
    invalidated,
    invalidatedAll,
    audited,
    invalidate: (target) => invalidated.push(target),
    invalidateAll: () => void invalidatedAll.count++,
    audit: (event, fields) => audited.push({ event, fields }),
    filterSyntax: 'jsonata',
  };
}

export const logon = (user: string): EntitlementRequest => ({
  user,
  action: 'logon',
  resourceType: 'logon',
  resource: '',
});
export const read = (user: string, topic: string): EntitlementRequest => ({
  user,
  action: 'read',
  resourceType: 'topic',
  resource: topic,
});
export const write = (user: string, topic: string): EntitlementRequest => ({
  user,
  action: 'write',
  resourceType: 'topic',
  resource: topic,
});
export const admin = (user: string, path: string, action: 'read' | 'write' = 'write'): EntitlementRequest => ({
  user,
  action,
  resourceType: 'admin',
  resource: path,
});

/** The answer of a module whose check is synchronous (fails the test if it returns a promise). */
export function answerOf(module: EntitlementModule, request: EntitlementRequest): EntitlementAnswer {
  const answer = module.check(request);
  if (answer instanceof Promise) throw new Error(`${module.name}.check returned a promise`);
  return answer;
}

export function allows(module: EntitlementModule, request: EntitlementRequest): boolean {
  return answerOf(module, request).allow;
}

/** Awaits `run`, which must throw a ConfigError, and returns it. */
export async function configErrorOf(run: () => unknown): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the options were accepted');
}
