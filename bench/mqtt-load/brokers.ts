// Brokers for bench:peers, each started as its own process on a free 127.0.0.1 port, optionally
// pinned to one core with taskset, and stopped by PID (SIGTERM, then SIGKILL after 3 s).
// Warden: the real CLI with a temp config (one MQTT TCP listener). Mosquitto: Debian's binary
// with a temp config. Aedes: bench/aedes-server.ts in a child Node process. nats-server: Debian's
// binary with a temp config (JetStream in a temp dir, an `mqtt` block). The bare-Node ceiling:
// bench/ceiling/bare-mqtt.ts in a child Node process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { brokerNodeArgs } from '../broker-process.js';

const CLI = join(import.meta.dirname, '../../server/cli.js');
const AEDES_SERVER = join(import.meta.dirname, '../aedes-server.js');
const BARE_MQTT = join(import.meta.dirname, '../ceiling/bare-mqtt.js');
const CLOCK_TICKS_PER_SEC = 100;
const START_TIMEOUT_MS = 15_000;

export interface PeerBroker {
  name: string;
  version: string;
  port: number;
  pid: number;
  /** User + system CPU time of the broker process so far, in ms (0 where /proc is missing). */
  cpuMs(): number;
  stop(): Promise<void>;
}

export interface PeerSpec {
  name: string;
  /** Why it cannot run here (and how to install it), or null. */
  missing(): string | null;
  start(cpu: number | null): Promise<PeerBroker>;
}

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function spawnPinned(cpu: number | null, command: string, args: string[]): ChildProcess {
  const child =
    cpu === null
      ? spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('taskset', ['-c', String(cpu), command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** A counter of /proc/PID/io, or null where that is not readable (not Linux, another user's). */
function procIo(pid: number, field: 'syscw' | 'write_bytes'): number | null {
  try {
    const line = new RegExp(`^${field}:\\s*(\\d+)$`, 'm').exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return line === null ? null : Number(line[1]);
  } catch {
    return null;
  }
}

/**
 * The write syscalls `pid` has made so far (`syscw` in /proc/PID/io: write, writev, sendmsg and
 * the like, whatever their size), or null where that is not readable (not Linux, another user's).
 */
export function writeSyscallsOf(pid: number): number | null {
  return procIo(pid, 'syscw');
}

/**
 * The bytes `pid` has caused to be written to storage so far (`write_bytes` in /proc/PID/io: the
 * page-cache pages it dirtied, which the kernel writes back), or null where that is not readable.
 * Sockets and pipes do not count.
 */
export function writeBytesOf(pid: number): number | null {
  return procIo(pid, 'write_bytes');
}

function cpuOf(pid: number): () => number {
  return () => {
    try {
      // /proc/PID/stat fields 14 and 15 (utime, stime) in clock ticks; the name field may hold spaces.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
    } catch {
      return 0;
    }
  };
}

function stopper(child: ChildProcess, cleanup: () => void): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    cleanup();
  };
}

/** Resolve with the first stdout line for which `pick` returns a value; reject on exit or timeout. */
function waitForLine<T>(child: ChildProcess, what: string, pick: (line: string) => T | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const value = pick(line);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve(value);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before listening: ${stderr}`));
    });
  });
}

/**
 * A Node script started as a peer (`node ...args`, pinned to `cpu`): it prints its port as a JSON
 * line `{"port": N}` on stdout once listening, and is stopped by PID.
 */
export async function startNodePeer(
  cpu: number | null,
  name: string,
  version: string,
  args: string[],
): Promise<PeerBroker> {
  const child = spawnPinned(cpu, process.execPath, args);
  const port = await waitForLine(child, name, (line) => {
    try {
      return (JSON.parse(line) as { port?: number }).port;
    } catch {
      return undefined;
    }
  });
  child.stdout!.resume();
  return { name, version, port, pid: child.pid!, cpuMs: cpuOf(child.pid!), stop: stopper(child, () => undefined) };
}

/** A free loopback port: listen on 0, note the port, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Retry a TCP connect to 127.0.0.1:port until it succeeds or the start timeout passes. */
export async function waitForConnect(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} not accepting connections on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function packageVersion(path: string): string {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export interface WardenSpecOptions {
  /** Row name (default "Warden"). */
  name?: string;
  /** `security.authentication` of the temp config (default: none, i.e. `allow-any`). */
  authentication?: { module: string; options?: unknown };
  /** `persistence` keys beside its `path` (a fresh temp dir per start), e.g. `{ store: 'lmdb', sync: 'always' }`. */
  persistence?: Record<string, unknown>;
  /** More top-level config sections (e.g. `mqtt`), over the bench's own. */
  config?: Record<string, unknown>;
  /** More options for the MQTT listener, over `maxSendQueueBytes` 64 MiB. */
  mqttOptions?: Record<string, number>;
}

/**
 * The config sections every bench broker of Warden's shares. Like the peers' configs (Mosquitto:
 * log_type error), no log line per connection. Every bench client comes from 127.0.0.1: the
 * per-host defaults meant for real networks (connection rate, not-logged-on sockets, waiting
 * credential checks) would measure those limits, not the broker.
 */
export function loopbackBenchConfig(authentication?: { module: string; options?: unknown }): Record<string, unknown> {
  return {
    log: { level: 'warn' },
    admin: { enabled: false },
    admission: { connectionRate: { perSecond: 0 }, maxUnauthenticatedPerHost: 65_535, maxUnauthenticated: 65_535 },
    security: {
      logonQueue: { maxQueuedPerHost: 100_000, maxQueued: 100_000 },
      ...(authentication === undefined ? {} : { authentication }),
    },
  };
}

/** Warden's CLI with a temp config; `authentication` goes to `security.authentication`. */
export function wardenSpec(options: WardenSpecOptions = {}): PeerSpec {
  const name = options.name ?? 'Warden';
  return {
    name,
    missing: () => (existsSync(CLI) ? null : 'run `npm run build` first'),
    start: async (cpu) => {
      const dir = mkdtempSync(join(tmpdir(), 'warden-peers-'));
      const config = join(dir, 'bench.yaml');
      const port = await freePort();
      writeFileSync(
        config,
        JSON.stringify({
          ...loopbackBenchConfig(options.authentication),
          ...options.config,
          persistence: { ...options.persistence, path: join(dir, 'data') },
          listeners: [
            { name: 'native', protocol: 'native', host: '127.0.0.1', port: 0 },
            {
              name: 'mqtt',
              protocol: 'mqtt',
              transport: 'tcp',
              host: '127.0.0.1',
              port,
              options: { maxSendQueueBytes: 64 * 1024 * 1024, ...options.mqttOptions },
            },
          ],
        }),
      );
      // WARDEN_BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the broker.
      const child = spawnPinned(cpu, process.execPath, [...brokerNodeArgs(), CLI, '--config', config]);
      await waitForConnect(port, child, name);
      child.stdout!.resume();
      return {
        name,
        version: packageVersion(join(import.meta.dirname, '../../../package.json')),
        port,
        pid: child.pid!,
        cpuMs: cpuOf(child.pid!),
        stop: stopper(child, () => rmSync(dir, { recursive: true, force: true })),
      };
    },
  };
}

export const warden: PeerSpec = wardenSpec();

const MOSQUITTO = '/usr/sbin/mosquitto';

export interface MosquittoSpecOptions {
  /** Row name (default "Mosquitto"). */
  name?: string;
  /**
   * Config lines replacing `persistence false`, given the run's temp dir (removed at stop), e.g.
   * `persistence true` and a `persistence_location` in it.
   */
  persistence?: (dir: string) => string[];
}

/** Debian's mosquitto with a temp config: defaults (as a user would run it), errors only in the log. */
export function mosquittoSpec(options: MosquittoSpecOptions = {}): PeerSpec {
  const name = options.name ?? 'Mosquitto';
  return {
    name,
    missing: () => (existsSync(MOSQUITTO) ? null : 'not installed: `sudo apt-get install mosquitto` (Debian/Ubuntu)'),
    start: (cpu) => startMosquitto(cpu, name, options),
  };
}

async function startMosquitto(cpu: number | null, name: string, options: MosquittoSpecOptions): Promise<PeerBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-peers-'));
  const config = join(dir, 'mosquitto.conf');
  const port = await freePort();
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      ...(options.persistence?.(dir) ?? ['persistence false']),
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child = spawnPinned(cpu, MOSQUITTO, ['-c', config]);
  child.stdout!.resume();
  child.stderr!.resume();
  await waitForConnect(port, child, 'mosquitto');
  const v = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' }).stdout.match(/version (\S+)/)?.[1] ?? '?';
  return {
    name,
    version: v,
    port,
    pid: child.pid!,
    cpuMs: cpuOf(child.pid!),
    stop: stopper(child, () => rmSync(dir, { recursive: true, force: true })),
  };
}

export const mosquitto: PeerSpec = mosquittoSpec();

const AEDES_PACKAGE = join(import.meta.dirname, '../../../node_modules/aedes/package.json');

export const aedes: PeerSpec = {
  name: 'Aedes',
  missing: () => (existsSync(AEDES_PACKAGE) ? null : 'not installed: `npm install --save-dev aedes`'),
  start: (cpu) => startNodePeer(cpu, 'Aedes', packageVersion(AEDES_PACKAGE), [AEDES_SERVER]),
};

/** Not a broker: the least a Node process must do to pass the benchmarks' traffic (bench/ceiling/bare-mqtt.ts). */
export const ceiling: PeerSpec = {
  name: 'bare Node (ceiling)',
  missing: () => (existsSync(BARE_MQTT) ? null : 'run `npm run build` first'),
  start: (cpu) => startNodePeer(cpu, 'bare Node (ceiling)', process.version, [BARE_MQTT]),
};

const NATS_SERVER = '/usr/sbin/nats-server';

/**
 * nats-server's MQTT listener. MQTT in nats-server needs JetStream (sessions, QoS 1 and retained
 * messages are kept in streams) and therefore a `server_name`; the store is a temp dir. The NATS
 * client port is a free loopback port too (nothing connects to it).
 */
export const nats: PeerSpec = {
  name: 'nats-server',
  missing: () => (existsSync(NATS_SERVER) ? null : 'not installed: `sudo apt-get install nats-server` (Debian/Ubuntu)'),
  start: async (cpu) => {
    const dir = mkdtempSync(join(tmpdir(), 'nats-peers-'));
    const config = join(dir, 'nats.conf');
    const clientPort = await freePort();
    const port = await freePort();
    writeFileSync(
      config,
      [
        'server_name: warden_bench',
        `listen: 127.0.0.1:${clientPort}`,
        `jetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }`,
        `mqtt { listen: 127.0.0.1:${port} }`,
        '',
      ].join('\n'),
    );
    const child = spawnPinned(cpu, NATS_SERVER, ['-c', config]);
    child.stdout!.resume();
    child.stderr!.resume();
    await waitForConnect(port, child, 'nats-server');
    const v = spawnSync(NATS_SERVER, ['--version'], { encoding: 'utf8' }).stdout.match(/v(\d\S*)/)?.[1] ?? '?';
    return {
      name: 'nats-server',
      version: v,
      port,
      pid: child.pid!,
      cpuMs: cpuOf(child.pid!),
      stop: stopper(child, () => rmSync(dir, { recursive: true, force: true })),
    };
  },
};
