// Side-by-side MQTT benchmark: the same load generator (bench/mqtt-load) against Warden's MQTT TCP
// listener, Mosquitto and Aedes, one broker after another in one run. Each broker is its own
// process pinned to core 0 with taskset where available; this process (the generator) pins
// itself to core 1. Prints a table per scenario with Warden's ratio to each peer, writes JSON.
//
//   npm run bench:peers -- [--seconds 3] [--runs 3] [--peers warden,mosquitto,aedes]
//                          [--out bench/results/peers.json]
//
// Scenario 1 (fan-out): 1 publisher -> 100 subscribers on one topic, 128-byte payloads, QoS 0,
//   at most --window messages published and not yet delivered to every subscriber; deliveries/s,
//   latency p50/p99 from timestamps in every 16th payload.
// Scenario 5 (QoS 1): 1 publisher -> 1 subscriber, QoS 1 both ways, 100 publishes awaiting PUBACK;
//   messages/s received by the subscriber.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { aedes, mosquitto, warden, type PeerBroker, type PeerSpec } from './mqtt-load/brokers.js';
import { runFanout, runQos1, type LoadResult } from './mqtt-load/generator.js';
import { formatTable } from './report.js';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    subscribers: { type: 'string', default: '100' },
    payload: { type: 'string', default: '128' },
    window: { type: 'string', default: '250' },
    'in-flight': { type: 'string', default: '100' },
    peers: { type: 'string', default: 'warden,mosquitto,aedes' },
    out: { type: 'string', default: 'bench/results/peers.json' },
  },
});
const seconds = Number(opts.seconds);
const runs = Number(opts.runs);
const subscribers = Number(opts.subscribers);
const payloadBytes = Number(opts.payload);
const windowSize = Number(opts.window);
const inFlight = Number(opts['in-flight']);
if (!(seconds > 0 && seconds <= 60)) throw new Error('--seconds must be in (0, 60]');
if (!(runs >= 1 && runs <= 9)) throw new Error('--runs must be 1..9');

const ALL: Record<string, PeerSpec> = { warden, mosquitto, aedes };
const chosen = opts.peers!.split(',').map((name) => {
  const spec = ALL[name.trim().toLowerCase()];
  if (spec === undefined) throw new Error(`unknown peer ${name}; known: ${Object.keys(ALL).join(', ')}`);
  return spec;
});

type RunWithCpu = LoadResult;

interface ScenarioSummary {
  median: RunWithCpu;
  min: number;
  max: number;
  runs: RunWithCpu[];
}

interface BrokerReport {
  name: string;
  version: string;
  fanout: ScenarioSummary;
  qos1: ScenarioSummary;
}

const SCENARIOS = ['fanout', 'qos1'] as const;
type Scenario = (typeof SCENARIOS)[number];

function summarise(results: RunWithCpu[]): ScenarioSummary {
  const sorted = [...results].sort((a, b) => a.deliveriesPerSec - b.deliveriesPerSec);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!.deliveriesPerSec, max: sorted.at(-1)!.deliveriesPerSec, runs: results };
}

async function measure(broker: PeerBroker, scenario: Scenario, run: number): Promise<RunWithCpu> {
  const runId = `${scenario}-${run}-${process.pid}`;
  const result =
    scenario === 'fanout'
      ? await runFanout({ port: broker.port, subscribers, seconds, payloadBytes, window: windowSize, runId, brokerCpuMs: broker.cpuMs })
      : await runQos1({ port: broker.port, seconds, payloadBytes, inFlight, runId, brokerCpuMs: broker.cpuMs });
  if (result.missing > 0) process.stderr.write(`  warning: ${result.missing} deliveries missing after the drain\n`);
  // Let the broker settle (closed connections reaped) before the next run.
  await new Promise((r) => setTimeout(r, 300));
  return result;
}

function pinSelf(core: number): boolean {
  return spawnSync('taskset', ['-pc', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const pinned = pinSelf(1);
  const reports: BrokerReport[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const spec of chosen) {
    const reason = spec.missing();
    if (reason !== null) {
      process.stderr.write(`${spec.name}: skipped, ${reason}\n`);
      skipped.push({ name: spec.name, reason });
      continue;
    }
    const broker = await spec.start(pinned ? 0 : null);
    process.stderr.write(`${spec.name} ${broker.version} on 127.0.0.1:${broker.port} (pid ${broker.pid})\n`);
    try {
      const byScenario = {} as Record<Scenario, ScenarioSummary>;
      for (const scenario of SCENARIOS) {
        const results: RunWithCpu[] = [];
        for (let r = 0; r < runs; r++) {
          const result = await measure(broker, scenario, r);
          results.push(result);
          process.stderr.write(
            `  ${scenario} run ${r + 1}/${runs}: ${fmt(result.deliveriesPerSec)}/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ` +
              `broker CPU ${result.brokerCpuPct.toFixed(0)}%, generator CPU ${result.generatorCpuPct.toFixed(0)}%\n`,
          );
        }
        byScenario[scenario] = summarise(results);
      }
      reports.push({ name: spec.name, version: broker.version, ...byScenario });
    } finally {
      await broker.stop();
    }
  }

  const w = reports.find((r) => r.name === 'Warden');
  const ratio = (report: BrokerReport, scenario: Scenario): string =>
    w === undefined || report === w ? '' : `${(w[scenario].median.deliveriesPerSec / report[scenario].median.deliveriesPerSec).toFixed(2)}x`;
  const row = (r: BrokerReport, s: Scenario): string[] => [
    `${r.name} ${r.version}`,
    fmt(r[s].median.deliveriesPerSec),
    `${fmt(r[s].min)} - ${fmt(r[s].max)}`,
    `${r[s].median.p50Ms.toFixed(2)} / ${r[s].median.p99Ms.toFixed(2)}`,
    r[s].median.brokerCpuPct.toFixed(0),
    r[s].median.generatorCpuPct.toFixed(0),
    ratio(r, s),
  ];
  const header = (unit: string): string[] => ['broker', `${unit} (median)`, 'min - max', 'p50 / p99 ms', 'broker CPU %', 'gen CPU %', 'Warden ÷ peer'];
  const pinning = pinned ? 'broker on core 0, generator on core 1 (taskset)' : 'not pinned (no taskset)';
  process.stdout.write(
    `\nScenario 1, fan-out: 1 publisher -> ${subscribers} subscribers, one topic, ${payloadBytes}-byte payload, QoS 0 ` +
      `(median of ${runs} x ${seconds} s; ${pinning})\n${formatTable(header('deliveries/s'), reports.map((r) => row(r, 'fanout')))}\n`,
  );
  process.stdout.write(
    `\nScenario 5, QoS 1: 1 publisher -> 1 subscriber, ${inFlight} in flight, ${payloadBytes}-byte payload ` +
      `(median of ${runs} x ${seconds} s)\n${formatTable(header('msgs/s'), reports.map((r) => row(r, 'qos1')))}\n`,
  );
  for (const s of skipped) process.stdout.write(`${s.name} skipped: ${s.reason}\n`);

  mkdirSync(dirname(opts.out!), { recursive: true });
  const report = {
    benchmark: 'peers',
    date: new Date().toISOString(),
    node: process.version,
    params: { seconds, runs, subscribers, payloadBytes, window: windowSize, inFlight, pinned },
    brokers: reports,
    skipped,
  };
  writeFileSync(opts.out!, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`JSON written to ${resolve(opts.out!)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
