// The long fuzz run (docs/benchmarks.md, "Fuzzing"): generated and mutated native frames (JSON,
// msgpack) and MQTT packets (3.1, 3.1.1, 5) against the real broker in a child process, checked
// after every batch (alive, nothing on stderr, control clients on both protocols still served).
// Prints inputs/s, failures (crashes first) and the broker's RSS trend; writes JSON.
//
//   npm run fuzz -- [--inputs 100000] [--seed N] [--max-seconds 3600] [--cases-per-batch 40]
//                   [--concurrency 8] [--sample-every N] [--no-minimize] [--from-batch B --batches K]
//                   [--replay FILE.json] [--out bench/results/fuzz.json]
//
// A failure names its seed and batch; `--seed S --from-batch B --batches 1` draws that batch
// again, and `--replay` runs the minimal case a report holds (its "minimal" object, or a list).
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { deserializeCase, mb, runFuzz, type FuzzReport, type SerializedCase } from './fuzz/fuzz-run.js';
import { FuzzSession } from './fuzz/fuzz-session.js';
import { formatTable } from './report.js';

const { values: opts } = parseArgs({
  options: {
    inputs: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    'max-seconds': { type: 'string', default: '3600' },
    'cases-per-batch': { type: 'string', default: '40' },
    concurrency: { type: 'string', default: '8' },
    'sample-every': { type: 'string' },
    'no-minimize': { type: 'boolean', default: false },
    'from-batch': { type: 'string', default: '0' },
    batches: { type: 'string' },
    replay: { type: 'string' },
    out: { type: 'string', default: 'bench/results/fuzz.json' },
  },
});

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function replay(file: string): Promise<void> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as SerializedCase | SerializedCase[];
  const cases = (Array.isArray(parsed) ? parsed : [parsed]).map(deserializeCase);
  const session = await FuzzSession.start();
  try {
    const result = await session.runBatch(cases, 1);
    process.stdout.write(
      result.failure === null
        ? `replayed ${cases.length} case(s): the broker held\n`
        : `replayed ${cases.length} case(s): ${result.failure.kind}: ${result.failure.message}\n`,
    );
    if (result.failure !== null) process.exitCode = 1;
  } finally {
    await session.stop();
  }
}

function print(report: FuzzReport): void {
  const rss = report.rss.map((s) => s.rssBytes);
  const summary = [
    ['inputs', report.inputs.toLocaleString('en-US')],
    ['cases (connections)', report.cases.toLocaleString('en-US')],
    ['seconds', report.seconds.toFixed(1)],
    ['inputs/s', Math.round(report.inputsPerSec).toLocaleString('en-US')],
    ['crashes', String(report.crashes)],
    ['other failures (stall, bad output, control)', String(report.failures.length - report.crashes)],
    ['error-level log lines (contained)', String(report.errorLogLines.count)],
    ['RSS start / end / max (MB)', `${mb(rss[0]!)} / ${mb(rss.at(-1)!)} / ${mb(Math.max(...rss))}`],
  ];
  // At most 12 rows of the trend: evenly spaced samples, the last one always shown.
  const step = Math.max(1, Math.ceil(report.rss.length / 12));
  const trend = report.rss
    .filter((_, i) => i % step === 0 || i === report.rss.length - 1)
    .map((s) => [s.inputs.toLocaleString('en-US'), mb(s.rssBytes)]);
  process.stdout.write(
    `\nWarden fuzz run, seed ${report.seed}${report.stoppedEarly ? ' (stopped at --max-seconds)' : ''}\n${formatTable(['measure', 'value'], summary)}\n\n` +
      `Broker RSS trend\n${formatTable(['inputs', 'RSS MB'], trend)}\n`,
  );
  for (const f of report.failures) {
    process.stdout.write(
      `\n${f.kind} in batch ${f.batch} (reproduce: --seed ${f.seed} --from-batch ${f.batch} --batches 1)\n${f.message.slice(0, 4000)}\n`,
    );
    if (f.minimal !== null) process.stdout.write(`minimal case: ${JSON.stringify(f.minimal)}\n`);
  }
}

async function main(): Promise<void> {
  if (opts.replay !== undefined) return replay(opts.replay);
  const inputs = positive('inputs', opts.inputs!);
  const seed = opts.seed === undefined ? (Math.random() * 2 ** 31) | 0 : Number(opts.seed);
  if (!Number.isSafeInteger(seed)) throw new Error('--seed must be an integer');
  log(`fuzz: seed ${seed}, ${inputs} inputs`);
  const report = await runFuzz(
    {
      seed,
      inputs,
      maxSeconds: positive('max-seconds', opts['max-seconds']!),
      casesPerBatch: Math.max(1, positive('cases-per-batch', opts['cases-per-batch']!)),
      concurrency: Math.max(1, positive('concurrency', opts.concurrency!)),
      sampleEvery: Math.max(
        1,
        opts['sample-every'] === undefined ? Math.ceil(inputs / 50) : positive('sample-every', opts['sample-every']),
      ),
      minimize: !opts['no-minimize'],
      log,
    },
    positive('from-batch', opts['from-batch']!),
    opts.batches === undefined ? Number.POSITIVE_INFINITY : positive('batches', opts.batches),
  );
  print(report);
  mkdirSync(dirname(opts.out!), { recursive: true });
  writeFileSync(
    opts.out!,
    `${JSON.stringify({ benchmark: 'fuzz', date: new Date().toISOString(), node: process.version, ...report }, null, 2)}\n`,
  );
  process.stdout.write(`JSON written to ${opts.out}\n`);
  if (report.failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
