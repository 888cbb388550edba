// Starts the broker child (broker-child.ts) for one attack, asks it for probes over IPC, samples
// its RSS from /proc while an attack runs (works while its event loop is blocked) and kills it by
// PID with SIGKILL at the end, whatever happened.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildReply, ChildRequest } from './child-messages.js';

const CHILD = join(import.meta.dirname, 'broker-child.js');
/** Lines of the child's stderr and stdout kept for the report (a crash's stack is on stderr). */
const TAIL_LINES = 30;

export interface Probe {
  rssBytes: number;
  maxBlockMs: number;
  stats: Readonly<Record<string, number>>;
}

export interface BrokerUnderAttack {
  pid: number;
  nativeUrl: string;
  mqttPort: number;
  /** How the process ended, or null while it runs. */
  exit(): { code: number | null; signal: string | null } | null;
  /** Resolves when the process has ended. */
  readonly exited: Promise<void>;
  /** Asks the child; rejects after timeoutMs (a blocked loop answers late) or if it ends. */
  probe(timeoutMs: number, resetDelay?: boolean): Promise<Probe>;
  /** VmRSS from /proc/PID/status in bytes, or null when the process is gone. */
  procRss(): number | null;
  /** The last lines the child wrote (stderr first): where a crash says why. */
  tail(): string[];
  kill(): Promise<void>;
}

export async function startBrokerUnderAttack(
  dir: string,
  config: Record<string, unknown>,
  startTimeoutMs: number,
): Promise<BrokerUnderAttack> {
  const configPath = join(dir, 'broker.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const child: ChildProcess = fork(CHILD, [configPath], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const pid = child.pid!;
  const stderrTail: string[] = [];
  const stdoutTail: string[] = [];
  keepTail(child.stderr!, stderrTail);
  keepTail(child.stdout!, stdoutTail);
  let exitInfo: { code: number | null; signal: string | null } | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve();
    }),
  );
  const waiting = new Map<number, (reply: Probe) => void>();
  let seq = 0;
  let ready: ((reply: Extract<ChildReply, { type: 'ready' }>) => void) | null = null;
  child.on('message', (reply: ChildReply) => {
    if (reply.type === 'ready') ready?.(reply);
    else waiting.get(reply.seq)?.({ rssBytes: reply.rssBytes, maxBlockMs: reply.maxBlockMs, stats: reply.stats });
  });
  // An IPC write to a dead child emits 'error' on the child object; the exit is what we report.
  child.on('error', () => undefined);

  const kill = async (): Promise<void> => {
    if (exitInfo !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  const tail = (): string[] => [...stderrTail, ...stdoutTail.slice(-5)];

  let listeners: { name: string; url: string }[];
  try {
    listeners = await withTimeout(
      new Promise<{ name: string; url: string }[]>((resolve, reject) => {
        ready = (reply) => resolve(reply.listeners);
        void exited.then(() => reject(new Error(`broker exited before it was ready: ${tail().join(' | ')}`)));
      }),
      startTimeoutMs,
      'broker start',
    );
  } catch (err) {
    await kill();
    throw err;
  }
  const nativeUrl = listeners.find((l) => l.url.startsWith('ws://'))?.url;
  const mqttUrl = listeners.find((l) => l.url.startsWith('mqtt://'))?.url;
  if (nativeUrl === undefined || mqttUrl === undefined) {
    await kill();
    throw new Error(`the broker needs a native and an MQTT TCP listener, got ${JSON.stringify(listeners)}`);
  }

  return {
    pid,
    nativeUrl,
    mqttPort: Number(new URL(mqttUrl).port),
    exit: () => exitInfo,
    exited,
    probe: (timeoutMs, resetDelay = false) => {
      if (exitInfo !== null) return Promise.reject(new Error('the broker has exited'));
      const id = ++seq;
      const request: ChildRequest = { type: resetDelay ? 'reset-delay' : 'probe', seq: id };
      const answer = new Promise<Probe>((resolve, reject) => {
        waiting.set(id, resolve);
        void exited.then(() => reject(new Error('the broker exited before answering')));
        child.send(request, (err) => {
          if (err !== null) reject(err);
        });
      });
      return withTimeout(answer, timeoutMs, 'probe').finally(() => waiting.delete(id));
    },
    procRss: () => procRss(pid),
    tail,
    kill,
  };
}

/** VmRSS of a process in bytes (from /proc/PID/status), or null when it is gone. */
export function procRss(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

function keepTail(stream: NodeJS.ReadableStream, lines: string[]): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      if (line.trim() === '') continue;
      lines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
      if (lines.length > TAIL_LINES) lines.shift();
    }
  });
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
