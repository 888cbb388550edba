// A real `warden` process (the compiled dist/server/cli.js) on one MQTT listener on an ephemeral
// port, with its store in a test's directory: started, read from its JSON log, and killed with
// SIGKILL or stopped with SIGTERM, for the crash and restart tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLI = join(import.meta.dirname, '../../dist/server/cli.js');

export interface LogEntry {
  readonly msg?: string;
  readonly [key: string]: unknown;
}

export interface WardenProcess {
  readonly child: ChildProcess;
  readonly mqttUrl: string;
  /** Every JSON log line so far. */
  readonly log: LogEntry[];
  /** SIGKILL: no shutdown, no last write. Resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM: the orderly shutdown. Resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface ExitedProcess {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const running = new Set<ChildProcess>();

/** Kill whatever a test left running (afterEach). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

function spawnWarden(dir: string, persistence: unknown): ChildProcess {
  const config = join(dir, 'warden.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      log: { level: 'info' },
      admin: { enabled: false },
      persistence,
      listeners: [{ name: 'mqtt', protocol: 'mqtt', host: '127.0.0.1', port: 0 }],
    }),
  );
  const child = spawn(process.execPath, [CLI, '--config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Start warden with `persistence` and wait for its MQTT listener. */
export async function startWarden(dir: string, persistence: unknown): Promise<WardenProcess> {
  const child = spawnWarden(dir, persistence);
  const log: LogEntry[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const mqttUrl = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as LogEntry;
      log.push(entry);
      if (entry.msg === 'listening' && typeof entry.url === 'string') resolve(entry.url);
    });
    void exited.then((code) => reject(new Error(`warden exited with ${code} before listening: ${stderr}`)));
  });
  return {
    child,
    mqttUrl,
    log,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Run warden with `persistence` expecting it not to start: its exit code and output. */
export function failedStart(dir: string, persistence: unknown): Promise<ExitedProcess> {
  const child = spawnWarden(dir, persistence);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
