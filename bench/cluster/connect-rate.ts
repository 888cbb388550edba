// S4, connection rate: MQTT connect / disconnect cycles at a fixed concurrency (connect-cycles.ts)
// against one Warden process without `cluster` (the reference), `warden --workers 1` with
// cluster.redis (one process, a cluster of one: each CONNECT claims its client id and reserves its
// place in the connection limits in Redis) and `warden --workers 2` (two worker processes sharing
// the port through node:cluster's primary, a cluster of two). Each run: a fresh redis-server and
// Warden, a 1 s untimed warm-up (a cold JIT is not what this measures), then the timed cycles.
import { runConnectCycles, type CycleResult } from './connect-cycles.js';
import { CpuMeter, type ProcessCpu } from './cpu.js';
import { startRedis, type BenchRedis } from './redis-server.js';
import { withTempDir } from './setup.js';
import { startWorkers } from './workers.js';

export const CONNECT_SETUPS = ['plain', 'workers-1', 'workers-2'] as const;
export type ConnectSetup = (typeof CONNECT_SETUPS)[number];

const WARMUP_SECONDS = 1;

export interface ConnectParams {
  concurrency: number;
  seconds: number;
}

export interface ConnectRun {
  readonly setup: ConnectSetup;
  readonly result: CycleResult;
  /** The Warden processes (the primary, then each worker, for --workers 2), then redis-server. */
  readonly cpu: readonly ProcessCpu[];
}

export function runConnectRate(setup: ConnectSetup, p: ConnectParams, runId: string): Promise<ConnectRun> {
  return withTempDir(async (dir) => {
    const redis: BenchRedis | null = setup === 'plain' ? null : await startRedis();
    try {
      const warden = await startWorkers({
        dir,
        workers: setup === 'workers-2' ? 2 : 1,
        redisUrl: redis?.url ?? null,
      });
      try {
        await runConnectCycles({
          port: warden.mqttPort,
          concurrency: p.concurrency,
          seconds: WARMUP_SECONDS,
          runId: `${runId}-warmup`,
        });
        const meter = new CpuMeter([
          ...warden.processes,
          ...(redis === null ? [] : [{ name: 'redis-server', pid: redis.pid }]),
        ]);
        meter.read();
        const result = await runConnectCycles({
          port: warden.mqttPort,
          concurrency: p.concurrency,
          seconds: p.seconds,
          runId,
        });
        meter.read();
        if (result.failed > 0)
          process.stderr.write(`  warning: connect, ${setup}: ${result.failed} cycles failed (refused or timed out)\n`);
        return { setup, result, cpu: meter.percents(result.seconds) };
      } finally {
        await warden.stop();
      }
    } finally {
      await redis?.stop();
    }
  });
}
