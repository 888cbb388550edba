// `warden --workers N`: N broker processes on one machine, sharing the listening ports through
// node:cluster (the primary accepts and hands connections round-robin to the workers), and forming
// a Warden cluster over the configured Redis, as separate machines would (docs/cluster.md). The
// primary serves no client: it starts the workers, starts a worker again when one dies, and passes
// SIGHUP (live reload: each worker reads the config file) and SIGINT/SIGTERM (shutdown) on to them.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { keepSecretPaths, type WardenConfig } from '../config/index.js';
import { EXIT } from './exit-codes.js';

/** The environment variable that tells a worker its index (its node id's suffix). */
export const WORKER_INDEX_ENV = 'WARDEN_WORKER_INDEX';

/** A worker that dies this often within RESTART_WINDOW_MS is not started again: the primary exits. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** Wait before starting a dead worker again, so a crash loop does not spin. */
const RESTART_DELAY_MS = 1000;

/** Why `config` cannot run as `workers` processes, or null. */
export function workersRefusal(config: WardenConfig, workers: number): string | null {
  if (workers <= 1) return null;
  if (config.cluster === undefined)
    return `--workers ${workers} needs a cluster.redis section in the config: the workers form a cluster over Redis (docs/cluster.md)`;
  const uws = config.listeners.find((l) => l.protocol !== 'http' && l.transport === 'uws');
  if (uws !== undefined)
    return `--workers ${workers}: listener "${uws.name}" uses transport uws, whose sockets node:cluster cannot share; use ws, or run one process per port`;
  return null;
}

/** The config a worker runs: its own node id, `{nodeId}-w{index}` (stable, so a restarted worker takes its sessions back). */
export function workerConfig(config: WardenConfig, index: number, host: string): WardenConfig {
  if (config.cluster === undefined) return config;
  const base = config.cluster.nodeId ?? host.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 56);
  // What was substituted stays masked where a live reload shows values (docs/admin.md#live-reload).
  return keepSecretPaths(config, { ...config, cluster: { ...config.cluster, nodeId: `${base}-w${index}` } });
}

/** The worker index this process was started with, or null in the primary (or a plain `warden`). */
export function workerIndex(env: NodeJS.ProcessEnv): number | null {
  if (!cluster.isWorker) return null;
  const index = Number(env[WORKER_INDEX_ENV]);
  return Number.isInteger(index) ? index : null;
}

/** Run the primary: start `workers` workers and keep them running until SIGINT or SIGTERM. */
export async function runPrimary(workers: number, log: Logger): Promise<number> {
  const byIndex = new Map<number, Worker>();
  const restarts: number[] = [];
  let stopping = false;
  let failed = false;
  const exited = new Set<Promise<void>>();

  const start = (index: number): void => {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    byIndex.set(index, worker);
    const gone = new Promise<void>((resolve) =>
      worker.once('exit', (code, signal) => {
        exited.delete(gone);
        resolve();
        if (byIndex.get(index) === worker) byIndex.delete(index);
        if (stopping) return;
        const now = Date.now();
        restarts.push(now);
        while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
        if (restarts.length > MAX_RESTARTS) {
          log.fatal({ worker: index, code, signal }, 'workers keep dying: giving up');
          failed = true;
          stop('SIGTERM');
          return;
        }
        log.error({ worker: index, workerPid: worker.process.pid, code, signal }, 'worker died; starting it again');
        setTimeout(() => {
          if (!stopping) start(index);
        }, RESTART_DELAY_MS).unref();
      }),
    );
    exited.add(gone);
  };

  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workers: byIndex.size }, 'stopping the workers');
    for (const worker of byIndex.values()) worker.process.kill('SIGTERM');
    void Promise.all([...exited]).then(done);
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    for (const worker of byIndex.values()) worker.process.kill('SIGHUP');
  });

  for (let i = 1; i <= workers; i++) start(i);
  log.info({ workers }, 'workers started');
  await finished;
  log.info('workers stopped');
  return failed ? EXIT.FAILURE : EXIT.OK;
}
