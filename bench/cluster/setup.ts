// A run's brokers, started fresh and always stopped (try/finally): a redis-server and a cluster of
// Warden nodes named A, B, C... (node ids `node-A`...), or one Warden process without `cluster`
// (same config otherwise), each in its own temp dir, removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type BenchRedis } from './redis-server.js';
import { startNode, startNodes, stopNodes, type WardenNode } from './nodes.js';
import type { MeteredProcess } from './cpu.js';

export interface RunningCluster {
  readonly redis: BenchRedis;
  /** In the order of the names given. */
  readonly nodes: readonly WardenNode[];
  /** Every node, then redis-server, for CPU readings. */
  readonly processes: readonly MeteredProcess[];
}

export const nodeIdOf = (name: string): string => `node-${name}`;

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-cluster-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function withCluster<T>(names: readonly string[], fn: (cluster: RunningCluster) => Promise<T>): Promise<T> {
  return withTempDir(async (dir) => {
    const redis = await startRedis();
    try {
      const nodes = await startNodes(
        names.map((name) => ({ name, dir, cluster: { nodeId: nodeIdOf(name), redisUrl: redis.url } })),
      );
      try {
        const processes = [
          ...nodes.map((n) => ({ name: `node ${n.name}`, pid: n.pid })),
          { name: 'redis-server', pid: redis.pid },
        ];
        return await fn({ redis, nodes, processes });
      } finally {
        await stopNodes(nodes);
      }
    } finally {
      await redis.stop();
    }
  });
}

export function withSingleNode<T>(fn: (node: WardenNode) => Promise<T>): Promise<T> {
  return withTempDir(async (dir) => {
    const node = await startNode({ name: 'single', dir, cluster: null });
    try {
      return await fn(node);
    } finally {
      await node.stop();
    }
  });
}
