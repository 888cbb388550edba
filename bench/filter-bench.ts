// Micro-benchmark of content filters: a compiled filter's test() against jsonata's own evaluate()
// on the same expressions and documents, in ns per evaluation. `npm run bench:filter` (from the
// repository root; `-- --help` for the options). Prints a table, writes bench/results/filter.json.
//
// Two settings: each expression measured on its own (its closures have only seen themselves, as in a
// broker with one filter), and a mix of 256 different filters tested round-robin, where the closures'
// shared code has seen many fields and shapes; the mix is what a busy broker sees.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import jsonata from 'jsonata';
import { compileFilter } from '../server/content/filter/index.js';
import { formatTable } from './report.js';
import { commandLine, defineCommand } from './cli-options.js';
import { Progress } from './progress.js';

const EXPRESSIONS = [
  'px > 100 and desk.region = "EU"',
  'sym in ["EURUSD", "GBPUSD", "USDJPY"] and $contains(desk.name, /^ldn/i)',
  '$exists(items[0].qty) and items[0].qty * px >= 1000 or $lowercase(desk.region) = "eu"',
];
const DOCUMENT_COUNT = 1024; // power of two: the loops index with a mask
const COMPILED_ITERATIONS = 5_000_000;
const COMPILED_RUNS = 5;
const JSONATA_ITERATIONS = 20_000;
const JSONATA_RUNS = 3;
const MIX_FILTERS = 256;
const MIX_COMPILED_MESSAGES = 4_000;
const MIX_JSONATA_MESSAGES = 40;

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:filter',
    node: 'dist/bench/filter-bench.js',
    summary: `Compiled content filters against jsonata's own evaluate(), ns per evaluation: ${EXPRESSIONS.length} expressions
each on its own, then a round-robin mix of ${MIX_FILTERS} filters. About 20 s; a line on stderr per
measurement. Prints a table, writes JSON.`,
    options: {
      out: { type: 'string', value: 'FILE', default: 'bench/results/filter.json', description: 'JSON results' },
    },
  }),
);

interface Result {
  expression: string;
  delivered: number;
  compiledNsPerOp: number;
  jsonataNsPerOp: number;
  speedup: number;
}

/** Keeps the JIT from discarding the measured work. */
let sink = 0;

function documents(): unknown[] {
  const regions = ['EU', 'US', 'eu', 'APAC'];
  const names = ['ldn-1', 'LDN-2', 'nyc-1', 'tky-3'];
  const symbols = ['EURUSD', 'GBPUSD', 'USDJPY', 'AUDNZD', 'EURGBP'];
  const out: unknown[] = [];
  for (let i = 0; i < DOCUMENT_COUNT; i++) {
    out.push({
      px: 50 + ((i * 37) % 120),
      sym: symbols[i % symbols.length],
      desk: { region: regions[i % regions.length], name: names[(i >> 2) % names.length] },
      items: i % 3 === 0 ? [] : [{ qty: (i % 17) + 1 }, { qty: 2 }],
      ts: 1_700_000_000_000 + i,
    });
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function measureCompiled(expression: string, docs: readonly unknown[]): number {
  const filter = compileFilter(expression);
  const mask = docs.length - 1;
  const perRun: number[] = [];
  // Run 0 only warms up the JIT and is discarded.
  for (let run = 0; run <= COMPILED_RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < COMPILED_ITERATIONS; i++) if (filter.test(docs[i & mask])) sink++;
    if (run > 0) perRun.push(Number(process.hrtime.bigint() - start) / COMPILED_ITERATIONS);
  }
  return median(perRun);
}

async function measureJsonata(expression: string, docs: readonly unknown[]): Promise<number> {
  const compiled = jsonata(expression);
  const mask = docs.length - 1;
  const perRun: number[] = [];
  for (let run = 0; run <= JSONATA_RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < JSONATA_ITERATIONS; i++) if ((await compiled.evaluate(docs[i & mask])) === true) sink++;
    if (run > 0) perRun.push(Number(process.hrtime.bigint() - start) / JSONATA_ITERATIONS);
  }
  return median(perRun);
}

/** Filters of several shapes over several fields, each with its own constants. */
function mixedExpressions(): string[] {
  const regions = ['EU', 'US', 'eu', 'APAC'];
  const templates: ((k: number) => string)[] = [
    (k) => `px > ${k % 120}`,
    (k) => `desk.region = "${regions[k % regions.length]}"`,
    (k) => `px > ${k % 120} and desk.region = "EU"`,
    (k) => `sym in ["EURUSD", "X${k}"]`,
    (k) => `$exists(items[0].qty) and items[0].qty > ${k % 17}`,
    (k) => `$contains(desk.name, "${k % 4}")`,
    (k) => `$contains(sym, /^${['EUR', 'GBP', 'USD'][k % 3]}/)`,
    (k) => `desk.name = "ldn-${k % 4}" or px < ${k % 120}`,
    (k) => `$lowercase(desk.region) = "eu" and ts % ${(k % 7) + 2} = 0`,
  ];
  const expressions: string[] = [];
  for (let k = 0; k < MIX_FILTERS; k++) expressions.push(templates[k % templates.length]!(k));
  return expressions;
}

