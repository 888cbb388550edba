// bench:persist: what persistence costs (docs/persistence.md). Each broker is its own process
// pinned to core 0 with taskset where available; this process (the generator) pins itself to
// core 1. Prints markdown tables, writes JSON. `npm run bench:persist -- --help` lists the options.
//
// Scenario "queue" (bench/persist/offline-queue.ts): a subscriber connects with Clean Session 0,
//   subscribes at QoS 1 and leaves; one publisher publishes --messages QoS 1 messages, at most
//   --in-flight awaiting PUBACK: publish msgs/s (to the last PUBACK). The subscriber comes back
//   and drains them, acking each read's PUBLISHes: drain msgs/s, and exactly --messages delivered,
//   once each, in order. Per mode, one fresh broker per run: Warden with persistence.store memory;
//   on LMDB with sync none, batched and always, each in a fresh temp dir; Mosquitto with
//   persistence true (autosave_interval left at its default, 1800 s: it writes nothing to disk
//   during a run). The runs go round-robin over the modes, each round after a 4 KiB write + fsync
//   probe of the disk the stores are on (bench/persist/fsync-rate.ts: `always` waits for flushes)
//   and the store alone (bench/persist/store-commit.ts: --in-flight records put, then wait for
//   whenDurable(), per sync mode, against lmdb-js commits with noSync).
// Scenario "restart" (bench/persist/restart.ts): a store filled directly with LmdbStore
//   (bench/persist/fill-store.ts: --retained retained messages, --sessions sessions of absent
//   clients with --subscriptions subscriptions and --queued queued messages each) and an empty
//   one; the broker CLI started on each --runs times: spawn to `listening`, the broker's own
//   `state restored from the store` figures, RSS, and the time from SIGTERM to its exit.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { mosquittoSpec, wardenSpec, writeBytesOf, writeSyscallsOf, type PeerSpec } from './mqtt-load/brokers.js';
import { runOfflineQueue, type OfflineQueueResult } from './persist/offline-queue.js';
import { measureFsyncRate, type FsyncRate } from './persist/fsync-rate.js';
import { measureStoreCommit, type CommitVariant, type StoreCommit } from './persist/store-commit.js';
import { fillStore, type FillResult } from './persist/fill-store.js';
import { RESTART_LISTENER, measureRestart, type RestartResult } from './persist/restart.js';
import { PERSIST_COMMAND, persistOptions, type Mode, type PersistOptions } from './persist/options.js';
import { commandLine } from './cli-options.js';
import { formatTable } from './report.js';

