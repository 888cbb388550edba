// bench:persist scenario 2: how long the broker takes to start on a filled store. The real CLI
// (`node dist/server/cli.js --config ...`, pinned to a core with taskset where given) is spawned on
// a store directory; the figure is the time from the spawn to its `listening` log line (Node's
// own start-up, module loading, opening the store, restoring sessions and wills, binding). The
// broker's own `state restored from the store` line says what it restored and how long that
// took; retained messages follow in the background, and the time to its `retained messages
// restored from the store` line is reported too. RSS is read then, and again a second later. Stopped by PID (SIGTERM, then SIGKILL after 30 s), and
// the time to its exit is reported too.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { brokerNodeArgs } from '../broker-process.js';
import { rssKiB } from '../mqtt-load/storm.js';

const CLI = join(import.meta.dirname, '../../server/cli.js');
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
/** The listener the bench's sessions belong to (fill-store.ts `listener`). */
export const RESTART_LISTENER = 'mqtt';

/** What the broker's two restore log lines say (sessions and wills; then retained messages). */
export interface RestoredLine {
  /** Retained messages restored in the background, and when that ended (ms after the spawn). */
  retained: number;
  retainedReadyMs: number;
  sessions: number;
  messages: number;
  wills: number;
  dropped: number;
  ms: number;
}

export interface RestartResult {
  /** From the spawn to the `listening` log line, ms. */
  listeningMs: number;
  /** The broker's own figures, or null when it did not log the line. */
  restored: RestoredLine | null;
  /** VmRSS once listening with the retained messages in, and one second later, KiB. */
  rssAtListeningKiB: number;
  rssSettledKiB: number;
  /** From SIGTERM to the process's exit, ms (closing the store and disposing what was restored). */
  stopMs: number;
}

export interface RestartOptions {
  /** The store directory (persistence.path). */
  storePath: string;
  /** Where to write the temp config. */
  configDir: string;
  /** Pin the broker to this core with taskset, or null. */
  cpu: number | null;
  /** The store's contents, so that today's bounds hold all of it. */
  retained: number;
  sessions: number;
  messagesPerSession: number;
  payloadBytes: number;
}

/**
 * The broker's config: one MQTT TCP listener on port 0 (the sessions' listener), `info` logs (the
 * two lines read here), and bounds raised so that nothing stored is dropped at restore.
 */
export function restartConfig(o: RestartOptions): Record<string, unknown> {
  const MiB = 1024 * 1024;
  // Held bytes (docs/mqtt.md "Held bytes"): about 2.5x the payload + ~1 KiB per retained message,
  // 2.5x + 512 B per queued one. Counted generously; the bounds are ceilings, not allocations.
  const retainedBytes = Math.max(64 * MiB, o.retained * (3 * o.payloadBytes + 1024));
  const queuedBytes = Math.max(8 * MiB, o.messagesPerSession * (3 * o.payloadBytes + 1024));
  const sessionBytes = Math.max(256 * MiB, o.sessions * o.messagesPerSession * (3 * o.payloadBytes + 1024));
  return {
    log: { level: 'info' },
    admin: { enabled: false },
    persistence: { store: 'lmdb', path: o.storePath },
    mqtt: {
      retained: { maxMessages: Math.max(100_000, o.retained), maxBytes: retainedBytes },
      sessions: {
        maxSessions: Math.max(100_000, o.sessions),
        maxQueuedMessages: Math.max(1000, o.messagesPerSession),
        maxQueuedBytes: queuedBytes,
        maxBytes: Math.max(sessionBytes, queuedBytes),
      },
    },
    listeners: [{ name: RESTART_LISTENER, protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port: 0 }],
  };
}

/** Start the broker on the store, time it to `listening`, read its RSS, stop it. */
export async function measureRestart(o: RestartOptions): Promise<RestartResult> {
  const config = join(o.configDir, `restart-${process.pid}.yaml`);
  writeFileSync(config, JSON.stringify(restartConfig(o)));
  const args = [...brokerNodeArgs(), CLI, '--config', config];
  const started = performance.now();
  const child: ChildProcess =
    o.cpu === null
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('taskset', ['-c', String(o.cpu), process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  try {
    let restored: RestoredLine | null = null;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    let listening: number | null = null;
    const listeningMs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the broker did not log 'listening' within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let entry: { msg?: string } & Partial<RestoredLine>;
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          return;
        }
        if (entry.msg?.startsWith('state restored from the store') === true)
          restored = {
            retained: 0,
            retainedReadyMs: Number.NaN,
            sessions: entry.sessions ?? 0,
            messages: entry.messages ?? 0,
            wills: entry.wills ?? 0,
            dropped: entry.dropped ?? 0,
            ms: entry.ms ?? Number.NaN,
          };
        if (entry.msg === 'listening') listening ??= performance.now() - started;
        if (entry.msg === 'retained messages restored from the store' && restored !== null) {
          restored.retained = entry.retained ?? 0;
          restored.retainedReadyMs = performance.now() - started;
        }
        // Measured once both are done: listening, and the retained messages in.
        if (listening !== null && restored !== null && !Number.isNaN(restored.retainedReadyMs)) {
          clearTimeout(timer);
          resolve(listening);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the broker exited with ${code} before listening: ${stderr}`));
      });
    });
    const rssAtListeningKiB = rssKiB(child.pid!);
    await new Promise((r) => setTimeout(r, 1000));
    const rssSettledKiB = rssKiB(child.pid!);
    const stopping = performance.now();
    await stop(child, kill);
    return { listeningMs, restored, rssAtListeningKiB, rssSettledKiB, stopMs: performance.now() - stopping };
  } finally {
    await stop(child, kill);
    process.removeListener('exit', kill);
  }
}

/** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves when the process has exited. */
async function stop(child: ChildProcess, kill: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(kill, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
