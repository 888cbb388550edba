// Scenarios 3 and 4 against Warden alone, over the native protocol. Each run starts the
// broker as its own process (the real CLI, port 0 on 127.0.0.1), pinned to core 0 with `taskset`
// where it exists (this generator on core 1), and stops it by PID. Variants are interleaved run by
// run so drift in machine load affects them alike. Prints tables; writes JSON.
// `npm run bench:scenarios -- --help` lists the options.
//
// 3. regex routing: `--regex-subscribers` connections each hold one regex matching every published
//    topic, plus (variant `idle`) `--idle-regexes` non-matching regexes spread evenly over them. The
//    publisher floods 128-byte messages round-robin over `--topics` topics. Figure: deliveries/s of
//    `idle` relative to `matching-only`. After the flood (code warmed up), on the quiet broker, one
//    message to each of `--first-topics` new topics measures the first-message cost (publish -> first delivery;
//    the route is computed, every regex evaluated once), then a second message to the same topic
//    (route cached) for comparison.
// 4. entitled fan-out: 1 publisher -> `--subscribers` subscribers on one topic (bench/entitled.ts's
//    approach and policy): `allow-all` (scenario 1, default entitlement), `plain` (policy module,
//    read grants without filter or select list) and `entitled` (every subscriber's grant carries
//    a content filter and a select list). The admin listener is on (port 0) and after each run
//    `GET /admin/entitlements` gives the entitlement module-call count.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { WebSocket } from 'ws';
import type { Encoding } from '../protocol/native.js';
import { startBrokerProcess, type BenchTransport, type BrokerProcess } from './broker-process.js';
import { encodeFrame, floodPublish, now, openNative, setupCall, waitUntil } from './native-load.js';
import { formatTable } from './report.js';
import { commandLine, defineCommand } from './cli-options.js';
import {
  encodingOption,
  engineOption,
  floodSecondsOption,
  outOption,
  runsOption,
  windowOption,
} from './common-options.js';
import { integerIn, oneOf } from './option-values.js';
import { entitlementStatus } from './scenarios/admin-status.js';
import { entitledPolicy, runEntitledFanout } from './scenarios/entitled-fanout.js';

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:scenarios',
    node: 'dist/bench/warden-scenarios.js',
    summary: `Scenarios 3 and 4 against Warden alone, over the native protocol, a broker process per run, variants
interleaved run by run; a line on stderr per run. 3, regex routing: deliveries/s with --idle-regexes
non-matching regexes against matching ones only, and the first message to a new topic. 4, entitled
fan-out: allow-all, plain policy grants, and grants with a filter and a select list. Prints tables,
writes JSON.`,
    options: {
      seconds: floodSecondsOption(60),
      runs: runsOption(10),
      encoding: encodingOption(),
      window: windowOption(),
      only: {
        type: 'string',
        defaultText: 'both',
        parse: oneOf(['3', '4'] as const),
        description: 'run only scenario 3 or 4',
      },
      'regex-subscribers': {
        type: 'string',
        value: 'N',
        default: '10',
        parse: integerIn(1, 1000),
        description: '3: connections each holding one matching regex',
      },
      'idle-regexes': {
        type: 'string',
        value: 'N',
        default: '1000',
        parse: integerIn(0, 100_000),
        description: '3: non-matching regexes, spread over those connections',
      },
      topics: {
        type: 'string',
        value: 'N',
        default: '5',
        parse: integerIn(1, 10),
        description: '3: topics published round-robin',
      },
      'first-topics': {
        type: 'string',
        value: 'N',
        default: '5',
        parse: integerIn(1, 1000),
        description: '3: new topics for the first-message cost',
      },
      subscribers: {
        type: 'string',
        value: 'N',
        default: '100',
        parse: integerIn(1, 10_000),
        description: '4: subscribers on the topic',
      },
      transport: engineOption(),
      out: outOption('bench/results/scenarios.json'),
    },
  }),
);
const seconds = opts.seconds;
const runs = opts.runs;
const encoding: Encoding = opts.encoding;
const windowSize = opts.window;
const regexSubscribers = opts['regex-subscribers'];
const idleRegexes = opts['idle-regexes'];
const topicCount = opts.topics;
const firstTopics = opts['first-topics'];
const subscriberCount = opts.subscribers;
const transport: BenchTransport = opts.transport;

const PAYLOAD_BYTES = 128;
const ADMIN_USER = 'bench-admin';
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => n.toFixed(2);

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function minMax(xs: readonly number[], f: (n: number) => string): string {
  return `${f(Math.min(...xs))} - ${f(Math.max(...xs))}`;
}

// ---------------------------------------------------------------- scenario 3: regex routing

