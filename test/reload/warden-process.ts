// A real `warden` process (the compiled dist/server/cli.js: `npm test` builds first) on a config
// file in a temp dir, with its JSON log lines to await in order, its listeners' and admin URLs,
// and POST /admin/reload. Stopped with SIGTERM (SIGKILL if a test left it running) after each test.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';
import { CLI } from '../admin/cli-process.js';
import type { TempDir } from '../helpers/temp-dir.js';

export type LogEntry = Record<string, unknown> & { msg?: string; level?: number };

export interface WardenProcess {
  readonly child: ChildProcess;
  /** ws:// or mqtt:// URL by listener name. */
  readonly urls: Readonly<Record<string, string>>;
  readonly adminUrl: string;
  /** The next log line (after those already taken) that `pred` accepts. */
  next(pred: (entry: LogEntry) => boolean): Promise<LogEntry>;
  /** POST /admin/reload (admin credentials are not checked by these configs' allow-any). */
  reload(body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const ADMIN_AUTH = `Basic ${Buffer.from('ops:ops-pw').toString('base64')}`;

/** Call at the top of a test file: `const start = useWardenProcesses();`, then `await start(dir, 'warden.yaml')`. */
export function useWardenProcesses(): (dir: TempDir, config: string) => Promise<WardenProcess> {
  const running: ChildProcess[] = [];
  afterEach(() => {
    for (const child of running.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return async (dir, config) => {
    const child = spawn(process.execPath, [CLI, '--config', config], {
      cwd: dir.path,
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WARDEN_'))),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    running.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const next = logLines(child);
    const urls: Record<string, string> = {};
    let adminUrl = '';
    for (;;) {
      const entry = await next((e) => ['listening', 'admin listener started', 'warden started'].includes(e.msg ?? ''));
      if (entry.msg === 'listening') urls[String(entry.listener)] = String(entry.url);
      else if (entry.msg === 'admin listener started') adminUrl = String(entry.url);
      else break;
    }
    return {
      child,
      urls,
      adminUrl,
      next,
      async reload(body) {
        const response = await fetch(`${adminUrl}/admin/reload`, {
          method: 'POST',
          headers: { authorization: ADMIN_AUTH },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, json: (await response.json()) as Record<string, unknown> };
      },
      stop() {
        child.kill('SIGTERM');
        return exited;
      },
    };
  };
}

function logLines(child: ChildProcess): (pred: (entry: LogEntry) => boolean) => Promise<LogEntry> {
  const seen: LogEntry[] = [];
  let read = 0;
  const waiters: (() => void)[] = [];
  let gone = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    seen.push(JSON.parse(line) as LogEntry);
    for (const wake of waiters.splice(0)) wake();
  });
  // 'close', not 'exit': only then has all of its output been read.
  child.once('close', () => {
    gone = true;
    for (const wake of waiters.splice(0)) wake();
  });
  return async (pred) => {
    for (;;) {
      while (read < seen.length) {
        const entry = seen[read++]!;
        if (pred(entry)) return entry;
      }
      if (gone) throw new Error(`warden exited (code ${child.exitCode}) before the awaited log line`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
}
