// Shared fixtures for the authentication module tests: a silent module context, logon requests,
// temp dirs, and unwrapping of sync-or-async answers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect } from 'vitest';
import { ConfigError } from '../../../server/config/index.js';
import type { AuthAnswer, LogonRequest, ModuleContext } from '../../../server/security/module-types.js';

export const CONFIG_PATH = 'security.authentication';

export function moduleContext(baseDir: string = tmpdir()): ModuleContext {
  return { log: pino({ level: 'silent' }), baseDir, configPath: CONFIG_PATH };
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

export interface TempDir {
  readonly path: string;
  write(name: string, text: string): string;
}

/** Call at the top of a test file; each temp() is removed after its test. */
export function useTempDirs(): () => TempDir {
  const created: string[] = [];
  afterEach(() => {
    for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const path = mkdtempSync(join(tmpdir(), 'warden-auth-'));
    created.push(path);
    return {
      path,
      write(name, text) {
        const file = join(path, name);
        writeFileSync(file, text);
        return file;
      },
    };
  };
}