type RegexVariant = 'matching-only' | 'idle';
const REGEX_PREFIX = 'bench/regex/t';
/** Matches every topic published below (`bench/regex/t0`.. and the first-message topics). */
const MATCHING_REGEX = 'bench/regex/t[0-9]+';
/** Shares the matching regex's prefix, so the engine must run it to the end to reject a topic. */
const idleRegex = (i: number, j: number): string => `bench/regex/t[0-9]+/idle/${i}-${j}`;

interface RegexResult {
  variant: RegexVariant;
  regexSubscriptions: number;
  published: number;
  deliveries: number;
  deliveriesPerSec: number;
  /** Publish -> first delivery on a topic never published before, per first-message topic. */
  firstMessageMs: number[];
  /** Publish -> first delivery of a second message on the same topic (route cached). */
  cachedMessageMs: number[];
}

function publishFrame(topic: string): Buffer {
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
  return encodeFrame(encoding, {
    op: 'publish',
    topic,
    bytes: encoding === 'msgpack' ? payload : payload.toString('base64'),
  });
}

/**
 * Scenario 3 measures routing throughput with many regexes, not the attack the topics.regex budget
 * is for: at its defaults (a worst case of ~100 ms per new 1 KB topic) 1,010 regexes of ~30
 * instructions would be refused, so the budget is opened here, and the measurement is of what a
 * deployment that raises it gets.
 */
const OPEN_REGEX_BUDGET = {
  topics: {
    regex: { maxSubscriptionsPerUser: 1_000_000, maxTotalProgramSize: 100_000_000, maxProgramSizePerUser: 100_000_000 },
  },
};

async function runRegex(variant: RegexVariant, run: number, pinned: boolean): Promise<RegexResult> {
  const broker = await startBrokerProcess({ cpu: pinned ? 0 : null, config: OPEN_REGEX_BUDGET, transport });
  const sockets: WebSocket[] = [];
  try {
    let received = 0;
    let firstAt = 0;
    let regexSubscriptions = 0;
    for (let i = 0; i < regexSubscribers; i++) {
      const ws = await openNative(broker.url, encoding);
      sockets.push(ws);
      await setupCall(ws, encoding, { op: 'logon', rid: 1, user: `sub${i}` });
      await setupCall(ws, encoding, { op: 'subscribe', rid: 2, sid: 1, regex: MATCHING_REGEX });
      regexSubscriptions++;
      if (variant === 'idle') {
        // Spread evenly: connection i gets idle regexes i, i + n, i + 2n, ...
        for (let j = i; j < idleRegexes; j += regexSubscribers) {
          await setupCall(ws, encoding, { op: 'subscribe', rid: 3 + j, sid: 2 + j, regex: idleRegex(i, j) });
          regexSubscriptions++;
        }
      }
      ws.on('message', () => {
        received++;
        if (firstAt === 0) firstAt = now();
      });
    }
    const publisher = await openNative(broker.url, encoding);
    sockets.push(publisher);
    await setupCall(publisher, encoding, { op: 'logon', rid: 1, user: 'publisher' });
    const binary = encoding === 'msgpack';

    // Throughput: round-robin over topicCount topics, the digit written in place before each send.
    const frame = publishFrame(`${REGEX_PREFIX}0`);
    const digitAt = frame.indexOf(`${REGEX_PREFIX}0`) + REGEX_PREFIX.length;
    let n = 0;
    const beforeSend = (): void => {
      frame[digitAt] = 0x30 + (n++ % topicCount);
    };
    const startReceived = received;
    const started = now();
    const published = await floodPublish(publisher, encoding, frame, { seconds, window: windowSize, beforeSend });
    const expected = startReceived + published * regexSubscribers;
    if (!(await waitUntil(() => received >= expected, 30_000)))
      process.stderr.write(`warning: regex ${variant}: ${expected - received} deliveries missing\n`);
    const elapsed = (now() - started) / 1000;
    const deliveries = received - startReceived;

    // First-message cost, after the flood (so the broker's code is warmed up) on the now quiet
    // broker: topics never published to on this broker.
    const one = async (topic: string): Promise<number> => {
      const before = received;
      firstAt = 0;
      const single = publishFrame(topic);
      const sent = now();
      publisher.send(single, { binary });
      if (!(await waitUntil(() => received >= before + regexSubscribers, 5_000)))
        throw new Error(`regex ${variant}: no deliveries on ${topic}`);
      return firstAt - sent;
    };
    const firstMessageMs: number[] = [];
    const cachedMessageMs: number[] = [];
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let t = 0; t < firstTopics; t++) {
      const topic = `${REGEX_PREFIX}${1000 + run * 100 + t}`;
      firstMessageMs.push(await one(topic));
      cachedMessageMs.push(await one(topic));
    }

    return {
      variant,
      regexSubscriptions,
      published,
      deliveries,
      deliveriesPerSec: deliveries / elapsed,
      firstMessageMs,
      cachedMessageMs,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await broker.stop();
  }
}

