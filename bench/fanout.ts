// Fan-out benchmark: one publisher, N subscribers on one topic, over the native protocol.
// The broker runs as its own process (the real CLI) pinned to one core where `taskset` exists;
// this process is the load generator, pinned to the other. Prints a table, writes JSON.
// `npm run bench:fanout -- --help` lists the options.
//
// --transport picks the native listener's WebSocket engine; `both` runs ws and uWebSockets.js
// brokers turn about and prints them side by side.
//
// Each run has two phases: a saturating phase (publish as fast as the broker acks, at most
// --window messages in flight) for throughput and latency under load, then a paced phase at
// --paced-rate messages/s for latency when the broker is not saturated.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { WebSocket } from 'ws';
import { Packr } from 'msgpackr';
import type { Encoding } from '../protocol/native.js';
import { parseTransports, startBrokerProcess, type BenchTransport, type BrokerProcess } from './broker-process.js';
import { floodPublish, now, openNative, setupCall, waitUntil } from './native-load.js';
import { percentile, formatTable } from './report.js';
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

const packr = new Packr({ useRecords: false });
const TOPIC = 'bench/fanout';
const LATENCY_SAMPLE_EVERY = 8;

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:fanout',
    node: 'dist/bench/fanout.js',
    summary: `Native fan-out: 1 publisher -> N subscribers on one topic, the broker (the real CLI) in its own process.
Each run floods for --seconds (at most --window in flight), then publishes at --paced-rate for 2 s
for latency at a fixed load. Prints a table, writes JSON.`,
    options: {
      subscribers: subscribersOption(10_000),
      seconds: floodSecondsOption(120),
      payload: {
        type: 'string',
        value: 'N',
        default: '128',
        // It carries an 8-byte timestamp.
        parse: integerIn(8, 1024 * 1024),
        description: 'payload bytes',
      },
      encoding: encodingOption(),
      window: windowOption('messages in flight, at most, in the flood'),
      'paced-rate': {
        type: 'string',
        value: 'N',
        default: '1000',
        parse: integerIn(1, 100_000),
        description: 'messages/s in the paced phase',
      },
      runs: runsOption(9),
      out: outOption('bench/results/fanout.json'),
      transport: {
        type: 'string',
        default: 'ws',
        parse: (text: string) => parseTransports(text),
        description: 'WebSocket engine: ws, uws or both (alternating runs)',
      },
    },
  }),
);
const transports = opts.transport;
const subscriberCount = opts.subscribers;
const seconds = opts.seconds;
const payloadBytes = opts.payload;
const encoding: Encoding = opts.encoding;
const windowSize = opts.window;
const runs = opts.runs;
const pacedRate = opts['paced-rate'];
const PACED_SECONDS = 2;

/** Where the 8-byte timestamp sits, counted from the end of a delivery frame. */
function timestampOffsetFromEnd(): number {
  // msgpack: the payload is a bin at the very end of the frame. JSON: base64 text then `"}`.
  return encoding === 'msgpack' ? payloadBytes : Math.ceil(payloadBytes / 3) * 4 + 2;
}

function readTimestamp(frame: Buffer, fromEnd: number): number {
  if (encoding === 'msgpack') return frame.readDoubleLE(frame.length - fromEnd);
  const b64 = frame.toString('latin1', frame.length - fromEnd, frame.length - fromEnd + 12);
  return Buffer.from(b64, 'base64').readDoubleLE(0);
}

interface RunResult {
  published: number;
  deliveries: number;
  seconds: number;
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  pacedP50Ms: number;
  pacedP99Ms: number;
  brokerCpuPct: number;
  generatorCpuPct: number;
}

