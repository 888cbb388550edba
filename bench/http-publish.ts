// bench:http: HTTP publish (POST /api/publish, docs/http.md) against a bare node:http server that
// answers 204, in the same run, with autocannon on the same keep-alive connections and the same
// JSON body. Prints a table (requests/s, p50 and p99 latency, the ratio to the bare server, and
// each server's CPU), then the median of each round's ratio (the two servers measured back to
// back); writes JSON; progress goes to stderr. `--help` for the options.
//
//   npm run bench:http -- [--connections 50] [--pipelining 1] [--seconds 10] [--warmup 2]
//                         [--runs 3] [--payload 64] [--out bench/results/http-publish.json]
//
// The broker is the real CLI (bench/broker-process.ts) with an HTTP publish listener, allow-any
// authentication and allow-all entitlement (the defaults; a keep-alive connection logs on once),
// and a subscriber on the topic (a raw native connection in this process that counts deliveries
// without decoding them, bench/native-raw), so every accepted publish is routed and delivered. Each autocannon connection sends the same Basic
// credentials and body. The broker and the bare server (bench/http/bare-server.ts) run pinned to
// core 0; this process, and with it the subscriber, to core 1 (taskset, where it exists).
import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { processCpuMs, startBrokerProcess, type BrokerProcess } from './broker-process.js';
import { commandLine } from './cli-options.js';
import { HTTP_BENCH, type HttpBenchOptions } from './http/options.js';
import { NativeFrameCounter } from './native-raw/frame-counter.js';
import { call, closeNativeClients, openNativeClient } from './native-raw/generator.js';
import { formatTable } from './report.js';

const TOPIC = 'bench/http';
const TASKSET = '/usr/bin/taskset';

interface Server {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
}