async function scenario3(pinned: boolean): Promise<{ rows: string[][]; firstRows: string[][]; json: unknown }> {
  const variants: RegexVariant[] = ['matching-only', 'idle'];
  const all: Record<RegexVariant, RegexResult[]> = { 'matching-only': [], idle: [] };
  for (let r = 0; r < runs; r++) {
    for (const v of variants) {
      const result = await runRegex(v, r, pinned);
      all[v].push(result);
      process.stderr.write(
        `scenario 3 run ${r + 1}/${runs} ${v}: ${fmt(result.deliveriesPerSec)} deliveries/s, first message ${ms(medianOf(result.firstMessageMs))} ms\n`,
      );
    }
  }
  const rate = (v: RegexVariant): number[] => all[v].map((x) => x.deliveriesPerSec);
  const base = medianOf(rate('matching-only'));
  // Per run: the median over that run's topics; the figure is the median of those (min-max over runs).
  const first = (v: RegexVariant): number[] => all[v].map((x) => medianOf(x.firstMessageMs));
  const cached = (v: RegexVariant): number[] => all[v].map((x) => medianOf(x.cachedMessageMs));
  const rows = variants.map((v) => [
    v === 'idle'
      ? `${regexSubscribers} matching + ${fmt(idleRegexes)} idle regexes`
      : `${regexSubscribers} matching regexes only`,
    fmt(medianOf(rate(v))),
    minMax(rate(v), fmt),
    (medianOf(rate(v)) / base).toFixed(2),
  ]);
  const firstRows = variants.map((v) => [
    v === 'idle' ? `${fmt(regexSubscribers + idleRegexes)} regexes` : `${regexSubscribers} regexes`,
    ms(medianOf(first(v))),
    minMax(first(v), ms),
    ms(medianOf(cached(v))),
    minMax(cached(v), ms),
  ]);
  const idleFirst = medianOf(first('idle'));
  const baseFirst = medianOf(first('matching-only'));
  const json = {
    params: {
      regexSubscribers,
      idleRegexes,
      topics: topicCount,
      firstTopics,
      payloadBytes: PAYLOAD_BYTES,
      matchingRegex: MATCHING_REGEX,
      idleRegexExample: idleRegex(0, 0),
    },
    ratio: medianOf(rate('idle')) / base,
    medians: {
      deliveriesPerSec: Object.fromEntries(variants.map((v) => [v, medianOf(rate(v))])),
      firstMessageMs: Object.fromEntries(variants.map((v) => [v, medianOf(first(v))])),
      cachedMessageMs: Object.fromEntries(variants.map((v) => [v, medianOf(cached(v))])),
      firstMessageExtraMsForIdleRegexes: idleFirst - baseFirst,
    },
    runs: all,
  };
  return { rows, firstRows, json };
}

// ---------------------------------------------------------------- scenario 4: entitled fan-out

type FanoutVariant = 'allow-all' | 'plain' | 'entitled';

interface EntitledResult {
  variant: FanoutVariant;
  published: number;
  deliveries: number;
  deliveriesPerSec: number;
  /** From GET /admin/entitlements after the run (includes that request's own admin check). */
  moduleCalls: number;
  cache: { size: number; hits: number; misses: number };
}

function fanoutConfig(variant: FanoutVariant): Record<string, unknown> {
  const admin = { enabled: true, host: '127.0.0.1', port: 0 };
  // allow-any authentication (the default) accepts the admin user's Basic credentials.
  const authentication = { module: 'allow-any', options: {} };
  if (variant === 'allow-all')
    return { admin, security: { authentication, entitlement: { module: 'allow-all', options: {} } } };
  const { groups } = entitledPolicy(variant, subscriberCount);
  const policy = { groups: { ...groups, benchadmin: { users: [ADMIN_USER], grants: [{ actions: ['admin'] }] } } };
  return { admin, security: { authentication, entitlement: { module: 'policy', options: { policy } } } };
}

async function runFanoutVariant(variant: FanoutVariant, pinned: boolean): Promise<EntitledResult> {
  const broker: BrokerProcess = await startBrokerProcess({
    cpu: pinned ? 0 : null,
    config: fanoutConfig(variant),
    transport,
  });
  try {
    const result = await runEntitledFanout(broker.url, {
      subscriberCount,
      encoding,
      seconds,
      window: windowSize,
      label: variant,
    });
    const { moduleCalls, cache } = await entitlementStatus(broker.adminUrl, ADMIN_USER, 'bench');
    return { variant, ...result, moduleCalls, cache: { size: cache.size, hits: cache.hits, misses: cache.misses } };
  } finally {
    await broker.stop();
  }
}

