// Memory per idle MQTT-over-TCP connection (issue 13). Starts the broker CLI as a child process
// (its own heap, its own RSS), opens --clients MQTT 3.1.1 connections (CONNECT, keepalive 60 s,
// CONNACK awaited, --concurrency in flight), waits with all of them idle, and reports:
//   - RSS growth per connection: (VmRSS idle with the clients - VmRSS before) / clients;
//   - heap growth per connection and its breakdown by constructor (or node type for strings,
//     arrays, closures...): two V8 heap snapshots of the broker (SIGUSR2, --heapsnapshot-signal),
//     one with the clients connected and one after they have all gone, diffed by self size.
// RSS is measured before any snapshot, since writing one grows the broker's RSS.
//
// V8's young generation grows its semi-spaces (1 -> 16 MiB each by default) under the allocation
// of a storm; that growth is paid once, not per connection, yet lands in an RSS difference taken
// over one storm. --warmup N first connects and closes N clients, so the young generation has
// already grown; --semi-space MiB pins it (--min/--max-semi-space-size) instead. Both are printed.
// `npm run bench:heap -- --help` lists the options.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import mqttPacket from 'mqtt-packet';
import { freePort, loopbackBenchConfig, waitForConnect } from './mqtt-load/brokers.js';
import { openFileLimit, rssKiB } from './mqtt-load/storm.js';
import { DISCONNECT } from './mqtt-load/packets.js';
import { formatTable } from './report.js';
import { commandLine, defineCommand } from './cli-options.js';
import { integerIn } from './option-values.js';
import { Progress } from './progress.js';

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:heap',
    node: 'dist/bench/heap-per-connection.js',
    summary: `Memory per idle MQTT-over-TCP connection: a broker process, --clients connections held idle, then RSS
growth per connection and heap growth by constructor (two heap snapshots of the broker, diffed).
Progress on stderr. Prints tables, writes JSON.`,
    options: {
      clients: {
        type: 'string',
        value: 'N',
        default: '5000',
        parse: integerIn(1, 1_000_000),
        description: 'idle connections (under ulimit -n)',
      },
      concurrency: {
        type: 'string',
        value: 'N',
        default: '200',
        parse: integerIn(1, 100_000),
        description: 'CONNECTs in flight, at most',
      },
      warmup: {
        type: 'string',
        value: 'N',
        default: '2000',
        parse: integerIn(0, 1_000_000),
        description: "clients connected and closed first, so V8's young generation has grown (at most --clients)",
      },
      'semi-space': {
        type: 'string',
        value: 'MIB',
        default: '0',
        parse: integerIn(0, 1024),
        description: "the broker's semi-space size, pinned (0: Node's default)",
      },
      cli: {
        type: 'string',
        value: 'FILE',
        default: join(import.meta.dirname, '../server/cli.js'),
        description: 'the broker CLI to start',
      },
      top: {
        type: 'string',
        value: 'N',
        default: '20',
        parse: integerIn(1, 1000),
        description: 'constructors listed in the heap breakdown',
      },
      'settle-ms': {
        type: 'string',
        value: 'MS',
        default: '1500',
        parse: integerIn(0, 60_000),
        description: 'wait with the clients idle before measuring',
      },
      out: {
        type: 'string',
        value: 'FILE',
        default: 'bench/results/heap-per-connection.json',
        description: 'JSON results',
      },
    },
  }),
  (o) => {
    if (o.clients + 100 >= openFileLimit()) throw new Error('--clients must be under ulimit -n');
    if (o.warmup > o.clients) throw new Error('--warmup must be in [0, --clients]');
  },
);

const { clients, concurrency, warmup, top } = opts;
const semiSpace = opts['semi-space'];
const settleMs = opts['settle-ms'];

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Broker {
  child: ChildProcess;
  port: number;
  dir: string;
}

