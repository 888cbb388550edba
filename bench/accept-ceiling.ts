// How fast can Node accept MQTT logons at all on this machine? A bare node:net server that
// answers each connection's first bytes (its CONNECT) with a fixed CONNACK and keeps the socket
// open -- no parsing, sessions, security, timers or logging -- driven by the same storm generator
// as bench:peers scenario 6 (bench/mqtt-load/storm.ts), one run after another with Warden, each on
// a fresh process pinned to core 0 (this generator on core 1) where taskset exists. Warden's
// conn/s divided by this one is how close the logon path comes to Node's own accept cost.
//
//   node dist/bench/accept-ceiling.js [--clients 5000] [--concurrency 200] [--runs 3]
//                                     [--out bench/results/accept-ceiling.json]
//   node dist/bench/accept-ceiling.js --serve     (the bare server; prints {"port":N})
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { startNodePeer, wardenSpec, type PeerBroker } from './mqtt-load/brokers.js';
import { runStorm, type StormResult } from './mqtt-load/storm.js';
import { formatTable } from './report.js';

const CONNACK = Buffer.from([0x20, 2, 0, 0]);

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
  const { values: opts } = parseArgs({
    options: {
      clients: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '200' },
      runs: { type: 'string', default: '3' },
      out: { type: 'string', default: 'bench/results/accept-ceiling.json' },
    },
  });
  const clients = Number(opts.clients);
  const concurrency = Number(opts.concurrency);
  const runs = Number(opts.runs);
  if (!(runs >= 1 && runs <= 9)) throw new Error('--runs must be 1..9');
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
  mkdirSync(dirname(opts.out!), { recursive: true });
  writeFileSync(opts.out!, JSON.stringify({ clients, concurrency, runs, pinned, results }, null, 2));
}

if (process.argv.includes('--serve')) serve();
else await main();
