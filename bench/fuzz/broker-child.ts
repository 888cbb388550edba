// The broker under fuzzing: the real CLI (dist/server/cli.js) in a child process, as in
// production. A crash is anything on its stderr (Node prints an uncaught exception or unhandled
// rejection there before exiting) or an exit nobody asked for; error-level log lines (contained
// failures) are counted from its stdout. RSS is read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fuzzBrokerConfig } from './fuzz-config.js';

const CLI = join(import.meta.dirname, '../../server/cli.js');
/** The source tree's path to the compiled CLI, for runs from TypeScript (vitest). */
const CLI_FROM_SOURCE = join(import.meta.dirname, '../../dist/server/cli.js');

export interface BrokerChild {
  readonly pid: number;
  /** ws://127.0.0.1:PORT/ */
  readonly nativeUrl: string;
  readonly mqttPort: number;
  /** Why the broker is not healthy: its stderr, or how it exited; null while it runs quietly. */
  crash(): string | null;
  /** Error-level log lines so far (contained failures), the first few kept whole. */
  readonly errorLines: { count: number; first: string[] };
  /** Resident set size in bytes (0 once it is gone). */
  rssBytes(): number;
  /** Resolves when the process has exited (its output read to the end). */
  readonly closed: Promise<void>;
  stop(): Promise<void>;
}

const KEPT_ERROR_LINES = 5;
/** Upper bound for a start; a loaded machine starts Node in well under this. */
const START_TIMEOUT_MS = 30_000;

function cliPath(): string {
  // Compiled: bench/fuzz -> dist/bench/fuzz, the CLI beside it. From source: dist/ of the checkout.
  return import.meta.filename.endsWith('.js') ? CLI : CLI_FROM_SOURCE;
}

export async function startBrokerChild(): Promise<BrokerChild> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-fuzz-'));
  const config = join(dir, 'fuzz.yaml');
  writeFileSync(config, JSON.stringify({ ...fuzzBrokerConfig(), persistence: { path: join(dir, 'data') } }));
  const child: ChildProcess = spawn(process.execPath, [cliPath(), '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let exit: string | null = null;
  let stopping = false;
  const errorLines = { count: 0, first: [] as string[] };
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const closed = new Promise<void>((resolve) =>
    child.once('close', (code, signal) => {
      // 'close', not 'exit': stderr has then been read to the end.
      if (!stopping) exit = `the broker exited (code ${code}, signal ${signal})`;
      rmSync(dir, { recursive: true, force: true });
      resolve();
    }),
  );
  const lines = createInterface({ input: child.stdout! });
  const listening = new Promise<{ nativeUrl: string; mqttPort: number }>((resolve, reject) => {
    const urls: { native?: string; mqtt?: string } = {};
    const timer = setTimeout(
      () => reject(new Error(`the broker did not listen within ${START_TIMEOUT_MS} ms: ${stderr}`)),
      START_TIMEOUT_MS,
    );
    lines.on('line', (line) => {
      // Most lines are info (a logon each); parse only what matters.
      if (!line.includes('"listening"') && !/"level":(50|60)/.test(line) && line.startsWith('{')) return;
      let entry: { level?: number; msg?: string; url?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        entry = { level: 60, msg: line };
      }
      if (entry.msg === 'listening' && entry.url !== undefined) {
        if (entry.url.startsWith('mqtt://')) urls.mqtt = entry.url;
        else urls.native = entry.url;
        if (urls.native !== undefined && urls.mqtt !== undefined) {
          clearTimeout(timer);
          resolve({ nativeUrl: urls.native, mqttPort: Number(new URL(urls.mqtt).port) });
        }
        return;
      }
      if ((entry.level ?? 0) >= 50) {
        errorLines.count++;
        if (errorLines.first.length < KEPT_ERROR_LINES) errorLines.first.push(line);
      }
    });
    void closed.then(() => {
      clearTimeout(timer);
      reject(new Error(`the broker exited before listening: ${stderr}`));
    });
  });
  const { nativeUrl, mqttPort } = await listening;
  const pid = child.pid!;
  return {
    pid,
    nativeUrl,
    mqttPort,
    errorLines,
    closed,
    crash: () => (stderr !== '' ? `the broker wrote to stderr:\n${stderr}` : exit),
    rssBytes: () => {
      try {
        const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        return match === null ? 0 : Number(match[1]) * 1024;
      } catch {
        return 0;
      }
    },
    stop: async () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
    },
  };
}
