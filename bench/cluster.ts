// bench:cluster: what a Warden cluster (docs/cluster.md) costs against one process. Four scenarios
// (bench/cluster/*.ts): S1 fan-out across 3 nodes, S2 cross-node latency at a paced rate, S3 an
// entitlement reset across 3 nodes, S4 the MQTT connection rate with --workers 1 and 2. Every run
// starts its own redis-server and Warden processes on 127.0.0.1 and stops them by PID, also on an
// error. Nothing is pinned to a core: the nodes, redis-server and this generator share the
// machine, which the CPU columns show. Prints markdown tables, writes JSON.
// `npm run bench:cluster -- --help` lists the options.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { runConnectRate, CONNECT_SETUPS, type ConnectRun, type ConnectSetup } from './cluster/connect-rate.js';
import { runClusterFanout, runSingleFanout, type FanoutRun } from './cluster/fanout.js';
import { runClusterLatency, runSingleLatency, type LatencyRun, type LatencySetup } from './cluster/latency.js';
import { CLUSTER_COMMAND, clusterOptions, type ClusterBenchOptions } from './cluster/options.js';
import { commandLine } from './cli-options.js';
import { redisMissing } from './cluster/redis-server.js';
import { runResets, type ResetSample } from './cluster/reset.js';
import { connectTable, fanoutTable, latencyTable, resetTable } from './cluster/tables.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (line: string): boolean => process.stderr.write(`${line}\n`);
const loads = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

/** Each run does the cluster then the reference, so drift in the machine's load touches both alike. */
async function fanout(o: ClusterBenchOptions): Promise<{ cluster: FanoutRun[]; single: FanoutRun[] }> {
  const params = { subscribers: o.subscribers, seconds: o.seconds, payloadBytes: o.payloadBytes, window: o.window };
  const cluster: FanoutRun[] = [];
  const single: FanoutRun[] = [];
  for (let r = 1; r <= o.runs; r++) {
    const c = await runClusterFanout(params);
    cluster.push(c);
    await settle(300);
    const s = await runSingleFanout(params);
    single.push(s);
    log(
      `S1 run ${r}/${o.runs}: cluster ${fmt(c.result.deliveriesPerSec)}, single ${fmt(s.result.deliveriesPerSec)} deliveries/s`,
    );
    await settle(300);
  }
  return { cluster, single };
}

async function latency(o: ClusterBenchOptions): Promise<Map<LatencySetup, LatencyRun[]>> {
  const params = { rate: o.rate, seconds: o.latencySeconds, payloadBytes: o.payloadBytes };
  const runs = new Map<LatencySetup, LatencyRun[]>([
    ['cross-node', []],
    ['same-node', []],
    ['single', []],
  ]);
  for (let r = 1; r <= o.runs; r++) {
    const inCluster = await runClusterLatency(params);
    await settle(300);
    const single = await runSingleLatency(params);
    for (const run of [...inCluster, single]) runs.get(run.setup)!.push(run);
    log(
      `S2 run ${r}/${o.runs}: p50 / p99 ms ` +
        [...inCluster, single].map((x) => `${x.setup} ${x.p50Ms.toFixed(2)} / ${x.p99Ms.toFixed(2)}`).join(', '),
    );
    await settle(300);
  }
  return runs;
}

async function reset(o: ClusterBenchOptions): Promise<ResetSample[][]> {
  const runs: ResetSample[][] = [];
  for (let r = 1; r <= o.runs; r++) {
    const samples = await runResets({ resets: o.resets, clientsPerNode: o.resetClients });
    runs.push(samples);
    const answers = samples.map((s) => s.answerMs).sort((a, b) => a - b);
    log(
      `S3 run ${r}/${o.runs}: answer p50 ${answers[Math.floor(answers.length / 2)]!.toFixed(2)} ms, ` +
        `max ${answers.at(-1)!.toFixed(2)} ms`,
    );
    await settle(300);
  }
  return runs;
}

async function connect(o: ClusterBenchOptions): Promise<Map<ConnectSetup, ConnectRun[]>> {
  const runs = new Map<ConnectSetup, ConnectRun[]>(CONNECT_SETUPS.map((s) => [s, []]));
  for (let r = 1; r <= o.runs; r++) {
    const line: string[] = [];
    for (const setup of CONNECT_SETUPS) {
      const run = await runConnectRate(
        setup,
        { concurrency: o.concurrency, seconds: o.connectSeconds },
        `cr-${process.pid}-${r}-${setup}`,
      );
      runs.get(setup)!.push(run);
      line.push(`${setup} ${fmt(run.result.connectionsPerSec)}`);
      await settle(500); // the closed connections' sockets reaped before the next setup
    }
    log(`S4 run ${r}/${o.runs}: connections/s ${line.join(', ')}`);
  }
  return runs;
}

async function main(): Promise<void> {
  const o = clusterOptions(commandLine(CLUSTER_COMMAND));
  const missing = redisMissing();
  if (missing !== null) throw new Error(missing);
  const cores = cpus().length;
  const machine =
    `${cores} cores, not pinned: the Warden processes, redis-server and this generator share them ` +
    `(S1's cluster runs 5 busy processes on ${cores} cores)`;
  const loadBefore = loadavg();
  log(`bench:cluster, ${machine}; load average ${loads()}`);
  const started = performance.now();

  const fanoutRuns = o.scenarios.includes('fanout') ? await fanout(o) : null;
  if (fanoutRuns !== null) process.stdout.write(fanoutTable(o, fanoutRuns.cluster, fanoutRuns.single));
  const latencyRuns = o.scenarios.includes('latency') ? await latency(o) : null;
  if (latencyRuns !== null) process.stdout.write(latencyTable(o, latencyRuns));
  const resetRuns = o.scenarios.includes('reset') ? await reset(o) : null;
  if (resetRuns !== null) process.stdout.write(resetTable(o, resetRuns));
  const connectRuns = o.scenarios.includes('connect') ? await connect(o) : null;
  if (connectRuns !== null) process.stdout.write(connectTable(o, connectRuns));

  const loadAfter = loadavg();
  process.stdout.write(
    `\nMachine: ${machine}. Load average (1, 5, 15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(', ')}; ` +
      `after: ${loads()}. Took ${Math.round((performance.now() - started) / 1000)} s.\n`,
  );
  mkdirSync(dirname(o.out), { recursive: true });
  const report = {
    benchmark: 'cluster',
    date: new Date().toISOString(),
    node: process.version,
    cores,
    pinned: false,
    params: o,
    loadAverage: { before: loadBefore, after: loadAfter },
    fanout: fanoutRuns,
    latency: latencyRuns === null ? null : Object.fromEntries(latencyRuns),
    reset: resetRuns,
    connect: connectRuns === null ? null : Object.fromEntries(connectRuns),
  };
  // NaN (a percentile with too few samples) is written as null.
  writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`JSON written to ${resolve(o.out)}\n`);
}

// Stop on Ctrl-C / SIGTERM through process.exit, so the exit handler kills the processes started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
