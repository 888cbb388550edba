// Starts the real broker CLI as a child process on an ephemeral 127.0.0.1 port (a native listener,
// and optionally an MQTT TCP listener and an HTTP publish listener beside it), optionally pinned to one core, and reads its CPU
// time from /proc. Stops it by PID with SIGTERM. WARDEN_BENCH_NODE_ARGS adds Node flags to the
// broker's command line (brokerNodeArgs).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLI = join(import.meta.dirname, '../server/cli.js');
const CLOCK_TICKS_PER_SEC = 100;

/**
 * Extra Node flags for the broker child, space-separated (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`):
 * profiling the broker under a benchmark's own load needs no second harness. An environment
 * variable rather than a flag, so every bench script that starts a broker takes it unchanged.
 */
export function brokerNodeArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const value = env.WARDEN_BENCH_NODE_ARGS?.trim() ?? '';
  return value === '' ? [] : value.split(/\s+/);
}

export interface BrokerProcess {
  url: string;
  /** The admin listener's base URL when the config enables it, else null. */
  adminUrl: string | null;
  /** The MQTT TCP listener's port when `mqttListenerOptions` asked for one, else null. */
  mqttPort: number | null;
  /** The HTTP publish listener's URL (http://127.0.0.1:PORT/api/publish) when `httpListenerOptions` asked for one, else null. */
  httpUrl: string | null;
  pid: number;
  /** User + system CPU time of the broker process so far, in ms (0 where /proc is missing). */
  cpuMs(): number;
  stop(): Promise<void>;
}

export interface BrokerProcessOptions {
  /** Pin the broker to this core with taskset, or null. */
  cpu: number | null;
  listenerOptions?: Record<string, number>;
  /** Also start an MQTT TCP listener on port 0 with these options (over a 64 MiB send queue). */
  mqttListenerOptions?: Record<string, number>;
  /** Also start an HTTP publish listener on port 0 with these options (docs/http.md). */
  httpListenerOptions?: Record<string, number>;
  /** More top-level config sections (e.g. `security`). */
  config?: Record<string, unknown>;
  /** The native listener's WebSocket engine (default ws). */
  transport?: BenchTransport;
}

export type BenchTransport = 'ws' | 'uws';

/** Parses a --transport value: one engine, or `both` for ws and uws side by side. */
export function parseTransports(value: string): BenchTransport[] {
  if (value === 'both') return ['ws', 'uws'];
  if (value === 'ws' || value === 'uws') return [value];
  throw new Error('--transport must be ws, uws or both');
}

/** User + system CPU time of process `pid` so far, in ms (0 where /proc is missing). */
export function processCpuMs(pid: number): number {
  try {
    // /proc/PID/stat fields 14 and 15 (utime, stime) in clock ticks; the name field may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return 0;
  }
}

export async function startBrokerProcess(options: BrokerProcessOptions): Promise<BrokerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  const config = join(dir, 'bench.yaml');
  const transport = options.transport ?? 'ws';
  writeFileSync(
    config,
    JSON.stringify({
      log: { level: 'info' },
      // The admin listener (and with it GET /metrics, where the build has it) on, as in production.
      admin: { enabled: true, host: '127.0.0.1', port: 0 },
      // Every bench client comes from 127.0.0.1: the per-host defaults meant for real networks would measure those limits, not the broker.
      admission: { connectionRate: { perSecond: 0 }, maxUnauthenticatedPerHost: 65_535, maxUnauthenticated: 65_535 },
      persistence: { path: join(dir, 'data') },
      ...options.config,
      listeners: [
        {
          name: 'bench',
          protocol: 'native',
          transport,
          host: '127.0.0.1',
          port: 0,
          options: { maxSendQueueBytes: 64 * 1024 * 1024, ...options.listenerOptions },
        },
        ...(options.mqttListenerOptions === undefined
          ? []
          : [
              {
                name: 'bench-mqtt',
                protocol: 'mqtt',
                transport: 'tcp',
                host: '127.0.0.1',
                port: 0,
                options: { maxSendQueueBytes: 64 * 1024 * 1024, ...options.mqttListenerOptions },
              },
            ]),
        ...(options.httpListenerOptions === undefined
          ? []
          : [
              {
                name: 'bench-http',
                protocol: 'http',
                host: '127.0.0.1',
                port: 0,
                options: options.httpListenerOptions,
              },
            ]),
      ],
    }),
  );
  const args = [...brokerNodeArgs(), CLI, '--config', config];
  const child: ChildProcess =
    options.cpu === null
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn('taskset', ['-c', String(options.cpu), process.execPath, ...args], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
  let adminUrl: string | null = null;
  const found: { url: string | null; mqttUrl: string | null; httpUrl: string | null } = {
    url: null,
    mqttUrl: null,
    httpUrl: null,
  };
  const wantMqtt = options.mqttListenerOptions !== undefined;
  const wantHttp = options.httpListenerOptions !== undefined;
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string; transport?: string };
      // The broker logs its admin listener before announcing the client listeners (one line each).
      if (entry.msg === 'admin listener started' && entry.url !== undefined) adminUrl = entry.url;
      if (entry.msg === 'listening' && entry.url !== undefined) {
        if (entry.url.startsWith('mqtt://')) found.mqttUrl = entry.url;
        else if (entry.url.startsWith('http://')) found.httpUrl = entry.url;
        // A uws run that fell back to ws (the broker logged why, above) would measure ws.
        else if (entry.transport !== transport)
          reject(new Error(`the broker serves the native listener with ${entry.transport}, not ${transport}`));
        else found.url = entry.url;
      }
      if (found.url !== null && (found.mqttUrl !== null || !wantMqtt) && (found.httpUrl !== null || !wantHttp))
        resolve();
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening`)));
  });
  const pid = child.pid!;
  return {
    url: found.url!,
    adminUrl,
    mqttPort: found.mqttUrl === null ? null : Number(new URL(found.mqttUrl).port),
    httpUrl: found.httpUrl,
    pid,
    cpuMs: () => processCpuMs(pid),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
