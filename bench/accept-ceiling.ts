// How fast can Node accept MQTT logons at all on this machine? A bare node:net server that
// answers each connection's first bytes (its CONNECT) with a fixed CONNACK and keeps the socket
// open -- no parsing, sessions, security, timers or logging -- driven by the same storm generator
// as bench:peers scenario 6 (bench/mqtt-load/storm.ts), one run after another with Warden, each on
// a fresh process pinned to core 0 (this generator on core 1) where taskset exists. Warden's
// conn/s divided by this one is how close the logon path comes to Node's own accept cost.
// `npm run bench:accept-ceiling -- --help` lists the options; `--serve` is the bare server itself.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { startNodePeer, wardenSpec, type PeerBroker } from './mqtt-load/brokers.js';
import { runStorm, type StormResult } from './mqtt-load/storm.js';
import { formatTable } from './report.js';
import { commandLine, defineCommand } from './cli-options.js';
import { outOption, runsOption } from './common-options.js';
import { integerIn } from './option-values.js';

const CONNACK = Buffer.from([0x20, 2, 0, 0]);

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:accept-ceiling',
    node: 'dist/bench/accept-ceiling.js',
    summary: `How fast Node accepts MQTT logons at all: a bare node:net server answering every CONNECT with a fixed
CONNACK, against Warden, under bench:peers' connection storm, a fresh process per run. A line on
stderr per run. Prints conn/s and Warden's share of the ceiling, writes JSON.`,
    options: {
      clients: {
        type: 'string',
        value: 'N',
        default: '5000',
        parse: integerIn(1, 1_000_000),
        description: 'CONNECTs per run',
      },
      concurrency: {
        type: 'string',
        value: 'N',
        default: '200',
        parse: integerIn(1, 100_000),
        description: 'CONNECTs in flight, at most',
      },
      runs: runsOption(9),
      out: outOption('bench/results/accept-ceiling.json'),
      serve: {
        type: 'boolean',
        description: 'be the bare server (this program starts itself so); prints {"port":N}',
      },
    },
  }),
);

function serve(): void {
  const server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    socket.once('data', () => socket.write(CONNACK));
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
  });
}

async function main(): Promise<void> {
  const { clients, concurrency, runs } = opts;
  const pinned =
    existsSync('/usr/bin/taskset') &&
    spawnSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
  const cpu = pinned ? 0 : null;
  const warden = wardenSpec();
  const peers: { name: string; start: () => Promise<PeerBroker> }[] = [
    {
      name: 'bare Node accept',
      start: () => startNodePeer(cpu, 'bare Node accept', process.version, [process.argv[1]!, '--serve']),
    },
    { name: 'Warden', start: () => warden.start(cpu) },
  ];
  const results: Record<string, StormResult[]> = {};
  for (const peer of peers) {
    results[peer.name] = [];
    for (let run = 0; run < runs; run++) {
      const broker = await peer.start();
      try {
        await new Promise((r) => setTimeout(r, 1000)); // started up before "RSS before"
        const r = await runStorm({
          port: broker.port,
          clients,
          concurrency,
          runId: `ceiling-${run}-${process.pid}`,
          credentials: { username: 'bench', password: 'bench' },
          timeoutSeconds: 60,
          brokerPid: broker.pid,
          brokerCpuMs: broker.cpuMs,
        });
        process.stderr.write(
          `  ${peer.name} run ${run + 1}/${runs}: ${r.connected}/${clients} = ${Math.round(r.connectionsPerSec)} conn/s, ` +
            `broker CPU ${Math.round(r.brokerCpuPct)}%, ${r.kibPerConnection.toFixed(1)} KiB/conn\n`,
        );
        results[peer.name]!.push(r);
      } finally {
        await broker.stop();
      }
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rate = (name: string): number => median(results[name]!.map((r) => r.connectionsPerSec));
  /** Broker CPU time per connection, µs: moves less than the rate on a shared machine. */
  const cpuPerConn = (name: string): number =>
    median(results[name]!.map((r) => (r.brokerCpuPct * 1e4) / r.connectionsPerSec));
  const ceilingRate = rate('bare Node accept');
  const rows = peers.map(({ name }) => [
    name,
    Math.round(rate(name)).toLocaleString('en-US'),
    cpuPerConn(name).toFixed(0),
    (rate(name) / ceilingRate).toFixed(2),
  ]);
  process.stdout.write(
    `Connection storm against the bare Node accept ceiling: ${clients} CONNECTs, ${concurrency} in flight, ` +
      `median of ${runs}; ${pinned ? 'server on core 0, generator on core 1' : 'not pinned'}\n` +
      formatTable(['server', 'conn/s', 'server CPU µs/conn', '÷ ceiling'], rows) +
      '\n',
  );
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify({ clients, concurrency, runs, pinned, results }, null, 2));
}

if (opts.serve) serve();
else await main();