function pinSelf(core: number): boolean {
  return spawnSync('taskset', ['-pc', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '');
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

const MODE_NAMES: Record<Mode, string> = {
  memory: 'Warden, store memory',
  none: 'Warden, lmdb sync none',
  batched: 'Warden, lmdb sync batched',
  always: 'Warden, lmdb sync always',
  mosquitto: 'Mosquitto, persistence true',
};

/** The broker for a mode, its bounds raised so that `messages` queued messages fit one session. */
function specFor(mode: Mode, o: PersistOptions): PeerSpec {
  // Held bytes per queued message (docs/mqtt.md "Held bytes": 256 + topic + 2.5x payload + 256), generously.
  const heldPerMessage = 3 * o.payloadBytes + 1024;
  const queuedBytes = Math.max(8 * MiB, o.messages * heldPerMessage);
  if (mode === 'mosquitto')
    return mosquittoSpec({
      name: MODE_NAMES[mode],
      // autosave_interval: the default (1800 s); max_queued_messages: the default 1000 would drop most.
      persistence: (dir) => ['persistence true', `persistence_location ${dir}/`, `max_queued_messages ${o.messages}`],
    });
  return wardenSpec({
    name: MODE_NAMES[mode],
    persistence: mode === 'memory' ? { store: 'memory' } : { store: 'lmdb', sync: mode },
    config: {
      mqtt: {
        sessions: {
          maxQueuedMessages: Math.max(1000, o.messages),
          maxQueuedBytes: queuedBytes,
          maxBytes: Math.max(256 * MiB, queuedBytes),
        },
      },
    },
    // At the drain every queued message waits in the connection's send queue or is in flight.
    mqttOptions: { maxSendQueueBytes: Math.min(1024 * MiB, Math.max(64 * MiB, o.messages * heldPerMessage)) },
  });
}

interface ModeReport {
  mode: Mode;
  name: string;
  version: string;
  runs: OfflineQueueResult[];
  error: string | null;
}

interface QueueReport {
  fsync: FsyncRate[];
  /** Per round, the store alone (store-commit.ts), one entry per variant. */
  storeCommit: StoreCommit[][];
  modes: ModeReport[];
}

const COMMIT_VARIANTS: readonly CommitVariant[] = ['batched', 'always', 'no-flush'];

async function runQueue(o: PersistOptions, pinned: boolean): Promise<QueueReport> {
  const reports: ModeReport[] = o.modes.map((mode) => ({
    mode,
    name: MODE_NAMES[mode],
    version: '',
    runs: [],
    error: null,
  }));
  const fsync: FsyncRate[] = [];
  const storeCommit: StoreCommit[][] = [];
  for (let r = 0; r < o.runs; r++) {
    const probe = measureFsyncRate(tmpdir(), o.fsyncSeconds);
    fsync.push(probe);
    process.stderr.write(
      `round ${r + 1}/${o.runs}: write 4 KiB + fsync in ${probe.dir}: ${fmt(probe.perSec)}/s (median ${probe.medianMs.toFixed(2)} ms)\n`,
    );
    const commits: StoreCommit[] = [];
    for (const variant of COMMIT_VARIANTS) {
      const c = await measureStoreCommit(tmpdir(), variant, o.inFlight, o.payloadBytes, 1);
      commits.push(c);
      process.stderr.write(
        `  the store alone, ${variant}: ${o.inFlight} puts + wait, median ${c.medianMs.toFixed(2)} ms, ` +
          `p90 ${c.p90Ms.toFixed(2)} ms, ${fmt(c.perSec)} records/s\n`,
      );
    }
    storeCommit.push(commits);
    for (const report of reports) {
      if (report.error !== null) continue;
      const spec = specFor(report.mode, o);
      const missing = spec.missing();
      if (missing !== null) {
        report.error = `skipped: ${missing}`;
        process.stderr.write(`  ${report.name}: ${report.error}\n`);
        continue;
      }
      const broker = await spec.start(pinned ? 0 : null);
      report.version = broker.version;
      try {
        const result = await runOfflineQueue({
          port: broker.port,
          messages: o.messages,
          inFlight: o.inFlight,
          payloadBytes: o.payloadBytes,
          runId: `persist-${report.mode}-${r}-${process.pid}`,
          brokerCpuMs: broker.cpuMs,
          brokerWriteBytes: () => writeBytesOf(broker.pid),
          brokerWriteSyscalls: () => writeSyscallsOf(broker.pid),
        });
        report.runs.push(result);
        const d = result.drain;
        process.stderr.write(
          `  ${report.name} (pid ${broker.pid}): publish ${fmt(result.publish.perSec)}/s ` +
            `(broker CPU ${result.publish.brokerCpuPct.toFixed(0)}%, generator ${result.publish.generatorCpuPct.toFixed(0)}%), ` +
            `drain ${fmt(d.perSec)}/s (broker CPU ${d.brokerCpuPct.toFixed(0)}%, generator ${d.generatorCpuPct.toFixed(0)}%), delivered ${d.delivered}/${o.messages}, ` +
            `out of order ${d.outOfOrder}, duplicates ${d.duplicates}, session present ${d.sessionPresent}\n`,
        );
      } catch (err) {
        report.error = err instanceof Error ? err.message : String(err);
        process.stderr.write(`  ${report.name}: failed: ${report.error}\n`);
      } finally {
        await broker.stop();
      }
      await settle(300);
    }
  }
  return { fsync, storeCommit, modes: reports };
}

/** Median run of a mode by `pick`, with the min and max. */
function spread(runs: readonly OfflineQueueResult[], pick: (r: OfflineQueueResult) => number) {
  const values = runs.map(pick);
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

function exact(o: PersistOptions, runs: readonly OfflineQueueResult[]): string {
  const bad = runs.filter(
    (r) =>
      r.publish.acked !== o.messages ||
      r.drain.delivered !== o.messages ||
      r.drain.outOfOrder > 0 ||
      r.drain.duplicates > 0 ||
      !r.drain.sessionPresent,
  );
  if (bad.length === 0) return `yes, ${runs.length}/${runs.length}`;
  return bad
    .map((r) => `NO: ${r.drain.delivered} delivered, ${r.drain.outOfOrder} out of order, ${r.drain.duplicates} dup`)
    .join('; ');
}

/** A counter per message, NaN when unknown. */
function perMessage(count: number | null, messages: number): number {
  return count === null ? Number.NaN : count / messages;
}

function queueTables(o: PersistOptions, q: QueueReport): string {
  const done = q.modes.filter((m) => m.runs.length > 0);
  const publishOf = (mode: Mode): number | null => {
    const m = done.find((x) => x.mode === mode);
    return m === undefined ? null : spread(m.runs, (r) => r.publish.perSec).median;
  };
  const memory = publishOf('memory');
  const rows = done.map((m) => {
    const pub = spread(m.runs, (r) => r.publish.perSec);
    const drain = spread(m.runs, (r) => r.drain.perSec);
    const cpu = median(m.runs.map((r) => r.publish.brokerCpuPct));
    const usPerMsg = median(m.runs.map((r) => (r.publish.brokerCpuPct * r.publish.seconds * 1e4) / o.messages));
    const written = median(m.runs.map((r) => perMessage(r.publish.writeBytes, o.messages)));
    const drainWritten = median(m.runs.map((r) => perMessage(r.drain.writeBytes, o.messages)));
    const syscalls = median(m.runs.map((r) => perMessage(r.publish.writeSyscalls, o.messages)));
    return [
      `${m.name} ${m.version}`,
      fmt(pub.median),
      `${fmt(pub.min)} - ${fmt(pub.max)}`,
      memory === null ? '' : `${(pub.median / memory).toFixed(2)}x`,
      fmt(drain.median),
      `${fmt(drain.min)} - ${fmt(drain.max)}`,
      exact(o, m.runs),
      `${cpu.toFixed(0)} / ${usPerMsg.toFixed(1)}`,
      `${fmt(written)} / ${fmt(drainWritten)}`,
      Number.isFinite(syscalls) ? syscalls.toFixed(3) : '',
    ];
  });
  const fsyncRates = q.fsync.map((f) => f.perSec);
  const fsyncMedian = q.fsync.length === 0 ? Number.NaN : median(fsyncRates);
  const lines: string[] = [];
  lines.push(
    `\nQoS 1 to an offline persistent subscriber (MQTT 3.1.1, Clean Session 0), then drained: ${fmt(o.messages)} messages, ` +
      `${o.inFlight} in flight, ${o.payloadBytes}-byte payload (median of ${o.runs} runs, a fresh broker each)\n`,
  );
  lines.push(
    formatTable(
      [
        'broker / store',
        'publish msgs/s',
        'min - max',
        '÷ memory',
        'drain msgs/s',
        'min - max',
        'all delivered once, in order',
        'publish: broker CPU % / µs per msg',
        'bytes written per msg: publish / drain',
        'publish: write syscalls per msg',
      ],
      rows,
    ),
  );
  for (const m of q.modes) if (m.error !== null) lines.push(`${m.name}: ${m.error}`);
  lines.push(
    `\nDisk flush rate (4 KiB write + fsync, ${o.fsyncSeconds} s, in ${q.fsync[0]?.dir ?? tmpdir()}), once per round: ` +
      `${q.fsync.map((f) => `${fmt(f.perSec)}/s (median ${f.medianMs.toFixed(2)} ms)`).join(', ')}; median ${fmt(fsyncMedian)}/s`,
  );
  lines.push(
    `\nThe store alone (bench/persist/store-commit.ts, in the generator's process): ${o.inFlight} queued-message ` +
      `records put, then wait for whenDurable(); \`no-flush\` is lmdb-js opened with noSync, waiting for the commit ` +
      `(median of the rounds' medians)\n`,
  );
  lines.push(
    formatTable(
      ['variant', 'one round, ms (median)', 'p90, ms', 'records/s', 'per round: median ms'],
      COMMIT_VARIANTS.map((variant) => {
        const runs = q.storeCommit.map((round) => round.find((c) => c.variant === variant)!);
        return [
          variant,
          median(runs.map((c) => c.medianMs)).toFixed(2),
          median(runs.map((c) => c.p90Ms)).toFixed(2),
          fmt(median(runs.map((c) => c.perSec))),
          runs.map((c) => c.medianMs.toFixed(2)).join(', '),
        ];
      }),
    ),
  );
  const batched = publishOf('batched');
  const mosquitto = publishOf('mosquitto');
  const always = publishOf('always');
  const verdict = (ratio: number, target: number): string =>
    `${ratio.toFixed(2)}x (target ≥ ${target.toFixed(1)}x): ${ratio >= target ? 'met' : 'NOT met'}`;
  lines.push('\nTargets (publish msgs/s, medians):');
  if (batched !== null && memory !== null) lines.push(`- batched ÷ memory: ${verdict(batched / memory, 0.7)}`);
  if (batched !== null && mosquitto !== null) lines.push(`- batched ÷ Mosquitto: ${verdict(batched / mosquitto, 1)}`);
  if (always !== null)
    lines.push(
      `- always: ${fmt(always)} msgs/s against ${fmt(fsyncMedian)} flushes/s of the disk: ` +
        `${(always / fsyncMedian).toFixed(1)} messages per flush's worth of time (${o.inFlight} in flight)`,
    );
  return `${lines.join('\n')}\n`;
}

interface RestartReport {
  fill: FillResult & { dataFileBytes: number };
  filled: RestartResult[];
  empty: RestartResult[];
}

async function runRestart(o: PersistOptions, pinned: boolean): Promise<RestartReport> {
  const work = mkdtempSync(join(tmpdir(), 'warden-persist-restart-'));
  try {
    const filledPath = join(work, 'filled');
    const emptyPath = join(work, 'empty');
    const fill = await fillStore({
      path: filledPath,
      retained: o.retained,
      sessions: o.sessions,
      subscriptionsPerSession: o.subscriptions,
      queuedPerSession: o.queued,
      payloadBytes: o.payloadBytes,
      listener: RESTART_LISTENER,
    });
    await fillStore({
      path: emptyPath,
      retained: 0,
      sessions: 0,
      subscriptionsPerSession: 1,
      queuedPerSession: 0,
      payloadBytes: o.payloadBytes,
      listener: RESTART_LISTENER,
    });
    const dataFileBytes = statSync(join(filledPath, 'data.mdb')).size;
    process.stderr.write(
      `filled a store with ${fmt(fill.retained)} retained, ${fmt(fill.sessions)} sessions, ${fmt(fill.messages)} queued ` +
        `messages in ${fmt(fill.ms)} ms (data.mdb ${(dataFileBytes / MiB).toFixed(1)} MiB)\n`,
    );
    const base = {
      configDir: work,
      cpu: pinned ? 0 : null,
      retained: o.retained,
      sessions: o.sessions,
      messagesPerSession: o.queued,
      payloadBytes: o.payloadBytes,
    };
    const filled: RestartResult[] = [];
    const empty: RestartResult[] = [];
    for (let r = 0; r < o.runs; r++) {
      for (const [label, path, out] of [
        ['empty', emptyPath, empty],
        ['filled', filledPath, filled],
      ] as const) {
        const result = await measureRestart({ ...base, storePath: path });
        out.push(result);
        process.stderr.write(
          `  start ${r + 1}/${o.runs} on the ${label} store: listening after ${fmt(result.listeningMs)} ms, ` +
            `restore ${result.restored === null ? '?' : `${result.restored.ms} ms, retained in after ${fmt(result.restored.retainedReadyMs)} ms`}, ` +
            `RSS ${(result.rssAtListeningKiB / 1024).toFixed(0)} -> ${(result.rssSettledKiB / 1024).toFixed(0)} MiB, ` +
            `SIGTERM to exit ${fmt(result.stopMs)} ms\n`,
        );
        await settle(300);
      }
    }
    return { fill: { ...fill, dataFileBytes }, filled, empty };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function restartTable(o: PersistOptions, r: RestartReport): string {
  const row = (label: string, runs: readonly RestartResult[]): string[] => {
    const listening = runs.map((x) => x.listeningMs);
    const restoreMs = runs.map((x) => x.restored?.ms ?? Number.NaN);
    const retainedReady = runs.map((x) => x.restored?.retainedReadyMs ?? Number.NaN);
    const last = runs.at(-1)?.restored ?? null;
    return [
      label,
      fmt(median(listening)),
      `${fmt(Math.min(...listening))} - ${fmt(Math.max(...listening))}`,
      fmt(median(restoreMs)),
      fmt(median(retainedReady)),
      last === null
        ? '?'
        : `${fmt(last.retained)} / ${fmt(last.sessions)} / ${fmt(last.messages)} / ${fmt(last.dropped)}`,
      (median(runs.map((x) => x.rssAtListeningKiB)) / 1024).toFixed(0),
      (median(runs.map((x) => x.rssSettledKiB)) / 1024).toFixed(0),
      fmt(median(runs.map((x) => x.stopMs))),
    ];
  };
  const f = r.fill;
  return (
    `\nRestart: the broker CLI started on an LMDB store (warm page cache; median of ${o.runs} starts each). Filled store: ` +
    `${fmt(f.retained)} retained messages, ${fmt(f.sessions)} sessions of absent clients with ${o.subscriptions} ` +
    `subscriptions and ${o.queued} queued QoS 1 messages each (${fmt(f.messages)} in all), ${o.payloadBytes}-byte ` +
    `payloads; data.mdb ${(f.dataFileBytes / MiB).toFixed(1)} MiB, filled in ${fmt(f.ms)} ms\n` +
    formatTable(
      [
        'store',
        'spawn -> listening, ms',
        'min - max',
        'restore ms before listening (broker log)',
        'spawn -> retained in, ms',
        'restored retained / sessions / messages / dropped',
        'RSS with retained in, MiB',
        'RSS 1 s later, MiB',
        'SIGTERM -> exit, ms',
      ],
      [row('empty', r.empty), row('filled', r.filled)],
    ) +
    '\n'
  );
}

async function main(): Promise<void> {
  const o = persistOptions(commandLine(PERSIST_COMMAND));
  const pinned = pinSelf(1);
  const pinning = pinned ? 'brokers on core 0, generator on core 1 (taskset)' : 'not pinned (no taskset)';
  // Other work on the machine moves these figures a lot (the 'always' mode waits for the disk).
  const loadBefore = loadavg();
  process.stderr.write(`bench:persist, ${pinning}, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`);
  const queue = o.scenarios.includes('queue') ? await runQueue(o, pinned) : null;
  if (queue !== null) process.stdout.write(queueTables(o, queue));
  const restart = o.scenarios.includes('restart') ? await runRestart(o, pinned) : null;
  if (restart !== null) process.stdout.write(restartTable(o, restart));

  const loadAfter = loadavg();
  process.stdout.write(
    `\nLoad average (1, 5, 15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(', ')}; ` +
      `after: ${loadAfter.map((l) => l.toFixed(2)).join(', ')}; ${pinning}\n`,
  );
  mkdirSync(dirname(o.out), { recursive: true });
  const report = {
    benchmark: 'persist',
    date: new Date().toISOString(),
    node: process.version,
    params: { ...o, pinned },
    loadAverage: { before: loadBefore, after: loadAfter },
    queue,
    restart,
  };
  writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`JSON written to ${resolve(o.out)}\n`);
}

// Stop on Ctrl-C / SIGTERM through process.exit, so the exit handlers kill the brokers.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
