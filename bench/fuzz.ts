// The long fuzz run (docs/benchmarks.md, "Fuzzing"): generated and mutated native frames (JSON,
// msgpack) and MQTT packets (3.1, 3.1.1, 5) against the real broker in a child process, checked
// after every batch (alive, nothing on stderr, control clients on both protocols still served).
// Prints inputs/s, failures (crashes first) and the broker's RSS trend; writes JSON.
// `npm run fuzz -- --help` lists the options.
//
// A failure names its seed and batch; `--seed S --from-batch B --batches 1` draws that batch
// again, and `--replay` runs the minimal case a report holds (its "minimal" object, or a list).
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deserializeCase, mb, runFuzz, type FuzzReport, type SerializedCase } from './fuzz/fuzz-run.js';
import { FuzzSession } from './fuzz/fuzz-session.js';
import { formatTable } from './report.js';
import { commandLine, defineCommand } from './cli-options.js';
import { integerIn } from './option-values.js';

const opts = commandLine(
  defineCommand({
    npmScript: 'fuzz',
    node: 'dist/bench/fuzz.js',
    summary: `The long fuzz run: generated and mutated native frames and MQTT packets against the real broker in a
child process, checked after every batch. Progress on stderr as it goes. Prints inputs/s, failures
and the broker's RSS trend, writes JSON. A failure names its seed and batch: --seed S --from-batch B
--batches 1 draws that batch again; --replay runs the minimal case a report holds.`,
    options: {
      inputs: {
        type: 'string',
        value: 'N',
        default: '100000',
        parse: integerIn(1, 1e9),
        description: 'inputs to generate',
      },
      seed: {
        type: 'string',
        value: 'N',
        defaultText: 'random',
        parse: integerIn(0, 2 ** 31 - 1),
        description: 'the seed of the generator',
      },
      'max-seconds': {
        type: 'string',
        value: 'S',
        default: '3600',
        parse: integerIn(1, 86_400),
        description: 'stop after this long, whatever is left',
      },
      'cases-per-batch': {
        type: 'string',
        value: 'N',
        default: '40',
        parse: integerIn(1, 100_000),
        description: 'cases (connections) between two checks of the broker',
      },
      concurrency: {
        type: 'string',
        value: 'N',
        default: '8',
        parse: integerIn(1, 1000),
        description: 'cases in flight',
      },
      'sample-every': {
        type: 'string',
        value: 'N',
        defaultText: '--inputs / 50',
        parse: integerIn(1, 1e9),
        description: "inputs between two samples of the broker's RSS",
      },
      'no-minimize': { type: 'boolean', description: 'report failing cases whole, without shrinking them' },
      'from-batch': {
        type: 'string',
        value: 'B',
        default: '0',
        parse: integerIn(0, 1e9),
        description: 'the first batch to draw (with --seed, to reproduce one)',
      },
      batches: {
        type: 'string',
        value: 'K',
        defaultText: 'until --inputs',
        parse: integerIn(1, 1e9),
        description: 'batches to draw',
      },
      replay: {
        type: 'string',
        value: 'FILE',
        description: "run the minimal case of a report (its 'minimal' object, or a list) and exit",
      },
      out: { type: 'string', value: 'FILE', default: 'bench/results/fuzz.json', description: 'JSON results' },
    },
  }),
);

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
  const inputs = opts.inputs;
  const seed = opts.seed ?? (Math.random() * 2 ** 31) | 0;
  log(`fuzz: seed ${seed}, ${inputs} inputs`);
  const report = await runFuzz(
    {
      seed,
      inputs,
      maxSeconds: opts['max-seconds'],
      casesPerBatch: opts['cases-per-batch'],
      concurrency: opts.concurrency,
      sampleEvery: opts['sample-every'] ?? Math.max(1, Math.ceil(inputs / 50)),
      minimize: !opts['no-minimize'],
      log,
    },
    opts['from-batch'],
    opts.batches ?? Number.POSITIVE_INFINITY,
  );
  print(report);
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(
    opts.out,
    `${JSON.stringify({ benchmark: 'fuzz', date: new Date().toISOString(), node: process.version, ...report }, null, 2)}\n`,
  );
  process.stdout.write(`JSON written to ${opts.out}\n`);
  if (report.failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
