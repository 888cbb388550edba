// Entitled fan-out: 1 publisher -> N subscribers (default 100) on one topic, three ways in one
// run, each on its own broker process (the real CLI) with the `policy` entitlement module:
//   (a) plain       no filters or select lists
//   (b) entitled    every subscriber has the same entitlement filter and select list
//   (c) mixed       10 distinct entitlements (filter + select list) across the subscribers
//   (d) tenants     no filters, N subscribers spread over 10 topics, one publisher per topic
//   (e) vhosts      the same spread over 10 vhosts (the vhost-policy module, docs/vhosts.md),
//                   every publisher on the same topic name: (e) / (d) is what vhosts cost
// Prints deliveries/s and the ratio to (a); writes JSON. `npm run bench:entitled -- --help` lists
// the options; --ttl-ms sets security.entitlementCache.ttlMs, so the cost of expiring answers shows.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Encoding } from '../protocol/native.js';
import { startBrokerProcess } from './broker-process.js';
import { median } from './native-load.js';
import {
  benchVhostPolicies,
  entitledPolicy,
  runEntitledFanout,
  runTenantsFanout,
  type EntitlementScenario,
} from './scenarios/entitled-fanout.js';
import { formatTable } from './report.js';
import { commandLine, defineCommand } from './cli-options.js';
import {
  encodingOption,
  floodSecondsOption,
  outOption,
  runsOption,
  subscribersOption,
  windowOption,
} from './common-options.js';
import { integerIn } from './option-values.js';

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:entitled',
    node: 'dist/bench/entitled.js',
    summary: `Entitled fan-out: 1 publisher -> N subscribers on one topic with the policy module, three ways, each
on its own broker process: plain (no filters), entitled (one filter and select list for all) and
mixed (10 distinct entitlements), tenants (the subscribers spread over --vhosts topics, one
publisher each) and vhosts (the same over --vhosts vhosts: vhosts / tenants is what vhosts cost). Runs interleaved; a line on stderr per run. Prints deliveries/s
and the ratio to plain, writes JSON.`,
    options: {
      subscribers: subscribersOption(10_000),
      seconds: floodSecondsOption(120),
      runs: runsOption(9),
      encoding: encodingOption(),
      window: windowOption(),
      'ttl-ms': {
        type: 'string',
        value: 'MS',
        default: '0',
        parse: integerIn(0, 86_400_000),
        description: 'security.entitlementCache.ttlMs (0: answers do not expire)',
      },
      vhosts: {
        type: 'string',
        value: 'N',
        default: '10',
        parse: integerIn(2, 1000),
        description: 'tenants of the vhosts run (each gets subscribers/N subscribers and a publisher)',
      },
      out: outOption('bench/results/entitled.json'),
    },
  }),
);
const subscriberCount = opts.subscribers;
const seconds = opts.seconds;
const runs = opts.runs;
const windowSize = opts.window;
const ttlMs = opts['ttl-ms'];
const encoding: Encoding = opts.encoding;

type Scenario = EntitlementScenario | 'tenants' | 'vhosts';
const vhostCount = opts.vhosts;

interface Result {
  scenario: Scenario;
  published: number;
  deliveries: number;
  deliveriesPerSec: number;
}

async function runScenario(scenario: Scenario, pinned: boolean): Promise<Result> {
  const config =
    scenario === 'vhosts'
      ? {
          security: { entitlementCache: { ttlMs } },
          vhosts: { enabled: true, policies: benchVhostPolicies(vhostCount, subscriberCount) },
        }
      : {
          security: {
            entitlement: {
              module: 'policy',
              options: { policy: entitledPolicy(scenario === 'tenants' ? 'plain' : scenario, subscriberCount) },
            },
            entitlementCache: { ttlMs },
          },
        };
  const broker = await startBrokerProcess({ cpu: pinned ? 0 : null, config });
  try {
    const fanout = { subscriberCount, encoding, seconds, window: windowSize, label: scenario };
    return {
      scenario,
      ...(scenario === 'vhosts' || scenario === 'tenants'
        ? await runTenantsFanout(broker.url, {
            ...fanout,
            tenants: vhostCount,
            by: scenario === 'vhosts' ? 'vhost' : 'topic',
          })
        : await runEntitledFanout(broker.url, fanout)),
    };
  } finally {
    await broker.stop();
  }
}

async function main(): Promise<void> {
  const pinned = spawnSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
  const scenarios: Scenario[] = ['plain', 'entitled', 'mixed', 'tenants', 'vhosts'];
  const all: Record<Scenario, Result[]> = { plain: [], entitled: [], mixed: [], tenants: [], vhosts: [] };
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
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(
    opts.out,
    `${JSON.stringify({ benchmark: 'entitled', date: new Date().toISOString(), node: process.version, params: { subscribers: subscriberCount, seconds, runs, encoding, window: windowSize, ttlMs, vhosts: vhostCount, pinned }, medians, runs: all }, null, 2)}\n`,
  );
  process.stdout.write(`JSON written to ${opts.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
