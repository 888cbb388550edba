// Fan-out benchmark: one publisher, N subscribers on one topic, over the native protocol.
// The broker runs as its own process (the real CLI) pinned to one core where `taskset` exists;
// this process is the load generator, pinned to the other. Prints a table, writes JSON.
//
//   npm run bench:fanout -- [--subscribers 100] [--seconds 5] [--payload 128] [--encoding msgpack|json]
//                           [--window 2000] [--paced-rate 1000] [--runs 3] [--out bench/results/fanout.json]
//
// Each run has two phases: a saturating phase (publish as fast as the broker acks, at most
// --window messages in flight) for throughput and latency under load, then a paced phase at
// --paced-rate messages/s for latency when the broker is not saturated.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WebSocket } from 'ws';
import { Packr } from 'msgpackr';
import type { Encoding } from '../protocol/native.js';
import { startBrokerProcess, type BrokerProcess } from './broker-process.js';
import { floodPublish, now, openNative, setupCall, waitUntil } from './native-load.js';
import { percentile, formatTable } from './report.js';

const packr = new Packr({ useRecords: false });
const TOPIC = 'bench/fanout';
const LATENCY_SAMPLE_EVERY = 8;

const { values: opts } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '5' },
    payload: { type: 'string', default: '128' },
    encoding: { type: 'string', default: 'msgpack' },
    window: { type: 'string', default: '2000' },
    'paced-rate': { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench/results/fanout.json' },
  },
});
const subscriberCount = Number(opts.subscribers);
const seconds = Number(opts.seconds);
const payloadBytes = Number(opts.payload);
const encoding = opts.encoding as Encoding;
const windowSize = Number(opts.window);
const runs = Number(opts.runs);
const pacedRate = Number(opts['paced-rate']);
const PACED_SECONDS = 2;
if (encoding !== 'msgpack' && encoding !== 'json') throw new Error('--encoding must be msgpack or json');
if (payloadBytes < 8) throw new Error('--payload must be at least 8 bytes (it carries a timestamp)');

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
  const published = await floodPublish(publisher, encoding, frame, { seconds, window: windowSize, beforeSend: stampPublish });
  const expected = published * subscriberCount;
  await waitUntil(() => received >= expected, 30_000);
  const elapsed = (now() - started) / 1000;
  const genCpu = process.cpuUsage(genCpu0);
  const brokerCpuMs = broker.cpuMs() - brokerCpu0;
  if (received < expected) process.stderr.write(`warning: ${expected - received} deliveries missing after 30 s drain\n`);
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

async function main(): Promise<void> {
  const pinned = pinSelf(1);
  const broker = await startBrokerProcess({ cpu: pinned ? 0 : null });
  const results: RunResult[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const result = await runOnce(broker);
      results.push(result);
      process.stderr.write(`run ${r + 1}/${runs}: ${Math.round(result.deliveriesPerSec)} deliveries/s\n`);
    }
  } finally {
    await broker.stop();
  }
  const sorted = [...results].sort((a, b) => a.deliveriesPerSec - b.deliveriesPerSec);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const rows = [
    ['subscribers', String(subscriberCount)],
    ['payload bytes', String(payloadBytes)],
    ['encoding', encoding],
    ['runs', `${runs} x ${seconds}s`],
    ['deliveries/s (median)', Math.round(median.deliveriesPerSec).toLocaleString('en-US')],
    ['deliveries/s (min-max)', `${Math.round(sorted[0]!.deliveriesPerSec).toLocaleString('en-US')} - ${Math.round(sorted.at(-1)!.deliveriesPerSec).toLocaleString('en-US')}`],
    ['messages/s published', Math.round(median.published / median.seconds).toLocaleString('en-US')],
    ['latency p50 / p99 ms, saturated', `${median.p50Ms.toFixed(2)} / ${median.p99Ms.toFixed(2)}`],
    [`latency p50 / p99 ms, ${pacedRate} msg/s`, `${median.pacedP50Ms.toFixed(2)} / ${median.pacedP99Ms.toFixed(2)}`],
    ['broker CPU %', median.brokerCpuPct.toFixed(0)],
    ['generator CPU %', median.generatorCpuPct.toFixed(0)],
    ['pinned (taskset)', pinned ? 'broker core 0, generator core 1' : 'no'],
  ];
  process.stdout.write(`\nWarden fan-out: 1 publisher -> ${subscriberCount} subscribers\n${formatTable(['metric', 'value'], rows)}\n`);
  mkdirSync(dirname(opts.out!), { recursive: true });
  const report = {
    benchmark: 'fanout',
    date: new Date().toISOString(),
    node: process.version,
    params: { subscribers: subscriberCount, seconds, payloadBytes, encoding, window: windowSize, pacedRate, runs, pinned },
    median,
    runs: results,
  };
  writeFileSync(opts.out!, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`JSON written to ${join(process.cwd(), opts.out!)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
