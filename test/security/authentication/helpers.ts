// Shared fixtures for the authentication module tests: a silent module context, logon requests,
// and unwrapping of sync-or-async answers.
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { expect } from 'vitest';
import { ConfigError } from '../../../server/config/index.js';
import type { AuthAnswer, LogonRequest, ModuleContext } from '../../../server/security/module-types.js';

export const CONFIG_PATH = 'security.authentication';

export function moduleContext(baseDir: string = tmpdir()): ModuleContext {
  return {
    log: pino({ level: 'silent' }),
    baseDir,
    configPath: CONFIG_PATH,
    invalidate: () => {},
    audit: () => {},
    filterSyntax: 'jsonata',
    invalidateAll: () => {},
  };
}

export function logon(fields: Partial<LogonRequest> = {}): LogonRequest {
  return {
    user: 'alice',
    password: 'secret',
    token: undefined,
    mechanism: 'password',
    data: undefined,
    remoteAddress: '127.0.0.1',
    listener: 'native',
    peerCertificate: undefined,
    ...fields,
  };
}

export async function answerOf(answer: AuthAnswer | Promise<AuthAnswer>): Promise<AuthAnswer> {
  return answer;
}

export function expectAccept(answer: AuthAnswer, identity: string): void {
  expect(answer).toMatchObject({ outcome: 'accept', identity });
}

/** Asserts a rejection and returns its reason (for checks on what gets logged). */
export function expectReject(answer: AuthAnswer, reasonPart?: string | RegExp): string {
  expect(answer.outcome).toBe('reject');
  const reason = answer.outcome === 'reject' ? answer.reason : '';
  if (reasonPart !== undefined) expect(reason).toMatch(reasonPart);
  return reason;
}

/** Runs a factory call expected to fail with a ConfigError. */
export async function configErrorOf(run: () => unknown): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the options were accepted');
}
