// Scenario 7: the cost of the SDK's wire format against raw MQTT. Scenario 1 (fan-out) and
// scenario 4 (entitled fan-out: every subscriber's grant has a content filter and a select list),
// each over raw MQTT 3.1.1 (bench/mqtt-load, Warden's MQTT TCP listener) and over the native
// protocol as the SDK speaks it (bench/native-raw: WebSocket, msgpack), in one run against ONE
// Warden process with both listeners, so both protocols meet the same broker, heap and JIT.
// The broker is pinned to core 0 and this generator to core 1 (taskset), both generators use raw
// sockets, pre-encoded frames, streaming counters and the same windowed flow control; a row whose
// generator CPU reaches GENERATOR_SATURATED_PCT is flagged (the figure is then a lower bound).
// Runs are interleaved (per run: each scenario, both protocols, alternating which goes first),
// after one discarded warm-up run of each. Prints a table, writes JSON.
// `npm run bench:sdk-vs-mqtt -- --help` lists the options.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startBrokerProcess, type BenchTransport } from './broker-process.js';
import { GENERATOR_SATURATED_PCT, type LoadResult } from './load/run-summary.js';
import { formatTable } from './report.js';
import { commandLine, defineCommand } from './cli-options.js';
import { engineOption, floodSecondsOption, outOption, runsOption, subscribersOption } from './common-options.js';
import { integerIn, listOf, numberBetween } from './option-values.js';
import {
  FANOUT_PAYLOAD_BYTES,
  STAMPED_TRADE,
  runScenario7,
  scenario7Policy,
  tradeSizes,
  type Protocol,
  type Scenario,
} from './scenarios/native-vs-mqtt.js';
import { ENTITLED_TOPIC, entitledPolicy } from './scenarios/entitled-fanout.js';

const SCENARIOS: readonly Scenario[] = ['fanout', 'entitled'];
const opts = commandLine(
  defineCommand({
    npmScript: 'bench:sdk-vs-mqtt',
    node: 'dist/bench/sdk-vs-mqtt.js',
    summary: `Scenario 7: the SDK's wire format (native protocol, WebSocket, msgpack) against raw MQTT 3.1.1, for
fan-out and entitled fan-out, against one Warden process with both listeners. Runs interleaved
after a discarded warm-up; a line on stderr per run. Prints a table, writes JSON.`,
    options: {
      seconds: floodSecondsOption(60),
      runs: runsOption(9),
      warmup: {
        type: 'string',
        value: 'S',
        default: '1',
        parse: numberBetween(0, 10),
        description: 'seconds of the discarded warm-up run of each (0: none)',
      },
      subscribers: subscribersOption(1000),
      // 1000, not bench:peers' 250: with 250 the broker idled 10-15 % of the time in the MQTT rows
      // (84-88 % CPU) against 92 % in the native rows, which flattered the native ÷ MQTT ratio.
      window: {
        type: 'string',
        value: 'N',
        default: '1000',
        parse: integerIn(16, 100_000),
        description: 'messages published and not yet delivered, at most',
      },
      scenarios: {
        type: 'string',
        value: 'LIST',
        default: 'fanout,entitled',
        parse: listOf(SCENARIOS),
        description: 'scenarios to run, any of the default ones',
      },
      // The native listener's WebSocket engine: ws (the portable default) or uws (docs/transports.md).
      transport: engineOption(),
      out: outOption('bench/results/sdk-vs-mqtt.json'),
    },
  }),
);
const seconds = opts.seconds;
const runs = opts.runs;
const warmup = opts.warmup;
const subscribers = opts.subscribers;
const windowSize = opts.window;
const transport: BenchTransport = opts.transport;
const scenarios = opts.scenarios;
const PROTOCOLS: readonly Protocol[] = ['mqtt', 'native'];

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Summary {
  median: LoadResult;
  min: number;
  max: number;
  runs: LoadResult[];
}

