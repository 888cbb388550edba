// bench:cluster's markdown tables, one per scenario, from the runs' results (medians over runs),
// each followed by its check against the target where the scenario has one.
import { formatTable, percentile } from '../report.js';
import type { ProcessCpu } from './cpu.js';
import type { FanoutRun } from './fanout.js';
import type { LatencyRun, LatencySetup } from './latency.js';
import type { ResetSample } from './reset.js';
import type { ConnectRun, ConnectSetup } from './connect-rate.js';
import type { ClusterBenchOptions } from './options.js';

export const FANOUT_TARGET = 0.5;
export const RESET_TARGET_MS = 100;

const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');
const pct = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '-');

export function median(xs: readonly number[]): number {
  const finite = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return finite.length === 0 ? Number.NaN : finite[Math.floor(finite.length / 2)]!;
}

/** The run in the middle by `key` (its other figures are shown with it). */
export function medianRun<T>(runs: readonly T[], key: (run: T) => number): T {
  return [...runs].sort((a, b) => key(a) - key(b))[Math.floor(runs.length / 2)]!;
}

function cpuCells(cpu: readonly ProcessCpu[]): { warden: string; redis: string } {
  const warden = cpu.filter((c) => c.name !== 'redis-server');
  const redis = cpu.find((c) => c.name === 'redis-server');
  return {
    warden: warden.map((c) => (warden.length === 1 ? pct(c.cpuPct) : `${c.name} ${pct(c.cpuPct)}`)).join(', '),
    redis: redis === undefined ? '-' : pct(redis.cpuPct),
  };
}

const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');

/**
 * CPU time of every metered process (Warden and redis-server) per unit of work, in µs: unlike a
 * rate, it hardly moves with the share of the cores other work on the machine leaves the run.
 */
function cpuMicrosPer(cpu: readonly ProcessCpu[], seconds: number, count: number): number {
  const cores = cpu.reduce((sum, c) => sum + c.cpuPct / 100, 0);
  return (cores * seconds * 1e6) / count;
}

export function fanoutTable(
  o: ClusterBenchOptions,
  cluster: readonly FanoutRun[],
  single: readonly FanoutRun[],
): string {
  const rate = (r: FanoutRun): number => r.result.deliveriesPerSec;
  const singleMedian = median(single.map(rate));
  const perDelivery = (r: FanoutRun): number => cpuMicrosPer(r.cpu, r.result.seconds, r.result.deliveries);
  const row = (label: string, runs: readonly FanoutRun[]): string[] => {
    const m = medianRun(runs, rate);
    const rates = runs.map(rate);
    const cpu = cpuCells(m.cpu);
    return [
      label,
      fmt(median(rates)),
      `${fmt(Math.min(...rates))} - ${fmt(Math.max(...rates))}`,
      fmt(m.result.published / m.result.seconds),
      `${(median(rates) / singleMedian).toFixed(2)}x`,
      `${ms(m.result.p50Ms)} / ${ms(m.result.p99Ms)}`,
      cpu.warden,
      cpu.redis,
      pct(m.result.generatorCpuPct),
      median(runs.map(perDelivery)).toFixed(3),
    ];
  };
  const split = [0, 1, 2].map((k) => Math.floor((o.subscribers + 2 - k) / 3)).join('/');
  const ratio = median(cluster.map(rate)) / singleMedian;
  return (
    `\nS1, fan-out: 1 native publisher -> ${o.subscribers} subscribers on one topic, ${o.payloadBytes}-byte payload, ` +
    `window ${o.window}, ${o.seconds} s per run, median of ${o.runs} runs (CPU: the median run's)\n\n` +
    formatTable(
      [
        'setup',
        'deliveries/s',
        'min - max',
        'msgs/s published',
        '÷ single',
        'p50 / p99 ms (saturated)',
        'Warden CPU %',
        'redis-server CPU %',
        'generator CPU %',
        'CPU µs / delivery',
      ],
      [row(`3 nodes: publisher on A, subscribers ${split} on A/B/C`, cluster), row('1 process, no cluster', single)],
    ) +
    `\n\nTarget: cluster ÷ single ≥ ${FANOUT_TARGET}x: ${ratio.toFixed(2)}x, ${verdict(ratio >= FANOUT_TARGET)}. ` +
    'CPU per delivery (every Warden process and redis-server), cluster ÷ single: ' +
    `${(median(cluster.map(perDelivery)) / median(single.map(perDelivery))).toFixed(2)}x\n`
  );
}

const LATENCY_LABELS: Record<LatencySetup, string> = {
  'cross-node': 'publisher on A, subscriber on B',
  'same-node': 'both on A (same cluster)',
  single: 'both on 1 process, no cluster',
};