async function scenario4(pinned: boolean): Promise<{ rows: string[][]; json: unknown }> {
  const variants: FanoutVariant[] = ['allow-all', 'plain', 'entitled'];
  const all: Record<FanoutVariant, EntitledResult[]> = { 'allow-all': [], plain: [], entitled: [] };
  for (let r = 0; r < runs; r++) {
    for (const v of variants) {
      const result = await runFanoutVariant(v, pinned);
      all[v].push(result);
      process.stderr.write(
        `scenario 4 run ${r + 1}/${runs} ${v}: ${fmt(result.deliveriesPerSec)} deliveries/s, ${result.moduleCalls} module calls\n`,
      );
    }
  }
  const rate = (v: FanoutVariant): number[] => all[v].map((x) => x.deliveriesPerSec);
  const med = Object.fromEntries(variants.map((v) => [v, medianOf(rate(v))])) as Record<FanoutVariant, number>;
  const label: Record<FanoutVariant, string> = {
    'allow-all': 'scenario 1 (allow-all)',
    plain: 'policy, no filter/select',
    entitled: 'policy, filter + select',
  };
  const rows = variants.map((v) => {
    const calls = all[v].map((x) => x.moduleCalls);
    const delivered = all[v].map((x) => x.deliveries);
    return [
      label[v],
      fmt(med[v]),
      minMax(rate(v), fmt),
      (med[v] / med['allow-all']).toFixed(2),
      (med[v] / med.plain).toFixed(2),
      calls.length > 1 && Math.min(...calls) !== Math.max(...calls)
        ? `${medianOf(calls)} (${minMax(calls, String)})`
        : String(medianOf(calls)),
      fmt(medianOf(delivered)),
    ];
  });
  // 1 logon per user (subscribers + publisher), 1 read per subscriber for its one topic, 1 write,
  // plus the admin request's own check (GET /admin/entitlements).
  const expectedModuleCalls = subscriberCount + 1 + subscriberCount + 1 + 1;
  const json = {
    params: { subscribers: subscriberCount, topic: 'bench/trades', policyExample: fanoutConfig('entitled') },
    expectedModuleCalls,
    ratioToAllowAll: Object.fromEntries(variants.map((v) => [v, med[v] / med['allow-all']])),
    ratioToPlain: Object.fromEntries(variants.map((v) => [v, med[v] / med.plain])),
    medians: { deliveriesPerSec: med },
    runs: all,
  };
  return { rows, json };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const pinned = spawnSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
  const where = `${encoding} over ${transport}, median of ${runs} x ${seconds}s${pinned ? ', broker core 0, generator core 1' : ', not pinned (no taskset)'}`;
  const report: Record<string, unknown> = {
    benchmark: 'scenarios',
    date: new Date().toISOString(),
    node: process.version,
    params: { seconds, runs, encoding, window: windowSize, pinned, transport },
  };
  let out = '';
  if (opts.only !== '4') {
    const s3 = await scenario3(pinned);
    report.scenario3 = s3.json;
    out +=
      `\nScenario 3, regex routing: ${regexSubscribers} subscribers, 1 publisher over ${topicCount} topics, ${PAYLOAD_BYTES}-byte payload, ${where}\n` +
      `${formatTable(['subscriptions', 'deliveries/s', 'min - max', 'ratio to matching only'], s3.rows)}\n` +
      `\nFirst message on a new topic (publish -> first delivery, median of ${firstTopics} topics per run; median and min-max over runs)\n` +
      `${formatTable(['subscriptions', 'first message ms', 'min - max', 'next message ms', 'min - max'], s3.firstRows)}\n`;
    process.stdout.write(out);
    out = '';
  }
  if (opts.only !== '3') {
    const s4 = await scenario4(pinned);
    report.scenario4 = s4.json;
    out +=
      `\nScenario 4, entitled fan-out: 1 publisher -> ${subscriberCount} subscribers, one topic, ~128-byte JSON trade, ${where}\n` +
      `${formatTable(['entitlement', 'deliveries/s', 'min - max', 'ratio to scenario 1', 'ratio to plain', 'module calls', 'messages delivered'], s4.rows)}\n` +
      `Module calls from GET /admin/entitlements after each run; expected ~${(s4.json as { expectedModuleCalls: number }).expectedModuleCalls} ` +
      `(${subscriberCount + 1} logons + ${subscriberCount} reads + 1 write + 1 admin check), whatever the number of messages.\n`;
    process.stdout.write(out);
  }
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`JSON written to ${opts.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
