// bench:http: HTTP publish (POST /api/publish, docs/http.md) against a bare node:http server that
// answers 204, in the same run, with autocannon on the same keep-alive connections and the same
// JSON body. Prints a table (requests/s, p50 and p99 latency, the ratio to the bare server, and
// each server's CPU), writes JSON; progress goes to stderr. `--help` for the options.
//
//   npm run bench:http -- [--connections 50] [--pipelining 1] [--seconds 10] [--warmup 2]
//                         [--runs 3] [--payload 64] [--out bench/results/http-publish.json]
//
// The broker is the real CLI (bench/broker-process.ts) with an HTTP publish listener, allow-any
// authentication and allow-all entitlement (the defaults; a keep-alive connection logs on once),
// and a native SDK subscriber on the topic in a process of its own (bench/http/subscriber.ts), so
// every accepted publish is routed and delivered. Each autocannon connection sends the same Basic
// credentials and body. The broker and the bare server (bench/http/bare-server.ts) run pinned to
// core 0; this process and the subscriber to core 1 (taskset, where it exists).
import autocannon from 'autocannon';
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { processCpuMs, startBrokerProcess, type BrokerProcess } from './broker-process.js';
import { parseHttpBenchArgs, USAGE, type HttpBenchOptions } from './http/options.js';
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
  /** Requests answered 2xx (for the broker: publishes accepted, each to be delivered once). */
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

function parseOrExit(): HttpBenchOptions {
  try {
    return parseHttpBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench:http: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

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

/** The subscriber process (core `cpu`); resolves once it is subscribed. */
async function startSubscriber(brokerUrl: string, cpu: number | null) {
  const script = join(import.meta.dirname, 'http/subscriber.js');
  const child = fork(script, [brokerUrl, TOPIC], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(cpu === null ? {} : { execPath: TASKSET, execArgv: ['-c', String(cpu), process.execPath] }),
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the subscriber exited with ${code} before subscribing`)));
  });
  return {
    count: () =>
      new Promise<number>((resolve) => {
        child.once('message', (m) => resolve((m as { count: number }).count));
        child.send('count');
      }),
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send('stop');
      await exited;
    },
  };
}

/** The subscriber's count once it reaches `expected`, or stops moving for 500 ms (deliveries still on their way). */
async function settledCount(count: () => Promise<number>, expected: number): Promise<number> {
  let last = await count();
  for (let still = 0; last < expected && still < 5;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await count();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}

async function load(server: Server, o: HttpBenchOptions, seconds: number): Promise<Run> {
  const body = JSON.stringify({ topic: TOPIC, data: { sym: 'EURUSD', px: 1.0825, note: 'x'.repeat(o.payloadBytes) } });
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
  const o = parseOrExit();
  if (o.help) {
    process.stdout.write(USAGE);
    return;
  }
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
    subscriber = await startSubscriber(broker.url, pinned ? 1 : null);
    const servers: Server[] = [
      bare.server,
      { name: 'Warden POST /api/publish', url: broker.httpUrl!, pid: broker.pid },
    ];
    const runs: Run[] = [];
    let accepted = 0;
    for (const server of servers) {
      if (o.warmup === 0) break;
      log(`warm-up: ${server.name}, ${o.warmup} s`);
      const warm = await load(server, o, o.warmup);
      if (server.pid === broker.pid) accepted += warm.accepted;
    }
    for (let r = 1; r <= o.runs; r++) {
      for (const server of servers) {
        const run = await load(server, o, o.seconds);
        runs.push(run);
        if (server.pid === broker.pid) accepted += run.accepted;
        log(
          `run ${r}/${o.runs}: ${server.name}: ${fmt(run.requestsPerSec)} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ` +
            `server CPU ${Math.round(run.serverCpu * 100)}%${run.non2xx + run.errors + run.timeouts > 0 ? `, ${run.non2xx} non-2xx, ${run.errors} errors, ${run.timeouts} timeouts` : ''}`,
        );
      }
    }
    const delivered = await settledCount(subscriber.count, accepted);
    report(o, servers, runs, delivered, accepted, pinned);
  } finally {
    await subscriber?.stop();
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
  const ratio = summary[1]!.requestsPerSec / bareRate;
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
    `\nWarden / bare: ${ratio.toFixed(2)} (target >= 0.60). Delivered to the subscriber: ${fmt(delivered)} of ${fmt(accepted)} accepted publishes.`,
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
