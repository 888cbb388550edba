// Side-by-side MQTT benchmark: the same load generator (bench/mqtt-load) against Warden's MQTT TCP
// listener, Mosquitto, nats-server's MQTT listener and Aedes, one broker after another in one run. Each broker is its own
// process pinned to core 0 with taskset where available; this process (the generator) pins
// itself to core 1. Prints a table per scenario with Warden's ratio to each peer, writes JSON and
// an SVG chart of the same figures (bench/peers-chart.ts). `npm run bench:peers -- --help` lists
// the options.
//
// Scenario 1 (fan-out): 1 publisher -> 100 subscribers on one topic, 128-byte payloads, QoS 0,
//   at most --window messages published and not yet delivered to every subscriber; deliveries/s,
//   latency p50/p99 from timestamps in every 16th payload.
// Scenario 2 (many topics): 50 publishers over 1,000 topics t/<p>/<k> (publisher p cycles through
//   t/p/0 .. t/p/19), 50 subscribers, subscriber i on the wildcard filter t/<i>/+, so each message
//   has exactly one subscriber; QoS 0, 128 bytes, each publisher within its own --window;
//   deliveries/s.
// Scenario 2b (many publishers): --publishers devices, each cycling over its own topics/publishers
//   topics sensors/<(p + k) mod P>/dev<p>, and as many consumers, consumer i on sensors/<i>/#: one
//   delivery per message, each consumer fed by 20 devices; at most --publishers-window messages
//   undelivered over all devices, shared out over the devices once per generator turn, each
//   device writing its share at once (--publishers-per-write N: at most N PUBLISH packets per
//   write; 1 = one per write) (bench/mqtt-load/many-publishers.ts).
//   Every scenario also reports deliveries per write syscall: the broker's `syscw` from
//   /proc/PID/io over the run (connecting and subscribing included, a few hundred against
//   millions), divided into the deliveries; a write per delivery costs far more than the delivery.
// Scenario 5 (QoS 1): 1 publisher -> 1 subscriber, QoS 1 both ways, 100 publishes awaiting PUBACK;
//   messages/s received by the subscriber.
// Scenario 6 (connection storm): --storm-clients CONNECTs with a user name and password, at most
//   --storm-concurrency in flight; CONNACKs/s, then broker RSS per idle connection. For Warden
//   also with the `users` module (one user, scrypt hash from hashPassword), --users-clients
//   clients and --users-concurrency in flight, since every logon costs one scrypt verification
//   (and a logon queued longer than security.moduleTimeoutMs, 5 s, is refused). Every storm run
//   is on a freshly started broker.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  aedes,
  ceiling,
  mosquitto,
  nats,
  warden,
  wardenSpec,
  writeSyscallsOf,
  type PeerBroker,
  type PeerSpec,
} from './mqtt-load/brokers.js';
import { runFanout, runManyTopics, runQos1, type LoadResult } from './mqtt-load/generator.js';
import { runManyPublishers } from './mqtt-load/many-publishers.js';
import { openFileLimit, runStorm, type StormResult } from './mqtt-load/storm.js';
import type { Credentials } from './mqtt-load/packets.js';
import { hashPassword } from '../server/security/authentication/password-hash.js';
import { formatTable } from './report.js';
import { commandLine, defineCommand } from './cli-options.js';
import { integerIn, listOf, positiveUpTo } from './option-values.js';
import { parsePeersReport, peersChartSvg, svgPathFor, type PeersReport } from './peers-chart.js';

