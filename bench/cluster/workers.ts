// A Warden started as `warden --config FILE --workers N` for the connection-rate scenario: one MQTT
// TCP listener and the admin listener, on ports chosen free up front (node:cluster's workers share
// them through the primary), logging at `warn` as in bench:peers (at `info` every logon is a log
// line, which the rate would measure too). Without the listeners' log lines, it is ready when its
// admin listener (opened after the client listeners) has answered from every expected node, each
// seeing all of them alive: the node ids are `{nodeId}-w{i}` for N > 1, and a plain process
// (--workers 1) keeps its own. The PIDs of the workers come from the members' status.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerNodeArgs } from '../broker-process.js';
import { freePort } from '../mqtt-load/brokers.js';
import { clusterView } from './admin-client.js';
import { stopChild, track } from './children.js';
import type { MeteredProcess } from './cpu.js';
import { commonConfig } from './nodes.js';

const CLI = join(import.meta.dirname, '../../server/cli.js');
const START_TIMEOUT_MS = 20_000;
const NODE_ID = 'box';

export interface WorkersSpec {
  readonly dir: string;
  /** `--workers N`. */
  readonly workers: number;
  /** The run's redis-server, or null for a plain process without `cluster` (only with 1 worker). */
  readonly redisUrl: string | null;
}

export interface WardenWorkers {
  readonly mqttPort: number;
  /** The process started (the primary for N > 1), then each worker, for CPU readings. */
  readonly processes: readonly MeteredProcess[];
  stop(): Promise<void>;
}

export function expectedNodeIds(workers: number): string[] {
  return workers === 1 ? [NODE_ID] : Array.from({ length: workers }, (_, i) => `${NODE_ID}-w${i + 1}`);
}

export async function startWorkers(spec: WorkersSpec): Promise<WardenWorkers> {
  if (spec.redisUrl === null && spec.workers !== 1) throw new Error('--workers N > 1 needs a cluster');
  const [mqttPort, adminPort] = [await freePort(), await freePort()];
  const file = join(spec.dir, `workers-${spec.workers}-${spec.redisUrl === null ? 'plain' : 'cluster'}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      ...commonConfig('warn'),
      admin: { enabled: true, host: '127.0.0.1', port: adminPort },
      ...(spec.redisUrl === null
        ? { persistence: { path: join(spec.dir, 'plain-data') } }
        : { cluster: { nodeId: NODE_ID, redis: { url: spec.redisUrl } } }),
      listeners: [
        {
          name: 'mqtt',
          protocol: 'mqtt',
          transport: 'tcp',
          host: '127.0.0.1',
          port: mqttPort,
          options: { maxSendQueueBytes: 64 * 1024 * 1024 },
        },
      ],
    }),
  );
  const child = track(
    spawn(process.execPath, [...brokerNodeArgs(), CLI, '--config', file, '--workers', String(spec.workers)], {
      cwd: spec.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  try {
    const pids = await waitUntilServing(adminUrl, spec, () => {
      if (child.exitCode !== null) throw new Error(`warden --workers ${spec.workers} exited: ${stderr.trim()}`);
    });
    const processes: MeteredProcess[] =
      spec.workers === 1
        ? [{ name: 'warden', pid: child.pid! }]
        : [
            { name: 'primary', pid: child.pid! },
            ...expectedNodeIds(spec.workers).map((id, i) => ({ name: `worker ${i + 1}`, pid: pids.get(id)! })),
          ];
    return { mqttPort, processes, stop: () => stopChild(child) };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** Poll the admin port (a new connection each time, so node:cluster spreads them) until every node answered. */
async function waitUntilServing(
  adminUrl: string,
  spec: WorkersSpec,
  checkAlive: () => void,
): Promise<Map<string, number>> {
  const expected = spec.redisUrl === null ? [] : expectedNodeIds(spec.workers);
  const answered = new Set<string>();
  const pids = new Map<string, number>();
  const deadline = performance.now() + START_TIMEOUT_MS;
  for (;;) {
    checkAlive();
    try {
      const view = await clusterView(adminUrl, false);
      if (view.node !== null) answered.add(view.node);
      for (const m of view.nodes) if (m.alive && m.status !== null) pids.set(m.node, m.status.pid);
      const allAlive = expected.every((id) => view.nodes.some((m) => m.node === id && m.alive));
      if (expected.every((id) => answered.has(id) && pids.has(id)) && allAlive) return pids;
    } catch {
      // Not listening yet.
    }
    if (performance.now() > deadline)
      throw new Error(`warden --workers ${spec.workers}: not serving within ${START_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