async function startBroker(): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-heap-'));
  const config = join(dir, 'bench.yaml');
  const port = await freePort();
  writeFileSync(
    config,
    JSON.stringify({
      ...loopbackBenchConfig(),
      listeners: [{ name: 'mqtt', protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port }],
    }),
  );
  const nodeArgs = ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`];
  if (semiSpace > 0) nodeArgs.push(`--min-semi-space-size=${semiSpace}`, `--max-semi-space-size=${semiSpace}`);
  const child = spawn(process.execPath, [...nodeArgs, opts.cli, '--config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForConnect(port, child, 'the broker');
  return { child, port, dir };
}

/** Connect, CONNECT (keepalive 60 s: the broker keeps a keepalive timer per connection), await CONNACK 0. */
function connectOne(port: number, clientId: string, sockets: Socket[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    sockets.push(socket);
    const packet = mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId,
      clean: true,
      keepalive: 60,
    });
    let got = Buffer.alloc(0);
    socket.on('data', function onData(chunk: Buffer) {
      got = Buffer.concat([got, chunk]);
      if (got.length < 4) return;
      socket.removeListener('data', onData);
      if (got[0] === 0x20 && got[3] === 0) resolve();
      else reject(new Error(`${clientId}: no CONNACK 0`));
    });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(packet));
  });
}

async function connectAll(port: number, count: number, prefix: string, sockets: Socket[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await connectOne(port, `${prefix}-${next++}`, sockets);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function closeAll(sockets: Socket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed) return resolve();
          s.once('close', () => resolve());
          s.end(DISCONNECT);
        }),
    ),
  );
  sockets.length = 0;
}

/** Ask the broker for a heap snapshot and wait until the file is complete; returns its path. */
async function snapshot(broker: Broker): Promise<string> {
  const before = new Set(readdirSync(broker.dir));
  broker.child.kill('SIGUSR2');
  const deadline = Date.now() + 120_000;
  for (;;) {
    await sleep(200);
    const file = readdirSync(broker.dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file !== undefined) {
      const path = join(broker.dir, file);
      // Written in one go by the main thread; the snapshot is whole once its size stops moving
      // and the JSON closes.
      const size = statSync(path).size;
      await sleep(300);
      if (size > 0 && statSync(path).size === size && readFileSync(path).subarray(-4).toString().includes(']}'))
        return path;
    }
    if (Date.now() > deadline) throw new Error('no heap snapshot within 120 s');
  }
}

interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self sizes summed per "constructor": an object's or native's name, otherwise the node type. */
function sizesByKind(path: string): { total: number; kinds: Map<string, { bytes: number; count: number }> } {
  const json = JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotJson;
  const fields = json.snapshot.meta.node_fields;
  const types = json.snapshot.meta.node_types[0];
  const width = fields.length;
  const TYPE = fields.indexOf('type');
  const NAME = fields.indexOf('name');
  const SIZE = fields.indexOf('self_size');
  const kinds = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  const nodes = json.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + TYPE]!]!;
    const size = nodes[i + SIZE]!;
    total += size;
    // Closures by function name too: which code allocates one per connection is the question.
    const named = type === 'object' || type === 'native' || type === 'closure';
    const key = named ? `${json.strings[nodes[i + NAME]!] || '(anonymous)'} (${type})` : `(${type})`;
    const entry = kinds.get(key);
    if (entry === undefined) kinds.set(key, { bytes: size, count: 1 });
    else {
      entry.bytes += size;
      entry.count++;
    }
  }
  return { total, kinds };
}

async function main(): Promise<void> {
  const broker = await startBroker();
  const sockets: Socket[] = [];
  // Warm-up, the idle clients, and two heap snapshots (each can take a while on a large heap).
  const progress = new Progress((warmup > 0 ? 1 : 0) + 3);
  try {
    if (warmup > 0) {
      await connectAll(broker.port, warmup, 'warmup', sockets);
      await closeAll(sockets);
      await sleep(settleMs);
      progress.step(`warm-up: ${warmup} clients connected and closed`);
    }
    const rssBefore = rssKiB(broker.child.pid!);
    const started = performance.now();
    await connectAll(broker.port, clients, 'idle', sockets);
    const seconds = (performance.now() - started) / 1000;
    await sleep(settleMs);
    const rssIdle = rssKiB(broker.child.pid!);
    progress.step(`${clients} idle connections in ${seconds.toFixed(2)} s; RSS ${rssBefore} -> ${rssIdle} KiB`);
    const withClients = await snapshot(broker);
    progress.step('heap snapshot with the clients connected');
    await closeAll(sockets);
    await sleep(settleMs);
    const without = await snapshot(broker);
    progress.step('heap snapshot after they have gone');
    const a = sizesByKind(withClients);
    rmSync(withClients);
    const b = sizesByKind(without);
    rmSync(without);
    const diff = [...a.kinds].map(([kind, x]) => {
      const y = b.kinds.get(kind) ?? { bytes: 0, count: 0 };
      return {
        kind,
        bytesPerConnection: (x.bytes - y.bytes) / clients,
        countPerConnection: (x.count - y.count) / clients,
      };
    });
    diff.sort((p, q) => q.bytesPerConnection - p.bytesPerConnection);
    const heapPerConnection = (a.total - b.total) / clients;
    const result = {
      clients,
      warmup,
      semiSpaceMiB: semiSpace,
      cli: resolve(opts.cli),
      rssBeforeKiB: rssBefore,
      rssIdleKiB: rssIdle,
      rssKiBPerConnection: (rssIdle - rssBefore) / clients,
      heapBytesPerConnection: heapPerConnection,
      breakdown: diff.filter((d) => Math.abs(d.bytesPerConnection) >= 1),
    };
    const shown = diff.slice(0, top);
    const rest = diff.slice(top).reduce((s, d) => s + d.bytesPerConnection, 0);
    process.stdout.write(
      `Memory per idle MQTT-over-TCP connection: ${clients} clients, warm-up ${warmup}, ` +
        `semi-space ${semiSpace === 0 ? 'Node default' : `${semiSpace} MiB fixed`}\n` +
        formatTable(
          ['figure', 'value'],
          [
            ['RSS growth / connection', `${result.rssKiBPerConnection.toFixed(2)} KiB`],
            ['V8 heap growth / connection (snapshot diff)', `${heapPerConnection.toFixed(0)} B`],
          ],
        ) +
        '\n\nHeap growth per connection by constructor (self size; top ' +
        `${top}, the rest ${rest.toFixed(0)} B)\n` +
        formatTable(
          ['constructor (type)', 'B/conn', 'objects/conn'],
          shown.map((d) => [d.kind, d.bytesPerConnection.toFixed(0), d.countPerConnection.toFixed(2)]),
        ) +
        '\n',
    );
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(result, null, 2));
    log(`wrote ${opts.out}`);
  } finally {
    for (const s of sockets) s.destroy();
    const exited = new Promise((r) => broker.child.once('exit', r));
    if (broker.child.exitCode === null) broker.child.kill('SIGTERM');
    await exited;
    rmSync(broker.dir, { recursive: true, force: true });
  }
}

await main();