const ALL: Record<string, PeerSpec> = { warden, mosquitto, nats, aedes, ceiling };
const SCENARIOS = ['fanout', 'paced', 'topics', 'publishers', 'qos1'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** The peers named, in the order given: they run one after another in that order. */
function peerList(text: string, flag: string): PeerSpec[] {
  return text.split(',').map((name) => {
    const spec = ALL[name.trim().toLowerCase()];
    if (spec === undefined)
      throw new Error(`${flag}: unknown ${JSON.stringify(name)}; known: ${Object.keys(ALL).join(', ')}`);
    return spec;
  });
}

/** --chart-from's report, read and checked while the options are (a bad file is a bad value). */
function earlierReport(path: string, flag: string): { path: string; report: PeersReport } {
  try {
    return { path, report: parsePeersReport(readFileSync(path, 'utf8')) };
  } catch (err) {
    throw new Error(`${flag} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const count = (description: string, fallback: string, min: number, max: number) =>
  ({ type: 'string', value: 'N', default: fallback, parse: integerIn(min, max), description }) as const;

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:peers',
    node: 'dist/bench/peers.js',
    summary: `MQTT side by side: the same load generator against Warden's MQTT listener, Mosquitto, nats-server
and Aedes (or a bare Node ceiling), one broker process after another, pinned with taskset where it
exists. Scenarios: fanout (1 -> --subscribers), paced (fanout at --paced-rate, latency), topics
(--publishers over --topics), publishers (many devices), qos1, storm (connection storm and memory
per idle connection). A line on stderr per run. Prints a table per scenario, writes JSON and an
SVG chart (--svg); --chart-from redraws the chart of an earlier run without running anything.`,
    options: {
      seconds: { type: 'string', value: 'S', default: '3', parse: positiveUpTo(60), description: 'time per run' },
      runs: count('runs of each scenario, median reported', '3', 1, 9),
      subscribers: count('fanout, paced: subscribers on the topic', '100', 1, 10_000),
      // A float64 send time at payload offset 0.
      payload: count('payload bytes', '128', 8, 64 * 1024),
      window: count('fanout, topics: messages published and not yet delivered, at most', '250', 1, 1_000_000),
      'in-flight': count('qos1: publishes awaiting PUBACK, at most', '100', 1, 65_535),
      publishers: count('topics, publishers: publishers (and subscribers)', '50', 1, 10_000),
      topics: count('topics, publishers: topics in all, a multiple of --publishers', '1000', 1, 1_000_000),
      'publishers-window': count('publishers: messages undelivered over all devices, at most', '1000', 1, 1_000_000),
      'publishers-per-write': count('publishers: PUBLISH packets per write, at most (0: no limit)', '0', 0, 1_000_000),
      'storm-clients': count('storm: CONNECTs (lowered to fit ulimit -n)', '5000', 1, 1_000_000),
      'storm-concurrency': count('storm: CONNECTs in flight, at most', '200', 1, 100_000),
      'storm-timeout': {
        type: 'string',
        value: 'S',
        default: '60',
        parse: positiveUpTo(600),
        description: 'storm: seconds before a run gives up',
      },
      'users-clients': count('storm: clients of Warden with the users module (scrypt each)', '200', 1, 100_000),
      'users-concurrency': count('storm: their CONNECTs in flight, at most', '16', 1, 10_000),
      peers: {
        type: 'string',
        value: 'LIST',
        default: 'warden,mosquitto,nats,aedes',
        parse: peerList,
        description: `brokers, run in this order: ${Object.keys(ALL).join(', ')}`,
      },
      scenarios: {
        type: 'string',
        value: 'LIST',
        default: 'fanout,paced,topics,publishers,qos1,storm',
        parse: listOf([...SCENARIOS, 'storm'] as const),
        description: 'scenarios to run, any of the default ones',
      },
      'paced-rate': {
        type: 'string',
        value: 'N',
        default: '1000',
        parse: positiveUpTo(100_000),
        description: 'paced: messages/s',
      },
      out: { type: 'string', value: 'FILE', default: 'bench/results/peers.json', description: 'JSON results' },
      svg: {
        type: 'string',
        value: 'FILE',
        defaultText: '--out with .svg for .json',
        description: 'the chart: bars per scenario, per broker',
      },
      'chart-from': {
        type: 'string',
        value: 'FILE',
        parse: earlierReport,
        description: "draw the chart of an earlier run's JSON FILE (into --svg, else next to FILE) and exit",
      },
    },
  }),
  (o) => {
    if (o.topics % o.publishers !== 0) throw new Error('--topics must be a multiple of --publishers');
  },
);
const seconds = opts.seconds;
const runs = opts.runs;
const subscribers = opts.subscribers;
const payloadBytes = opts.payload;
const windowSize = opts.window;
const inFlight = opts['in-flight'];
const publishers = opts.publishers;
const topics = opts.topics;
const publishersWindow = opts['publishers-window'];
// 0: a device writes its whole share of a top-up at once.
const publishersPerWrite = opts['publishers-per-write'];
const stormConcurrency = opts['storm-concurrency'];
const stormTimeout = opts['storm-timeout'];
const pacedRate = opts['paced-rate'];
const usersConcurrency = opts['users-concurrency'];
// Each storm client is one socket here and one in the broker (which inherits this limit). Leave
// room for the other descriptors; lower the count (and say so) rather than fail mid-storm.
const fdLimit = openFileLimit();
const fdNote: string[] = [];
function boundedClients(requested: number, flag: string): number {
  const room = Math.floor(fdLimit - 200);
  if (requested <= room) return requested;
  fdNote.push(
    `${flag} lowered from ${requested} to ${room}: open-file limit (ulimit -n) is ${fdLimit}; raise it up to the hard limit with \`ulimit -n\``,
  );
  return room;
}
const stormClients = boundedClients(opts['storm-clients'], '--storm-clients');
const usersClients = boundedClients(opts['users-clients'], '--users-clients');
const CREDENTIALS: Credentials = { username: 'bench', password: 'bench-password-1' };
const chosen = opts.peers;

interface RunWithCpu extends LoadResult {
  /** The broker's write syscalls during the run, or null where /proc/PID/io cannot be read. */
  writeSyscalls: number | null;
}

/** Deliveries per write syscall, as the tables print it ('' when unknown). */
function perWrite(run: RunWithCpu): string {
  return run.writeSyscalls === null || run.writeSyscalls === 0 ? '' : (run.deliveries / run.writeSyscalls).toFixed(1);
}

/**
 * Broker CPU time per delivery in µs ('' when unknown): on a machine with other work it moves far
 * less than the rate does, since the broker is charged only for the time it ran.
 */
function cpuPerDelivery(run: RunWithCpu): string {
  if (!Number.isFinite(run.brokerCpuPct) || run.deliveries === 0) return '';
  return ((run.brokerCpuPct * 1e4) / run.deliveriesPerSec).toFixed(2);
}

interface ScenarioSummary {
  median: RunWithCpu;
  min: number;
  max: number;
  runs: RunWithCpu[];
}

interface StormSummary {
  median: StormResult;
  min: number;
  max: number;
  /** Median of the runs' KiB per idle connection (RSS is noisy; not necessarily the median run's). */
  kibPerConnection: number;
  runs: StormResult[];
}

interface BrokerReport {
  name: string;
  version: string;
  fanout?: ScenarioSummary;
  paced?: ScenarioSummary;
  topics?: ScenarioSummary;
  publishers?: ScenarioSummary;
  qos1?: ScenarioSummary;
  storm?: StormSummary;
  /** Scenarios that failed on this broker, with the error. */
  errors: Record<string, string>;
}

const requested: readonly string[] = opts.scenarios;
const chosenScenarios = SCENARIOS.filter((s) => requested.includes(s));
const runStorms = requested.includes('storm');

function summarise(results: RunWithCpu[]): ScenarioSummary {
  const sorted = [...results].sort((a, b) => a.deliveriesPerSec - b.deliveriesPerSec);
  return {
    median: sorted[Math.floor(sorted.length / 2)]!,
    min: sorted[0]!.deliveriesPerSec,
    max: sorted.at(-1)!.deliveriesPerSec,
    runs: results,
  };
}

function summariseStorm(results: StormResult[]): StormSummary {
  const sorted = [...results].sort((a, b) => a.connectionsPerSec - b.connectionsPerSec);
  const kib = results.map((r) => r.kibPerConnection).sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)]!,
    min: sorted[0]!.connectionsPerSec,
    max: sorted.at(-1)!.connectionsPerSec,
    kibPerConnection: kib[Math.floor(kib.length / 2)]!,
    runs: results,
  };
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function measure(broker: PeerBroker, scenario: Scenario, run: number): Promise<RunWithCpu> {
  const runId = `${scenario}-${run}-${process.pid}`;
  const base = { port: broker.port, seconds, payloadBytes, runId, brokerCpuMs: broker.cpuMs };
  const writesBefore = writeSyscallsOf(broker.pid);
  const load =
    scenario === 'fanout'
      ? await runFanout({ ...base, subscribers, window: windowSize })
      : scenario === 'paced'
        ? await runFanout({ ...base, subscribers, window: windowSize, rate: pacedRate })
        : scenario === 'topics'
          ? await runManyTopics({ ...base, publishers, topics, window: windowSize })
          : scenario === 'publishers'
            ? await runManyPublishers({
                ...base,
                publishers,
                topicsPerPublisher: topics / publishers,
                consumers: publishers,
                window: publishersWindow,
                ...(publishersPerWrite > 0 ? { maxPerWrite: publishersPerWrite } : {}),
              })
            : await runQos1({ ...base, inFlight });
  const writesAfter = writeSyscallsOf(broker.pid);
  const writeSyscalls = writesBefore === null || writesAfter === null ? null : writesAfter - writesBefore;
  const result: RunWithCpu = { ...load, writeSyscalls };
  if (result.missing > 0) process.stderr.write(`  warning: ${result.missing} deliveries missing after the drain\n`);
  // Let the broker settle (closed connections reaped) before the next run.
  await settle(300);
  return result;
}

