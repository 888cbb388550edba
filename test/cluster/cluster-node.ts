// A Warden cluster node as a real process (the compiled dist/server/cli.js), on ephemeral ports
// of 127.0.0.1: an MQTT listener, a native WebSocket listener and the admin listener, joined to a
// test's redis-server. Its JSON log is kept, to wait for events in it; the admin API is called
// with Basic credentials (the default modules allow any).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLI = join(import.meta.dirname, '../../dist/server/cli.js');
const ADMIN_AUTH = `Basic ${Buffer.from('admin:pw').toString('base64')}`;

export interface LogEntry {
  readonly msg?: string;
  readonly [key: string]: unknown;
}

export interface ClusterNode {
  readonly nodeId: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly mqttUrl: string;
  readonly nativeUrl: string;
  readonly adminUrl: string;
  readonly log: LogEntry[];
  /**
   * Resolves with the first log entry that `match` accepts, among those from index `from` of the
   * log on (default 0: already written or to come; pass log.length to wait for a new one).
   */
  waitForLog(match: (entry: LogEntry) => boolean, timeoutMs?: number, from?: number): Promise<LogEntry>;
  /** GET or POST an admin path; resolves with the status and the parsed JSON body. */
  admin(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  kill(): Promise<void>;
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Kill whatever a test left running (afterEach / afterAll). */
export function killAllNodes(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export interface NodeOptions {
  readonly dir: string;
  readonly nodeId: string;
  readonly redisUrl: string;
  readonly leaseMs?: number;
  /** Merged over the generated config's top level. */
  readonly extra?: Record<string, unknown>;
  /** Merged over the generated `cluster` section. */
  readonly cluster?: Record<string, unknown>;
}

function configOf(options: NodeOptions): Record<string, unknown> {
  return {
    log: { level: 'info' },
    admin: { enabled: true, host: '127.0.0.1', port: 0, credentialCache: { ttlMs: 0 } },
    cluster: {
      nodeId: options.nodeId,
      redis: { url: options.redisUrl, connectTimeoutMs: 5000 },
      leaseMs: options.leaseMs ?? 10_000,
      ...options.cluster,
    },
    listeners: [
      { name: 'mqtt', protocol: 'mqtt', host: '127.0.0.1', port: 0 },
      { name: 'native', protocol: 'native', host: '127.0.0.1', port: 0 },
    ],
    ...options.extra,
  };
}

export function spawnNode(options: NodeOptions): ChildProcess {
  const config = join(options.dir, `${options.nodeId}.yaml`);
  writeFileSync(config, JSON.stringify(configOf(options)));
  const child = spawn(process.execPath, [CLI, '--config', config], {
    cwd: options.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export async function startNode(options: NodeOptions): Promise<ClusterNode> {
  const child = spawnNode(options);
  const log: LogEntry[] = [];
  const waiters = new Set<{ match: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }>();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return;
    }
    log.push(entry);
    for (const waiter of [...waiters]) {
      if (!waiter.match(entry)) continue;
      waiters.delete(waiter);
      waiter.resolve(entry);
    }
  });
  const waitForLog = (match: (e: LogEntry) => boolean, timeoutMs = 15_000, from = 0): Promise<LogEntry> => {
    const seen = log.slice(from).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`node ${options.nodeId}: no log entry matched within ${timeoutMs} ms`));
      }, timeoutMs);
      waiter.resolve = (e) => {
        clearTimeout(timer);
        resolve(e);
      };
      waiters.add(waiter);
    });
  };
  const started = waitForLog((e) => e.msg === 'warden started', 20_000);
  await Promise.race([
    started,
    exited.then((code) => {
      throw new Error(`node ${options.nodeId} exited with ${code} before starting: ${stderr}`);
    }),
  ]);
  const urlOf = (listener: string): string => {
    const entry = log.find((e) => e.msg === 'listening' && e.listener === listener);
    return entry!.url as string;
  };
  const adminUrl = log.find((e) => e.msg === 'admin listener started')!.url as string;
  return {
    nodeId: options.nodeId,
    child,
    pid: child.pid!,
    mqttUrl: urlOf('mqtt'),
    nativeUrl: urlOf('native'),
    adminUrl,
    log,
    waitForLog,
    async admin(method, path, body) {
      const response = await fetch(`${adminUrl}${path}`, {
        method,
        headers: { authorization: ADMIN_AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: await response.json() };
    },
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

interface ClusterNodeStatus {
  readonly node: string;
  readonly alive: boolean;
  readonly patterns: number;
}

/**
 * Ask `node` for the cluster until `ready` holds of its answer: the membership and interest other
 * nodes announced reach it through Redis, asynchronously. Bounded by `timeoutMs`.
 */
export async function waitForCluster(
  node: ClusterNode,
  ready: (nodes: readonly ClusterNodeStatus[]) => boolean,
  timeoutMs = 15_000,
): Promise<readonly ClusterNodeStatus[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await node.admin('GET', '/admin/cluster');
    const nodes = (body as { nodes: ClusterNodeStatus[] }).nodes;
    if (ready(nodes)) return nodes;
    if (Date.now() > deadline) throw new Error(`cluster not ready on ${node.nodeId}: ${JSON.stringify(nodes)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Wait until `from` knows that `node` has at least `patterns` subscription patterns (routes in place). */
export function waitForInterest(
  from: ClusterNode,
  node: ClusterNode,
  patterns: number,
): Promise<readonly ClusterNodeStatus[]> {
  return waitForCluster(from, (nodes) => (nodes.find((n) => n.node === node.nodeId)?.patterns ?? 0) >= patterns);
}
