// Entitled fan-out: 1 publisher -> N subscribers (default 100) on one topic, three ways in one
// run, each on its own broker process (the real CLI) with the `policy` entitlement module:
//   (a) plain       no filters or select lists
//   (b) entitled    every subscriber has the same entitlement filter and select list
//   (c) mixed       10 distinct entitlements (filter + select list) across the subscribers
// Prints deliveries/s and the ratio to (a); writes JSON.
//
//   npm run bench:entitled -- [--subscribers 100] [--seconds 5] [--runs 3] [--encoding msgpack|json]
//                             [--window 2000] [--ttl-ms 0] [--out bench/results/entitled.json]
// --ttl-ms sets security.entitlementCache.ttlMs, so the cost of expiring answers shows.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Encoding } from '../protocol/native.js';
import { startBrokerProcess } from './broker-process.js';
import { median } from './native-load.js';
import { entitledPolicy, runEntitledFanout, type EntitlementScenario } from './scenarios/entitled-fanout.js';
import { formatTable } from './report.js';

const { values: opts } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    encoding: { type: 'string', default: 'msgpack' },
    window: { type: 'string', default: '2000' },
    'ttl-ms': { type: 'string', default: '0' },
    out: { type: 'string', default: 'bench/results/entitled.json' },
  },
});
const subscriberCount = Number(opts.subscribers);
const seconds = Number(opts.seconds);
const runs = Number(opts.runs);
const windowSize = Number(opts.window);
const ttlMs = Number(opts['ttl-ms']);
if (!Number.isInteger(ttlMs) || ttlMs < 0) throw new Error('--ttl-ms must be an integer >= 0');
const encoding = opts.encoding as Encoding;
if (encoding !== 'msgpack' && encoding !== 'json') throw new Error('--encoding must be msgpack or json');

type Scenario = EntitlementScenario;

interface Result {
  scenario: Scenario;
  published: number;
  deliveries: number;
  deliveriesPerSec: number;
}

async function runScenario(scenario: Scenario, pinned: boolean): Promise<Result> {
  const broker = await startBrokerProcess({
    cpu: pinned ? 0 : null,
    config: {
      security: {
        entitlement: { module: 'policy', options: { policy: entitledPolicy(scenario, subscriberCount) } },
        entitlementCache: { ttlMs },
      },
    },
  });
  try {
    return {
      scenario,
      ...(await runEntitledFanout(broker.url, {
        subscriberCount,
        encoding,
        seconds,
        window: windowSize,
        label: scenario,
      })),
    };
  } finally {
    await broker.stop();
  }
}

async function main(): Promise<void> {
  const pinned = spawnSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
  const scenarios: Scenario[] = ['plain', 'entitled', 'mixed'];
  const all: Record<Scenario, Result[]> = { plain: [], entitled: [], mixed: [] };
  // Interleave scenarios run by run, so drift in machine load affects them alike.
  for (let r = 0; r < runs; r++) {
    for (const scenario of scenarios) {
      const result = await runScenario(scenario, pinned);
      all[scenario].push(result);
      process.stderr.write(`run ${r + 1}/${runs} ${scenario}: ${Math.round(result.deliveriesPerSec)} deliveries/s\n`);
    }
  }
  const medians = Object.fromEntries(scenarios.map((s) => [s, median(all[s], (x) => x.deliveriesPerSec)])) as Record<
    Scenario,
    Result
  >;
  const base = medians.plain.deliveriesPerSec;
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const rows = scenarios.map((s) => {
    const xs = all[s].map((x) => x.deliveriesPerSec).sort((a, b) => a - b);
    return [
      s,
      fmt(medians[s].deliveriesPerSec),
      `${fmt(xs[0]!)} - ${fmt(xs.at(-1)!)}`,
      (medians[s].deliveriesPerSec / base).toFixed(2),
    ];
  });
  process.stdout.write(
    `\nWarden entitled fan-out: 1 publisher -> ${subscriberCount} subscribers, ${encoding}, median of ${runs} x ${seconds}s` +
      `${pinned ? ' (broker core 0, generator core 1)' : ''}\n` +
      `${formatTable(['scenario', 'deliveries/s', 'min - max', 'ratio to plain'], rows)}\n`,
  );
  mkdirSync(dirname(opts.out!), { recursive: true });
  writeFileSync(
    opts.out!,
    `${JSON.stringify({ benchmark: 'entitled', date: new Date().toISOString(), node: process.version, params: { subscribers: subscriberCount, seconds, runs, encoding, window: windowSize, ttlMs, pinned }, medians, runs: all }, null, 2)}\n`,
  );
  process.stdout.write(`JSON written to ${opts.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