async function measureStorm(
  broker: PeerBroker,
  clients: number,
  concurrency: number,
  run: number,
): Promise<StormResult> {
  await settle(1000); // let the fresh broker finish starting up before "RSS before"
  const result = await runStorm({
    port: broker.port,
    clients,
    concurrency,
    runId: `storm-${run}-${process.pid}`,
    credentials: CREDENTIALS,
    timeoutSeconds: stormTimeout,
    brokerPid: broker.pid,
    brokerCpuMs: broker.cpuMs,
  });
  if (result.failed > 0)
    process.stderr.write(`  warning: ${result.failed} of ${clients} connects failed or timed out\n`);
  return result;
}

function pinSelf(core: number): boolean {
  return spawnSync('taskset', ['-pc', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const from = opts['chart-from'];
  if (from !== undefined) {
    writeChart(from.report, opts.svg ?? svgPathFor(from.path));
    return;
  }
  const pinned = pinSelf(1);
  const reports: BrokerReport[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const note of fdNote) process.stderr.write(`${note}\n`);
  // Warden with the `users` module (one user; every storm client logs on as it), storm only.
  const runs_: { spec: PeerSpec; scenarios: readonly Scenario[]; stormClients: number; concurrency: number }[] =
    chosen.map((spec) => ({
      spec,
      scenarios: chosenScenarios,
      stormClients,
      concurrency: stormConcurrency,
    }));
  if (chosen.includes(warden)) {
    const hash = await hashPassword(CREDENTIALS.password);
    const usersSpec = wardenSpec({
      name: 'Warden (users)',
      authentication: { module: 'users', options: { users: [{ name: CREDENTIALS.username, hash }] } },
    });
    runs_.splice(runs_.findIndex((r) => r.spec === warden) + 1, 0, {
      spec: usersSpec,
      scenarios: [],
      stormClients: usersClients,
      concurrency: usersConcurrency,
    });
  }
  for (const { spec, scenarios, stormClients: clients, concurrency } of runs_) {
    if (scenarios.length === 0 && !runStorms) continue;
    const reason = spec.missing();
    if (reason !== null) {
      process.stderr.write(`${spec.name}: skipped, ${reason}\n`);
      skipped.push({ name: spec.name, reason });
      continue;
    }
    const broker = await spec.start(pinned ? 0 : null);
    process.stderr.write(`${spec.name} ${broker.version} on 127.0.0.1:${broker.port} (pid ${broker.pid})\n`);
    const report: BrokerReport = { name: spec.name, version: broker.version, errors: {} };
    reports.push(report);
    try {
      for (const scenario of scenarios) {
        try {
          const results: RunWithCpu[] = [];
          for (let r = 0; r < runs; r++) {
            const result = await measure(broker, scenario, r);
            results.push(result);
            process.stderr.write(
              `  ${scenario} run ${r + 1}/${runs}: ${fmt(result.deliveriesPerSec)}/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ` +
                `broker CPU ${result.brokerCpuPct.toFixed(0)}%, generator CPU ${result.generatorCpuPct.toFixed(0)}%\n`,
            );
          }
          report[scenario] = summarise(results);
        } catch (err) {
          report.errors[scenario] = err instanceof Error ? err.message : String(err);
          process.stderr.write(`  ${scenario} failed: ${report.errors[scenario]}\n`);
          await settle(1000);
        }
      }
    } finally {
      await broker.stop();
    }
    // The storm runs each on a freshly started broker, so that "RSS before" is an idle broker's
    // and not one still holding the previous scenario's (or storm's) buffers and garbage.
    if (!runStorms) continue;
    try {
      const results: StormResult[] = [];
      for (let r = 0; r < runs; r++) {
        const fresh = await spec.start(pinned ? 0 : null);
        try {
          const result = await measureStorm(fresh, clients, concurrency, r);
          results.push(result);
          process.stderr.write(
            `  storm run ${r + 1}/${runs} (pid ${fresh.pid}): ${result.connected}/${clients} in ${result.seconds.toFixed(2)} s = ${fmt(result.connectionsPerSec)} conn/s, ` +
              `RSS ${fmt(result.rssBeforeKiB)} -> ${fmt(result.rssAfterKiB)} KiB = ${result.kibPerConnection.toFixed(1)} KiB/conn, ` +
              `broker CPU ${result.brokerCpuPct.toFixed(0)}%, generator CPU ${result.generatorCpuPct.toFixed(0)}%\n`,
          );
        } finally {
          await fresh.stop();
        }
      }
      report.storm = summariseStorm(results);
    } catch (err) {
      report.errors.storm = err instanceof Error ? err.message : String(err);
      process.stderr.write(`  storm failed: ${report.errors.storm}\n`);
    }
  }

  const w = reports.find((r) => r.name === 'Warden');
  const ratio = (report: BrokerReport, scenario: Scenario): string => {
    const mine = w?.[scenario];
    const theirs = report[scenario];
    if (mine === undefined || theirs === undefined || report === w) return '';
    // At a fixed load the figure that differs is latency: Warden's p99 over the peer's (lower is better).
    if (scenario === 'paced') return `${(mine.median.p99Ms / theirs.median.p99Ms).toFixed(2)}x p99`;
    return `${(mine.median.deliveriesPerSec / theirs.median.deliveriesPerSec).toFixed(2)}x`;
  };
  const row = (r: BrokerReport, s: Scenario): string[] => {
    const x = r[s]!;
    return [
      `${r.name} ${r.version}`,
      fmt(x.median.deliveriesPerSec),
      `${fmt(x.min)} - ${fmt(x.max)}`,
      `${x.median.p50Ms.toFixed(2)} / ${x.median.p99Ms.toFixed(2)}`,
      x.median.brokerCpuPct.toFixed(0),
      x.median.generatorCpuPct.toFixed(0),
      cpuPerDelivery(x.median),
      perWrite(x.median),
      ratio(r, s),
    ];
  };
  const rows = (s: Scenario): string[][] => reports.filter((r) => r[s] !== undefined).map((r) => row(r, s));
  const header = (unit: string): string[] => [
    'broker',
    `${unit} (median)`,
    'min - max',
    'p50 / p99 ms',
    'broker CPU %',
    'gen CPU %',
    'broker µs / delivery',
    'deliveries / write',
    'Warden ÷ peer',
  ];
  const pinning = pinned ? 'broker on core 0, generator on core 1 (taskset)' : 'not pinned (no taskset)';
  const failures = (s: string): string =>
    reports
      .filter((r) => r.errors[s] !== undefined)
      .map((r) => `${r.name}: failed: ${r.errors[s]}\n`)
      .join('');
  // Only the scenarios that were asked for.
  const print = (s: Scenario, title: string, unit: string): void => {
    if (!chosenScenarios.includes(s)) return;
    process.stdout.write(`\n${title}\n${formatTable(header(unit), rows(s))}\n${failures(s)}`);
  };
  print(
    'fanout',
    `Scenario 1, fan-out: 1 publisher -> ${subscribers} subscribers, one topic, ${payloadBytes}-byte payload, QoS 0 ` +
      `(median of ${runs} x ${seconds} s; ${pinning})`,
    'deliveries/s',
  );
  print(
    'paced',
    `Scenario 1 at a fixed load: ${fmt(pacedRate)} messages/s -> ${subscribers} subscribers = ${fmt(pacedRate * subscribers)} deliveries/s, ` +
      `every message stamped; latency, not throughput (median of ${runs} x ${seconds} s)`,
    'deliveries/s',
  );
  print(
    'topics',
    `Scenario 2, many topics: ${publishers} publishers over ${topics} topics t/<p>/<k>, ${publishers} subscribers on t/<i>/+ ` +
      `(one subscriber per message), ${payloadBytes}-byte payload, QoS 0 (median of ${runs} x ${seconds} s)`,
    'deliveries/s',
  );
  const perWriteNote =
    publishersPerWrite === 0 ? 'its due share per write' : `at most ${publishersPerWrite} PUBLISH per write`;
  print(
    'publishers',
    `Scenario 2b, many publishers: ${publishers} devices, each cycling over its own ${topics / publishers} topics ` +
      `sensors/<c>/dev<p>, ${perWriteNote}, ${publishers} consumers on sensors/<i>/# (one delivery per message, ` +
      `each consumer fed by ${topics / publishers} devices), ${payloadBytes}-byte payload, QoS 0, ` +
      `at most ${fmt(publishersWindow)} undelivered (median of ${runs} x ${seconds} s)`,
    'deliveries/s',
  );
  print(
    'qos1',
    `Scenario 5, QoS 1: 1 publisher -> 1 subscriber, ${inFlight} in flight, ${payloadBytes}-byte payload ` +
      `(median of ${runs} x ${seconds} s)`,
    'msgs/s',
  );
  const stormRow = (r: BrokerReport): string[] => {
    const x = r.storm!;
    const mine = w?.storm;
    const rel = (a: number, b: number): string =>
      mine === undefined || r === w || r.name.startsWith('Warden') ? '' : `${(a / b).toFixed(2)}x`;
    return [
      `${r.name} ${r.version}`,
      `${x.median.connected}/${x.median.clients}`,
      fmt(x.median.connectionsPerSec),
      `${fmt(x.min)} - ${fmt(x.max)}`,
      x.kibPerConnection.toFixed(1),
      `${fmt(x.median.rssBeforeKiB)} -> ${fmt(x.median.rssAfterKiB)}`,
      x.median.brokerCpuPct.toFixed(0),
      x.median.generatorCpuPct.toFixed(0),
      mine === undefined ? '' : rel(mine.median.connectionsPerSec, x.median.connectionsPerSec),
      mine === undefined ? '' : rel(mine.kibPerConnection, x.kibPerConnection),
    ];
  };
  if (runStorms)
    process.stdout.write(
      `\nScenario 6, connection storm: CONNECT with user name + password, CONNACK awaited, ${stormConcurrency} in flight; ` +
        `memory = (broker VmRSS with all clients idle - before) / clients (median of ${runs}; ${stormClients} clients, ` +
        `Warden (users): ${usersClients} clients, ${usersConcurrency} in flight, one scrypt verification each; each run on a fresh broker)\n` +
        formatTable(
          [
            'broker',
            'connected',
            'conn/s (median)',
            'min - max',
            'KiB / idle conn',
            'RSS KiB before -> after',
            'broker CPU %',
            'gen CPU %',
            'Warden ÷ peer conn/s',
            'Warden ÷ peer KiB',
          ],
          reports.filter((r) => r.storm !== undefined).map(stormRow),
        ) +
        `\n${failures('storm')}`,
    );
  for (const note of fdNote) process.stdout.write(`${note}\n`);
  for (const s of skipped) process.stdout.write(`${s.name} skipped: ${s.reason}\n`);

  mkdirSync(dirname(opts.out), { recursive: true });
  const report = {
    benchmark: 'peers',
    date: new Date().toISOString(),
    node: process.version,
    params: {
      seconds,
      runs,
      subscribers,
      payloadBytes,
      window: windowSize,
      inFlight,
      publishers,
      topics,
      publishersWindow,
      publishersPerWrite,
      stormClients,
      usersClients,
      stormConcurrency,
      usersConcurrency,
      pacedRate,
      openFileLimit: fdLimit,
      pinned,
    },
    brokers: reports,
    skipped,
  };
  writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`JSON written to ${resolve(opts.out)}\n`);
  writeChart(report, opts.svg ?? svgPathFor(opts.out));
}

function writeChart(report: PeersReport, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, peersChartSvg(report));
  process.stdout.write(`Chart written to ${resolve(path)}\n`);
}

// Stop on Ctrl-C / SIGTERM through process.exit, so brokers.ts's exit handler kills the brokers.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