async function runOnce(broker: BrokerProcess): Promise<RunResult> {
  const subscribers: WebSocket[] = [];
  let received = 0;
  const latencies: number[] = [];
  const fromEnd = timestampOffsetFromEnd();
  for (let i = 0; i < subscriberCount; i++) {
    const ws = await openNative(broker.url, encoding);
    await setupCall(ws, encoding, { op: 'logon', rid: 1, user: `sub${i}` });
    await setupCall(ws, encoding, { op: 'subscribe', rid: 2, sid: 1, topic: TOPIC });
    let n = 0;
    ws.on('message', (frame: Buffer) => {
      received++;
      if (++n % LATENCY_SAMPLE_EVERY === 0) latencies.push(now() - readTimestamp(frame, fromEnd));
    });
    subscribers.push(ws);
  }
  const publisher = await openNative(broker.url, encoding);
  await setupCall(publisher, encoding, { op: 'logon', rid: 1, user: 'publisher' });

  // The publish frame is encoded once; each send stamps the time into the payload in place
  // (the client masks a copy, so mutating after send is safe).
  const payload = Buffer.alloc(payloadBytes, 0x61);
  let frame: Buffer;
  let stampAt: number;
  if (encoding === 'msgpack') {
    frame = packr.pack({ op: 'publish', topic: TOPIC, bytes: payload });
    stampAt = frame.length - payloadBytes;
  } else {
    frame = Buffer.from(JSON.stringify({ op: 'publish', topic: TOPIC, bytes: payload.toString('base64') }));
    stampAt = frame.indexOf('"bytes":"') + 9;
  }
  const stamp = Buffer.alloc(8);
  const stampPublish = (): void => {
    if (encoding === 'msgpack') frame.writeDoubleLE(now(), stampAt);
    else {
      stamp.writeDoubleLE(now(), 0);
      frame.write(Buffer.concat([stamp, payload.subarray(8, 9)]).toString('base64'), stampAt, 'latin1');
    }
  };

  const brokerCpu0 = broker.cpuMs();
  const genCpu0 = process.cpuUsage();
  const started = now();
  const published = await floodPublish(publisher, encoding, frame, {
    seconds,
    window: windowSize,
    beforeSend: stampPublish,
  });
  const expected = published * subscriberCount;
  await waitUntil(() => received >= expected, 30_000);
  const elapsed = (now() - started) / 1000;
  const genCpu = process.cpuUsage(genCpu0);
  const brokerCpuMs = broker.cpuMs() - brokerCpu0;
  if (received < expected)
    process.stderr.write(`warning: ${expected - received} deliveries missing after 30 s drain\n`);
  const saturated = latencies.splice(0).sort((a, b) => a - b);

  // Paced phase: a burst every millisecond at the configured rate.
  const perTick = pacedRate / 1000;
  const pacedEnd = now() + PACED_SECONDS * 1000;
  let owed = 0;
  let pacedPublished = 0;
  const pacedStartReceived = received;
  while (now() < pacedEnd) {
    owed += perTick;
    for (; owed >= 1; owed--) {
      stampPublish();
      publisher.send(frame, { binary: encoding === 'msgpack' });
      pacedPublished++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const pacedExpected = pacedStartReceived + pacedPublished * subscriberCount;
  await waitUntil(() => received >= pacedExpected, 10_000);
  const paced = latencies.splice(0).sort((a, b) => a - b);
  for (const ws of [...subscribers, publisher]) ws.terminate();
  return {
    published,
    deliveries: received,
    seconds: elapsed,
    deliveriesPerSec: received / elapsed,
    p50Ms: percentile(saturated, 0.5),
    p99Ms: percentile(saturated, 0.99),
    pacedP50Ms: percentile(paced, 0.5),
    pacedP99Ms: percentile(paced, 0.99),
    brokerCpuPct: (brokerCpuMs / 1000 / elapsed) * 100,
    generatorCpuPct: ((genCpu.user + genCpu.system) / 1e6 / elapsed) * 100,
  };
}

function pinSelf(core: number): boolean {
  return spawnSync('taskset', ['-pc', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** The median run (by deliveries/s) and the min-max, of one transport's runs. */
function summarizeRuns(results: readonly RunResult[]): { median: RunResult; min: number; max: number } {
  const sorted = [...results].sort((a, b) => a.deliveriesPerSec - b.deliveriesPerSec);
  return {
    median: sorted[Math.floor(sorted.length / 2)]!,
    min: sorted[0]!.deliveriesPerSec,
    max: sorted.at(-1)!.deliveriesPerSec,
  };
}

async function main(): Promise<void> {
  const pinned = pinSelf(1);
  // One broker per transport, started up front; runs alternate between them so that drift in the
  // machine's load affects both alike (an idle broker costs nothing meanwhile).
  const brokers = new Map<BenchTransport, BrokerProcess>();
  const results = new Map<BenchTransport, RunResult[]>(transports.map((t) => [t, []]));
  try {
    for (const t of transports) brokers.set(t, await startBrokerProcess({ cpu: pinned ? 0 : null, transport: t }));
    for (let r = 0; r < runs; r++) {
      for (const t of transports) {
        const result = await runOnce(brokers.get(t)!);
        results.get(t)!.push(result);
        process.stderr.write(`run ${r + 1}/${runs} ${t}: ${Math.round(result.deliveriesPerSec)} deliveries/s\n`);
      }
    }
  } finally {
    for (const broker of brokers.values()) await broker.stop();
  }
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const summaries = transports.map((t) => summarizeRuns(results.get(t)!));
  const row = (metric: string, cell: (s: ReturnType<typeof summarizeRuns>) => string): string[] => [
    metric,
    ...summaries.map(cell),
  ];
  const rows = [
    row('deliveries/s (median)', (s) => fmt(s.median.deliveriesPerSec)),
    row('deliveries/s (min-max)', (s) => `${fmt(s.min)} - ${fmt(s.max)}`),
    row('messages/s published', (s) => fmt(s.median.published / s.median.seconds)),
    row('latency p50 / p99 ms, saturated', (s) => `${s.median.p50Ms.toFixed(2)} / ${s.median.p99Ms.toFixed(2)}`),
    row(
      `latency p50 / p99 ms, ${pacedRate} msg/s`,
      (s) => `${s.median.pacedP50Ms.toFixed(2)} / ${s.median.pacedP99Ms.toFixed(2)}`,
    ),
    row('broker CPU %', (s) => s.median.brokerCpuPct.toFixed(0)),
    row('generator CPU %', (s) => s.median.generatorCpuPct.toFixed(0)),
  ];
  if (transports.length === 2) {
    const [ws, uws] = summaries as [ReturnType<typeof summarizeRuns>, ReturnType<typeof summarizeRuns>];
    rows.push(['uws / ws, deliveries/s', '', (uws.median.deliveriesPerSec / ws.median.deliveriesPerSec).toFixed(2)]);
  }
  const setup =
    `${subscriberCount} subscribers, ${payloadBytes}-byte payload, ${encoding}, ${runs} x ${seconds}s, ` +
    (pinned ? 'broker core 0, generator core 1' : 'not pinned (no taskset)');
  process.stdout.write(
    `\nWarden fan-out: 1 publisher -> ${subscriberCount} subscribers (${setup})\n${formatTable(['metric', ...transports], rows)}\n`,
  );
  mkdirSync(dirname(opts.out), { recursive: true });
  const report = {
    benchmark: 'fanout',
    date: new Date().toISOString(),
    node: process.version,
    params: {
      subscribers: subscriberCount,
      seconds,
      payloadBytes,
      encoding,
      window: windowSize,
      pacedRate,
      runs,
      pinned,
      transports,
    },
    ...Object.fromEntries(transports.map((t, i) => [t, { median: summaries[i]!.median, runs: results.get(t)! }])),
  };
  writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`JSON written to ${resolve(opts.out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