function measureCompiledMix(expressions: readonly string[], docs: readonly unknown[]): number {
  const filters = expressions.map(compileFilter);
  const mask = docs.length - 1;
  const perRun: number[] = [];
  for (let run = 0; run <= COMPILED_RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let m = 0; m < MIX_COMPILED_MESSAGES; m++) {
      const document = docs[m & mask];
      for (let f = 0; f < filters.length; f++) if (filters[f]!.test(document)) sink++;
    }
    if (run > 0) perRun.push(Number(process.hrtime.bigint() - start) / (MIX_COMPILED_MESSAGES * filters.length));
  }
  return median(perRun);
}

async function measureJsonataMix(expressions: readonly string[], docs: readonly unknown[]): Promise<number> {
  const compiled = expressions.map((expression) => jsonata(expression));
  const perRun: number[] = [];
  for (let run = 0; run <= JSONATA_RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let m = 0; m < MIX_JSONATA_MESSAGES; m++) {
      const document = docs[m];
      for (const expression of compiled) if ((await expression.evaluate(document)) === true) sink++;
    }
    if (run > 0) perRun.push(Number(process.hrtime.bigint() - start) / (MIX_JSONATA_MESSAGES * compiled.length));
  }
  return median(perRun);
}

/** The benchmark is only meaningful if both sides decide the same; count deliveries while checking. */
async function checkAgreement(expression: string, docs: readonly unknown[]): Promise<number> {
  const filter = compileFilter(expression);
  const reference = jsonata(expression);
  let delivered = 0;
  for (const document of docs) {
    const expected = (await reference.evaluate(document)) === true;
    if (filter.test(document) !== expected)
      throw new Error(`${expression} disagrees with jsonata on ${JSON.stringify(document)}`);
    if (expected) delivered++;
  }
  return delivered;
}

async function main(): Promise<void> {
  const docs = documents();
  const results: Result[] = [];
  // Compiled and jsonata for each expression, then the mix's agreement check and both sides.
  const progress = new Progress(EXPRESSIONS.length * 2 + 3);
  for (const expression of EXPRESSIONS) {
    const delivered = await checkAgreement(expression, docs);
    const compiledNsPerOp = measureCompiled(expression, docs);
    progress.step(`${expression}: compiled ${compiledNsPerOp.toFixed(1)} ns/op`);
    const jsonataNsPerOp = await measureJsonata(expression, docs);
    progress.step(`${expression}: jsonata ${jsonataNsPerOp.toFixed(0)} ns/op`);
    results.push({ expression, delivered, compiledNsPerOp, jsonataNsPerOp, speedup: jsonataNsPerOp / compiledNsPerOp });
  }
  const mix = mixedExpressions();
  let mixDelivered = 0;
  for (const expression of mix) mixDelivered += await checkAgreement(expression, docs);
  progress.step(`mix of ${MIX_FILTERS} filters: compiled and jsonata agree`);
  const mixCompiled = measureCompiledMix(mix, docs);
  progress.step(`mix of ${MIX_FILTERS} filters: compiled ${mixCompiled.toFixed(1)} ns/op`);
  const mixJsonata = await measureJsonataMix(mix, docs);
  progress.step(`mix of ${MIX_FILTERS} filters: jsonata ${mixJsonata.toFixed(0)} ns/op`);
  results.push({
    expression: `mix of ${MIX_FILTERS} filters, round-robin`,
    delivered: mixDelivered / MIX_FILTERS,
    compiledNsPerOp: mixCompiled,
    jsonataNsPerOp: mixJsonata,
    speedup: mixJsonata / mixCompiled,
  });

  const header = ['expression', 'delivered', 'compiled ns/op', 'jsonata evaluate ns/op', 'speedup'];
  const rows = results.map((r) => [
    r.expression,
    `${Math.round(r.delivered)}/${DOCUMENT_COUNT}`,
    r.compiledNsPerOp.toFixed(1),
    r.jsonataNsPerOp.toFixed(0),
    `${r.speedup.toFixed(0)}x`,
  ]);
  console.log(formatTable(header, rows));

  const outFile = resolve(opts.out);
  mkdirSync(dirname(outFile), { recursive: true });
  const report = {
    benchmark: 'filter',
    date: new Date().toISOString(),
    node: process.version,
    documents: DOCUMENT_COUNT,
    compiledIterations: COMPILED_ITERATIONS,
    jsonataIterations: JSONATA_ITERATIONS,
    mixFilters: MIX_FILTERS,
    results,
  };
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${outFile} (sink ${sink % 10})`);
}

await main();