function summarise(results: LoadResult[]): Summary {
  const sorted = [...results].sort((a, b) => a.deliveriesPerSec - b.deliveriesPerSec);
  return {
    median: sorted[Math.floor(sorted.length / 2)]!,
    min: sorted[0]!.deliveriesPerSec,
    max: sorted.at(-1)!.deliveriesPerSec,
    runs: results,
  };
}

function pinSelf(core: number): boolean {
  return spawnSync('taskset', ['-pc', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const pinned = pinSelf(1);
  // Other processes on the machine take the pinned cores' time too: shown with the figures.
  const loadBefore = loadavg()[0]!;
  const policy = scenario7Policy(subscribers);
  const broker = await startBrokerProcess({
    cpu: pinned ? 0 : null,
    transport,
    mqttListenerOptions: {},
    config: {
      security: {
        authentication: { module: 'allow-any', options: {} },
        entitlement: { module: 'policy', options: { policy } },
      },
    },
  });
  const target = { nativeUrl: broker.url, mqttPort: broker.mqttPort!, brokerCpuMs: broker.cpuMs };
  process.stderr.write(
    `Warden ${packageVersion()} (pid ${broker.pid}): native ${broker.url}, MQTT 127.0.0.1:${broker.mqttPort}\n`,
  );
  const results = new Map<string, LoadResult[]>();
  const key = (s: Scenario, p: Protocol): string => `${s}/${p}`;
  let seq = 0;
  const once = async (s: Scenario, p: Protocol, secs: number): Promise<LoadResult> => {
    const result = await runScenario7(s, p, target, {
      subscribers,
      seconds: secs,
      window: windowSize,
      runId: `s7-${process.pid}-${seq++}`,
    });
    if (result.missing > 0)
      process.stderr.write(`  warning: ${s} over ${p}: ${result.missing} deliveries missing after the drain\n`);
    if (result.unreadableStamps > 0)
      process.stderr.write(`  warning: ${s} over ${p}: ${result.unreadableStamps} stamps unreadable\n`);
    await settle(300); // closed connections reaped before the next run
    return result;
  };
  try {
    if (warmup > 0) {
      for (const s of scenarios) for (const p of PROTOCOLS) await once(s, p, warmup);
      process.stderr.write(`warm-up done (${warmup} s of each)\n`);
    }
    for (let r = 0; r < runs; r++) {
      for (const s of scenarios) {
        // Alternate which protocol goes first, so neither always follows the other's garbage.
        const order = r % 2 === 0 ? PROTOCOLS : [...PROTOCOLS].reverse();
        for (const p of order) {
          const result = await once(s, p, seconds);
          results.set(key(s, p), [...(results.get(key(s, p)) ?? []), result]);
          process.stderr.write(
            `  run ${r + 1}/${runs} ${s} over ${p}: ${fmt(result.deliveriesPerSec)} deliveries/s, p50 ${result.p50Ms.toFixed(2)} ms, ` +
              `p99 ${result.p99Ms.toFixed(2)} ms, broker CPU ${result.brokerCpuPct.toFixed(0)}%, generator CPU ${result.generatorCpuPct.toFixed(0)}%\n`,
          );
        }
      }
    }
  } finally {
    await broker.stop();
  }

  const loadAfter = loadavg()[0]!;
  const summaries = new Map<string, Summary>([...results].map(([k, v]) => [k, summarise(v)]));
  const label: Record<Scenario, string> = { fanout: '1, fan-out', entitled: '4, entitled fan-out' };
  // Which core limited each row: the generator (then the figure is a lower bound), the broker, or
  // neither (the window's round trips, or other processes taking the cores' time).
  const saturated: string[] = [];
  const limit = (x: Summary): string => {
    if (x.runs.some((run) => run.generatorCpuPct >= GENERATOR_SATURATED_PCT)) return 'generator (!)';
    return x.median.brokerCpuPct >= GENERATOR_SATURATED_PCT ? 'broker' : 'neither';
  };
  const rows: string[][] = [];
  for (const s of scenarios) {
    for (const p of PROTOCOLS) {
      const x = summaries.get(key(s, p))!;
      const m = x.median;
      const bound = limit(x);
      if (bound !== 'broker' && bound !== 'neither') saturated.push(`${label[s]} over ${p}`);
      const mqtt = summaries.get(key(s, 'mqtt'))!.median.deliveriesPerSec;
      rows.push([
        label[s],
        p === 'mqtt' ? 'MQTT 3.1.1 (TCP)' : `native (${transport}, msgpack)`,
        fmt(m.deliveriesPerSec),
        `${fmt(x.min)} - ${fmt(x.max)}`,
        `${m.p50Ms.toFixed(2)} / ${m.p99Ms.toFixed(2)}`,
        m.brokerCpuPct.toFixed(0),
        (((m.brokerCpuPct / 100) * 1e6) / m.deliveriesPerSec).toFixed(2),
        m.generatorCpuPct.toFixed(0),
        bound,
        p === 'native' ? `${(m.deliveriesPerSec / mqtt).toFixed(2)}x` : '',
      ]);
    }
  }
  const pinning = pinned ? 'broker on core 0, generator on core 1 (taskset)' : 'not pinned (no taskset)';
  const trade = tradeSizes();
  process.stdout.write(
    `\nScenario 7, native protocol (SDK wire format) vs raw MQTT: 1 publisher -> ${subscribers} subscribers, one topic, QoS 0 / plain publish, ` +
      `window ${windowSize} messages; scenario 1: ${FANOUT_PAYLOAD_BYTES}-byte opaque payload; scenario 4: the trade ` +
      `(${trade.json} bytes as JSON, ${trade.msgpack} as msgpack), grant filter + select list per subscriber ` +
      `(one Warden process, median of ${runs} x ${seconds} s; ${pinning}; 1-min load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after)\n` +
      formatTable(
        [
          'scenario',
          'protocol',
          'deliveries/s (median)',
          'min - max',
          'p50 / p99 ms',
          'broker CPU %',
          'broker CPU µs / delivery',
          'gen CPU %',
          'limit',
          'native ÷ MQTT',
        ],
        rows,
      ) +
      '\n',
  );
  process.stdout.write(
    saturated.length > 0
      ? `(!) the generator reached ${GENERATOR_SATURATED_PCT}% of its core in some run of: ${saturated.join('; ')}. ` +
          'There the generator, not the broker, may be the limit: read those figures as lower bounds.\n'
      : `The generator stayed below ${GENERATOR_SATURATED_PCT}% of its core in every run: it was not the limit.\n`,
  );
  if (rows.some((r) => r[8] === 'neither')) {
    process.stdout.write(
      `"neither": the broker was also below ${GENERATOR_SATURATED_PCT}% of its core; the window's round trips or other processes ` +
        'on the machine held it back (compare "broker CPU µs / delivery", which does not depend on how busy the core was).\n',
    );
  }

  mkdirSync(dirname(opts.out), { recursive: true });
  const report = {
    benchmark: 'sdk-vs-mqtt',
    scenario: 7,
    date: new Date().toISOString(),
    node: process.version,
    warden: packageVersion(),
    loadAverage1m: { before: loadBefore, after: loadAfter },
    params: {
      seconds,
      runs,
      warmup,
      subscribers,
      window: windowSize,
      transport,
      pinned,
      fanoutPayloadBytes: FANOUT_PAYLOAD_BYTES,
      trade: STAMPED_TRADE,
      tradeBytes: trade,
      entitledTopic: ENTITLED_TOPIC,
    },
    policyExample: { entitled: entitledPolicy('entitled', 1).groups },
    generatorSaturatedPct: GENERATOR_SATURATED_PCT,
    generatorSaturated: saturated,
    results: Object.fromEntries(
      scenarios.map((s) => [
        s,
        {
          nativeOverMqtt:
            summaries.get(key(s, 'native'))!.median.deliveriesPerSec /
            summaries.get(key(s, 'mqtt'))!.median.deliveriesPerSec,
          mqtt: summaries.get(key(s, 'mqtt')),
          native: summaries.get(key(s, 'native')),
        },
      ]),
    ),
  };
  writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`JSON written to ${resolve(opts.out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