export function latencyTable(o: ClusterBenchOptions, runs: ReadonlyMap<LatencySetup, readonly LatencyRun[]>): string {
  const rows = [...runs].map(([setup, rs]) => {
    const m = medianRun(rs, (r) => r.p99Ms);
    const cpu = cpuCells(m.cpu);
    return [
      LATENCY_LABELS[setup],
      fmt(median(rs.map((r) => r.received))),
      ms(median(rs.map((r) => r.p50Ms))),
      ms(median(rs.map((r) => r.p99Ms))),
      ms(median(rs.map((r) => r.p999Ms))),
      ms(median(rs.map((r) => r.maxMs))),
      rs.map((r) => ms(r.p99Ms)).join(', '),
      cpu.warden,
      cpu.redis,
    ];
  });
  return (
    `\nS2, latency at ${fmt(o.rate)} msgs/s (every message stamped), ${o.payloadBytes}-byte payload, ` +
    `${o.latencySeconds} s per run; medians of ${o.runs} runs (p99.9 with at least 10,000 samples)\n\n` +
    formatTable(
      [
        'setup',
        'messages received',
        'p50 ms',
        'p99 ms',
        'p99.9 ms',
        'max ms',
        'p99 per run',
        'Warden CPU %',
        'redis-server CPU %',
      ],
      rows,
    ) +
    '\n'
  );
}

export function resetTable(o: ClusterBenchOptions, runs: readonly (readonly ResetSample[])[]): string {
  const all = runs.flat();
  const stat = (label: string, key: (s: ResetSample) => number): string[] => {
    const sorted = all.map(key).sort((a, b) => a - b);
    return [
      label,
      ms(percentile(sorted, 0.5)),
      ms(percentile(sorted, 0.99)),
      ms(sorted.at(-1) ?? Number.NaN),
      runs.map((r) => ms(median(r.map(key)))).join(', '),
    ];
  };
  const fullyApplied = all.filter((s) => s.applied === 3 && s.of === 3).length;
  const expected = 3 * o.resetClients;
  const allDisconnected = all.filter((s) => s.disconnected === expected).length;
  const unexpected = all.reduce((sum, s) => sum + s.unexpectedCloses, 0);
  const p99 = percentile(
    all.map((s) => s.answerMs).sort((a, b) => a - b),
    0.99,
  );
  return (
    `\nS3, entitlement reset across 3 nodes, ${o.resetClients} native clients on each: POST /admin/entitlements/reset ` +
    `on A, ${o.resets} timed resets per run x ${o.runs} runs (${all.length} in all)\n\n` +
    formatTable(
      ['from sending the POST', 'p50 ms', 'p99 ms', 'max ms', 'p50 per run'],
      [
        stat('to the answer (every node applied)', (s) => s.answerMs),
        stat('to the last client on C closed', (s) => s.lastOnCMs),
        stat('to the last client anywhere closed', (s) => s.lastAnyMs),
      ],
    ) +
    `\n\nAnswers with nodes.applied 3 of 3: ${fullyApplied} of ${all.length}; disconnected ${expected}: ` +
    `${allDisconnected} of ${all.length}; clients not closed with code 4004: ${unexpected}\n` +
    `Target: answer under ${RESET_TARGET_MS} ms: p99 ${ms(p99)} ms, ${verdict(p99 < RESET_TARGET_MS)}\n`
  );
}

const CONNECT_LABELS: Record<ConnectSetup, string> = {
  plain: '1 process, no cluster',
  'workers-1': 'warden --workers 1 (cluster.redis)',
  'workers-2': 'warden --workers 2 (cluster.redis)',
};

export function connectTable(o: ClusterBenchOptions, runs: ReadonlyMap<ConnectSetup, readonly ConnectRun[]>): string {
  const rate = (r: ConnectRun): number => r.result.connectionsPerSec;
  const plain = runs.get('plain');
  const plainMedian = plain === undefined ? Number.NaN : median(plain.map(rate));
  const perConnection = (r: ConnectRun): number => cpuMicrosPer(r.cpu, r.result.seconds, r.result.connected);
  const rows = [...runs].map(([setup, rs]) => {
    const m = medianRun(rs, rate);
    const rates = rs.map(rate);
    const cpu = cpuCells(m.cpu);
    return [
      CONNECT_LABELS[setup],
      fmt(median(rates)),
      `${fmt(Math.min(...rates))} - ${fmt(Math.max(...rates))}`,
      Number.isFinite(plainMedian) ? `${(median(rates) / plainMedian).toFixed(2)}x` : '-',
      fmt(rs.reduce((sum, r) => sum + r.result.failed, 0)),
      cpu.warden,
      cpu.redis,
      pct(m.result.generatorCpuPct),
      fmt(median(rs.map(perConnection))),
    ];
  });
  return (
    `\nS4, MQTT connect / CONNACK / DISCONNECT cycles, ${o.concurrency} at a time, ${o.connectSeconds} s per run ` +
    `after a 1 s warm-up, median of ${o.runs} runs (CPU: the median run's)\n\n` +
    formatTable(
      [
        'setup',
        'connections/s',
        'min - max',
        '÷ no cluster',
        'failed cycles (all runs)',
        'Warden CPU %',
        'redis-server CPU %',
        'generator CPU %',
        'CPU µs / connection',
      ],
      rows,
    ) +
    '\n'
  );
}