interface Run {
  readonly server: string;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Requests answered 2xx within the run. */
  readonly accepted: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** The server process's CPU over the run, as a share of one core. */
  readonly serverCpu: number;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function pinSelf(core: number): boolean {
  return (
    existsSync(TASKSET) &&
    spawnSync(TASKSET, ['-pc', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0
  );
}

/** The bare server, as a child process on `cpu` (null: unpinned); resolves once it listens. */
async function startBareServer(cpu: number | null): Promise<{ server: Server; stop(): Promise<void> }> {
  const script = join(import.meta.dirname, 'http/bare-server.js');
  const child =
    cpu === null
      ? spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn(TASKSET, ['-c', String(cpu), process.execPath, script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) =>
      resolve((JSON.parse(line) as { port: number }).port),
    );
    child.once('exit', (code) => reject(new Error(`the bare server exited with ${code} before listening`)));
  });
  return {
    server: { name: 'bare node:http (204)', url: `http://127.0.0.1:${port}/api/publish`, pid: child.pid! },
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return exited;
}

/**
 * The subscriber: a raw native connection (msgpack) in this process that counts deliveries
 * without decoding them (bench/native-raw), so it takes little from the load generator's core.
 */
async function startSubscriber(brokerUrl: string): Promise<{ count(): number; stop(): void }> {
  const counter = new NativeFrameCounter();
  const client = await openNativeClient(brokerUrl, counter);
  await call(client, { op: 'logon', rid: 1, user: 'bench-subscriber', password: 'x' });
  await call(client, { op: 'subscribe', rid: 2, sid: 1, topic: TOPIC });
  return { count: () => counter.deliveries, stop: () => closeNativeClients([client]) };
}

/** The broker's own count of accepted publishes (warden_messages_received_total, GET /metrics). */
async function publishedByBroker(adminUrl: string): Promise<number> {
  const res = await fetch(`${adminUrl}/metrics`, {
    headers: { authorization: `Basic ${Buffer.from('bench:bench').toString('base64')}` },
  });
  const line = /^warden_messages_received_total (\d+)$/m.exec(await res.text());
  if (line === null) throw new Error(`GET /metrics has no warden_messages_received_total (HTTP ${res.status})`);
  return Number(line[1]);
}

/** The subscriber's count once it reaches `expected`, or stops moving for 500 ms (deliveries still on their way). */
async function settledCount(count: () => number, expected: number): Promise<number> {
  let last = count();
  for (let still = 0; last < expected && still < 5;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = count();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}

async function load(server: Server, o: HttpBenchOptions, seconds: number): Promise<Run> {
  const body = JSON.stringify({ topic: TOPIC, data: { sym: 'EURUSD', px: 1.0825, note: 'x'.repeat(o.payload) } });
  const cpuBefore = processCpuMs(server.pid);
  const started = performance.now();
  const result = await autocannon({
    url: server.url,
    connections: o.connections,
    pipelining: o.pipelining,
    duration: seconds,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from('bench:bench').toString('base64')}`,
    },
    body,
  });
  const elapsedMs = performance.now() - started;
  return {
    server: server.name,
    requestsPerSec: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    accepted: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    serverCpu: (processCpuMs(server.pid) - cpuBefore) / elapsedMs,
  };
}

async function main(): Promise<void> {
  const o: HttpBenchOptions = commandLine(HTTP_BENCH);
  const pinned = pinSelf(1);
  const serverCpu = pinned ? 0 : null;
  if (!pinned) log('taskset is not available: the processes are not pinned (results are noisier)');
  let broker: BrokerProcess | null = null;
  let bare: Awaited<ReturnType<typeof startBareServer>> | null = null;
  let subscriber: Awaited<ReturnType<typeof startSubscriber>> | null = null;
  try {
    // The broker logs at info (startBrokerProcess reads its `listening` lines): an HTTP publish
    // connection's logon is at debug, and its audit line is one per connection, not per request.
    broker = await startBrokerProcess({ cpu: serverCpu, httpListenerOptions: {} });
    bare = await startBareServer(serverCpu);
    subscriber = await startSubscriber(broker.url);
    const servers: Server[] = [
      bare.server,
      { name: 'Warden POST /api/publish', url: broker.httpUrl!, pid: broker.pid },
    ];
    const runs: Run[] = [];
    for (const server of servers) {
      if (o.warmup === 0) break;
      log(`warm-up: ${server.name}, ${o.warmup} s`);
      await load(server, o, o.warmup);
    }
    for (let r = 1; r <= o.runs; r++) {
      for (const server of servers) {
        const run = await load(server, o, o.seconds);
        runs.push(run);
        log(
          `run ${r}/${o.runs}: ${server.name}: ${fmt(run.requestsPerSec)} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ` +
            `server CPU ${Math.round(run.serverCpu * 100)}%${run.non2xx + run.errors + run.timeouts > 0 ? `, ${run.non2xx} non-2xx, ${run.errors} errors, ${run.timeouts} timeouts` : ''}`,
        );
      }
    }
    // Counted by the broker: autocannon leaves out the requests still in flight when a run ends.
    const accepted = await publishedByBroker(broker.adminUrl!);
    const delivered = await settledCount(subscriber.count, accepted);
    report(o, servers, runs, delivered, accepted, pinned);
  } finally {
    subscriber?.stop();
    await bare?.stop();
    await broker?.stop();
  }
}

function report(
  o: HttpBenchOptions,
  servers: readonly Server[],
  runs: readonly Run[],
  delivered: number,
  accepted: number,
  pinned: boolean,
): void {
  const summary = servers.map((server) => {
    const mine = runs.filter((r) => r.server === server.name);
    return {
      server: server.name,
      requestsPerSec: median(mine.map((r) => r.requestsPerSec)),
      p50Ms: median(mine.map((r) => r.p50Ms)),
      p99Ms: median(mine.map((r) => r.p99Ms)),
      serverCpu: median(mine.map((r) => r.serverCpu)),
      /** Server CPU time per answered request, in µs: what each costs, whether or not the server was saturated. */
      cpuUsPerRequest: median(mine.map((r) => (r.serverCpu * 1e6) / r.requestsPerSec)),
      failures: mine.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
    };
  });
  const bareRate = summary[0]!.requestsPerSec;
  // Per round, the two servers measured one after the other: on a shared machine they share its
  // conditions, so the median of the rounds' ratios is steadier than the ratio of the medians.
  const perRound: number[] = [];
  for (let i = 0; i + 1 < runs.length; i += 2) perRound.push(runs[i + 1]!.requestsPerSec / runs[i]!.requestsPerSec);
  const ratio = median(perRound);
  console.log(
    `\nHTTP publish vs a bare node:http server: ${o.connections} connections, pipelining ${o.pipelining}, ` +
      `${o.seconds} s x ${o.runs} runs each (medians), ${pinned ? 'servers on core 0, load on core 1' : 'unpinned'}\n`,
  );
  console.log(
    formatTable(
      ['server', 'requests/s', 'p50 ms', 'p99 ms', 'ratio', 'server CPU', 'CPU µs/req', 'failed'],
      summary.map((s) => [
        s.server,
        fmt(s.requestsPerSec),
        String(s.p50Ms),
        String(s.p99Ms),
        (s.requestsPerSec / bareRate).toFixed(2),
        `${Math.round(s.serverCpu * 100)}%`,
        s.cpuUsPerRequest.toFixed(1),
        String(s.failures),
      ]),
    ),
  );
  console.log(
    `\nWarden / bare: ${ratio.toFixed(2)} (target >= 0.60), the median of the rounds' ratios ` +
      `(${perRound.map((r) => r.toFixed(2)).join(', ')}); ratio of the medians ${(summary[1]!.requestsPerSec / bareRate).toFixed(2)}.\n` +
      `Delivered to the subscriber: ${fmt(delivered)} of ${fmt(accepted)} accepted publishes.`,
  );
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(
    o.out,
    `${JSON.stringify(
      {
        bench: 'http-publish',
        date: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        loadavg: loadavg(),
        pinned,
        options: { ...o, help: undefined },
        summary,
        ratio,
        ratioPerRound: perRound,
        delivered,
        accepted,
        runs,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote ${o.out}`);
}

await main();
