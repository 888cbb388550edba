// Warden processes for bench:cluster, each the real CLI (`node dist/server/cli.js --config FILE`)
// with a temp config on 127.0.0.1: a native WebSocket and an MQTT TCP listener and the admin
// listener, on port 0, and a `cluster` section naming the run's redis-server, or none (a single
// node, the reference). The node logs at info: its listeners' URLs are read from the log lines
// 'admin listener started' and 'listening', and start-up is over at 'warden started'. Stopped by PID.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { brokerNodeArgs } from '../broker-process.js';
import { clusterView, type ClusterMember } from './admin-client.js';
import { stopChild, track, waitForLine } from './children.js';

const CLI = join(import.meta.dirname, '../../server/cli.js');
const START_TIMEOUT_MS = 20_000;
const MiB = 1024 * 1024;

/** Config sections every bench:cluster broker has, clustered or not. */
export function commonConfig(logLevel: 'info' | 'warn'): Record<string, unknown> {
  return {
    log: { level: logLevel },
    // Every bench client comes from 127.0.0.1: the per-host defaults meant for real networks would measure those limits, not the broker.
    admission: { connectionRate: { perSecond: 0 }, maxUnauthenticatedPerHost: 65_535, maxUnauthenticated: 65_535 },
  };
}

export interface ClusterMembership {
  readonly nodeId: string;
  readonly redisUrl: string;
}

export interface NodeSpec {
  /** Row label, e.g. `A`. */
  readonly name: string;
  /** Where its config (and, not clustered, its LMDB store) goes. */
  readonly dir: string;
  /** Its cluster membership, or null for a single node with the same config minus `cluster`. */
  readonly cluster: ClusterMembership | null;
}

export interface WardenNode {
  readonly name: string;
  readonly nodeId: string | null;
  readonly pid: number;
  readonly nativeUrl: string;
  readonly mqttUrl: string;
  readonly adminUrl: string;
  /** Kept-alive connections to its admin listener, for timed calls. */
  readonly adminAgent: Agent;
  stop(): Promise<void>;
}

/** The config of one node: listeners on port 0, admin on, `cluster` when it is a member. */
export function nodeConfig(spec: NodeSpec): Record<string, unknown> {
  return {
    ...commonConfig('info'),
    admin: { enabled: true, host: '127.0.0.1', port: 0 },
    // A cluster keeps sessions and retained messages in Redis (persistence.store defaults to redis there).
    ...(spec.cluster === null
      ? { persistence: { path: join(spec.dir, `${spec.name}-data`) } }
      : { cluster: { nodeId: spec.cluster.nodeId, redis: { url: spec.cluster.redisUrl } } }),
    listeners: [
      {
        name: 'native',
        protocol: 'native',
        host: '127.0.0.1',
        port: 0,
        options: { maxSendQueueBytes: 64 * MiB },
      },
      {
        name: 'mqtt',
        protocol: 'mqtt',
        transport: 'tcp',
        host: '127.0.0.1',
        port: 0,
        options: { maxSendQueueBytes: 64 * MiB },
      },
    ],
  };
}

interface LogLine {
  msg?: string;
  url?: string;
  listener?: string;
}

export async function startNode(spec: NodeSpec): Promise<WardenNode> {
  const file = join(spec.dir, `node-${spec.name}.json`);
  writeFileSync(file, JSON.stringify(nodeConfig(spec)));
  const child = track(
    spawn(process.execPath, [...brokerNodeArgs(), CLI, '--config', file], {
      cwd: spec.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const urls = new Map<string, string>();
  let joined = false;
  try {
    await waitForLine(child, `Warden node ${spec.name}`, START_TIMEOUT_MS, (line) => {
      let entry: LogLine;
      try {
        entry = JSON.parse(line) as LogLine;
      } catch {
        return undefined;
      }
      if (entry.msg === 'admin listener started' && entry.url !== undefined) urls.set('admin', entry.url);
      if (entry.msg === 'listening' && entry.url !== undefined) urls.set(entry.listener ?? '?', entry.url);
      if (entry.msg === 'cluster: joined') joined = true;
      return entry.msg === 'warden started' ? true : undefined;
    });
    for (const name of ['admin', 'native', 'mqtt'])
      if (!urls.has(name)) throw new Error(`node ${spec.name} did not log its ${name} listener's URL`);
    if (spec.cluster !== null && !joined) throw new Error(`node ${spec.name} started without joining the cluster`);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  const adminAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    name: spec.name,
    nodeId: spec.cluster?.nodeId ?? null,
    pid: child.pid!,
    nativeUrl: urls.get('native')!,
    mqttUrl: urls.get('mqtt')!,
    adminUrl: urls.get('admin')!,
    adminAgent,
    stop: async () => {
      adminAgent.destroy();
      await stopChild(child);
    },
  };
}

/** Start the nodes side by side; if one fails, the others are stopped and the error thrown. */
export async function startNodes(specs: readonly NodeSpec[]): Promise<WardenNode[]> {
  const settled = await Promise.allSettled(specs.map(startNode));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed === undefined) return settled.map((s) => (s as PromiseFulfilledResult<WardenNode>).value);
  await stopNodes(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
  throw failed.reason;
}

export async function stopNodes(nodes: readonly WardenNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
}

/**
 * Ask `node` for the cluster until each of `others` is alive there with at least `patterns`
 * subscription patterns: membership and interest reach a node through Redis, asynchronously,
 * and a publish before the routes are in place would not cross. Bounded by `timeoutMs`.
 */
export async function waitForRoutes(
  node: WardenNode,
  others: readonly string[],
  patterns: number,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let seen: ClusterMember[] = [];
  for (;;) {
    seen = (await clusterView(node.adminUrl, node.adminAgent)).nodes;
    const ready = others.every((id) => seen.some((m) => m.node === id && m.alive && m.patterns >= patterns));
    if (ready) return;
    if (performance.now() > deadline)
      throw new Error(`node ${node.name}: routes to ${others.join(', ')} not in place: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
