// Micro-benchmark of the topic engine: route() cost on a cache hit (which must not depend on how
// many wildcard/regex subscriptions exist), on a miss, and of subscribing/unsubscribing against a
// warm cache. `npm run bench:topics` (from the repository root); `-- --help` for the options.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  DEFAULT_TOPIC_LIMITS,
  parseSubscriptionPattern,
  TopicEngine,
  type SubscriptionPattern,
} from '../server/topics/index.js';
import { formatTable } from './report.js';
import { commandLine, defineCommand } from './cli-options.js';
import { Progress } from './progress.js';

const HOT_TOPIC_COUNT = 1024; // power of two: the hit loop indexes with a mask
const HIT_ITERATIONS = 2_000_000;
const HIT_RUNS = 5;
const MISS_BUDGET_MS = 1_500;
const CHURN_BUDGET_MS = 750;
const SUBSCRIPTION_COUNTS = [10, 1_000, 10_000];
/** Measurements per subscription count: hits, add+remove wildcard, add+remove regex, misses. */
const STEPS_PER_COUNT = 4;

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:topics',
    node: 'dist/bench/topics-bench.js',
    summary: `The topic engine alone: route() on a cache hit and on a miss, and subscribe + unsubscribe against a
warm cache, with ${SUBSCRIPTION_COUNTS.join(', ')} wildcard and regex subscriptions. About 20 s; a line
on stderr per measurement. Prints a table, writes JSON.`,
    options: {
      out: { type: 'string', value: 'FILE', default: 'bench/results/topics.json', description: 'JSON results' },
    },
  }),
);

interface ScenarioResult {
  subscriptions: number;
  wildcardSubscriptions: number;
  regexSubscriptions: number;
  cachedRoutes: number;
  meanEntriesPerRoute: number;
  hitNsPerOp: number;
  missUsPerOp: number;
  missesMeasured: number;
  addRemoveWildcardUsPerOp: number;
  addRemoveRegexUsPerOp: number;
}

function pattern(spec: { topic?: string; regex?: string }): SubscriptionPattern {
  return parseSubscriptionPattern(spec, DEFAULT_TOPIC_LIMITS);
}

function hotTopic(i: number): string {
  return `sensors/site${i % 64}/dev${i}/temp`;
}

/** Half wildcard filters, half regexes; a mix that matches some hot topics and misses most. */
function subscriptionPatterns(count: number): SubscriptionPattern[] {
  const patterns: SubscriptionPattern[] = [];
  for (let i = 0; i < count; i++) {
    const n = i >> 1;
    if (i % 2 === 0) {
      const filters = [
        `sensors/site${n % 64}/+/temp`,
        `sensors/+/dev${n}/#`,
        `alerts/site${n}/#`,
        `+/site${n % 64}/dev${n}/+`,
      ];
      patterns.push(pattern({ topic: filters[n % filters.length] }));
    } else {
      const regexes = [
        `^sensors/site${n % 64}/dev${n}/`,
        `^alerts/.*/dev${n}$`,
        `dev${n}/temp$`,
        `^(sensors|alerts)/site${n % 97}/`,
      ];
      patterns.push(pattern({ regex: regexes[n % regexes.length] }));
    }
  }
  return patterns;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Keeps the JIT from discarding the measured work. */
let sink = 0;

function measureHits(engine: TopicEngine<number>, topics: readonly string[]): number {
  const mask = topics.length - 1;
  const perRun: number[] = [];
  // Run 0 only warms up the JIT and is discarded.
  for (let run = 0; run <= HIT_RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < HIT_ITERATIONS; i++) sink += engine.route(topics[i & mask]).entries.length;
    if (run > 0) perRun.push(Number(process.hrtime.bigint() - start) / HIT_ITERATIONS);
  }
  return median(perRun);
}

function measureMisses(engine: TopicEngine<number>): { usPerOp: number; count: number } {
  const deadline = performance.now() + MISS_BUDGET_MS;
  let count = 0;
  let elapsedNs = 0n;
  // Topics are built in batches outside the timed region so string building is not measured.
  while (performance.now() < deadline) {
    const batch: string[] = [];
    for (let i = 0; i < 256; i++) batch.push(`sensors/site${(count + i) % 64}/dev${count + i}/temp/fresh${count + i}`);
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch.length; i++) sink += engine.route(batch[i]).entries.length;
    elapsedNs += process.hrtime.bigint() - start;
    count += batch.length;
  }
  return { usPerOp: Number(elapsedNs) / count / 1000, count };
}

function measureAddRemove(engine: TopicEngine<number>, make: (i: number) => SubscriptionPattern): number {
  const patterns: SubscriptionPattern[] = [];
  for (let i = 0; i < 64; i++) patterns.push(make(i));
  const deadline = performance.now() + CHURN_BUDGET_MS;
  let count = 0;
  let elapsedNs = 0n;
  while (performance.now() < deadline) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < patterns.length; i++) engine.remove(engine.add(patterns[i], -1));
    elapsedNs += process.hrtime.bigint() - start;
    count += patterns.length;
  }
  return Number(elapsedNs) / count / 1000;
}

function runScenario(subscriptions: number, progress: Progress): ScenarioResult {
  const engine = new TopicEngine<number>({ routeCacheSize: 100_000 });
  const patterns = subscriptionPatterns(subscriptions);
  for (let i = 0; i < patterns.length; i++) engine.add(patterns[i], i);

  const topics: string[] = [];
  for (let i = 0; i < HOT_TOPIC_COUNT; i++) topics.push(hotTopic(i));
  let entries = 0;
  for (const topic of topics) entries += engine.route(topic).entries.length;

  const hitNsPerOp = measureHits(engine, topics);
  progress.step(`${subscriptions} subscriptions: cache hit ${hitNsPerOp.toFixed(1)} ns/op`);
  // Subscribe/unsubscribe cost with exactly the hot topics cached, before misses grow the cache.
  const addRemoveWildcardUsPerOp = measureAddRemove(engine, (i) => pattern({ topic: `sensors/+/dev${i}/#` }));
  progress.step(`${subscriptions} subscriptions: add+remove wildcard ${addRemoveWildcardUsPerOp.toFixed(1)} µs`);
  const addRemoveRegexUsPerOp = measureAddRemove(engine, (i) => pattern({ regex: `^sensors/site${i}/` }));
  progress.step(`${subscriptions} subscriptions: add+remove regex ${addRemoveRegexUsPerOp.toFixed(1)} µs`);
  const miss = measureMisses(engine);
  progress.step(`${subscriptions} subscriptions: cache miss ${miss.usPerOp.toFixed(2)} µs/op`);

  return {
    subscriptions,
    wildcardSubscriptions: patterns.filter((p) => p.kind === 'wildcard').length,
    regexSubscriptions: patterns.filter((p) => p.kind === 'regex').length,
    cachedRoutes: HOT_TOPIC_COUNT,
    meanEntriesPerRoute: entries / topics.length,
    hitNsPerOp,
    missUsPerOp: miss.usPerOp,
    missesMeasured: miss.count,
    addRemoveWildcardUsPerOp,
    addRemoveRegexUsPerOp,
  };
}

function printTable(results: readonly ScenarioResult[]): void {
  const header = [
    'subs (wildcard+regex)',
    'entries/route',
    'hit ns/op',
    'miss µs/op',
    'add+remove wildcard µs',
    'add+remove regex µs',
  ];
  const rows = results.map((r) => [
    `${r.subscriptions} (${r.wildcardSubscriptions}+${r.regexSubscriptions})`,
    r.meanEntriesPerRoute.toFixed(2),
    r.hitNsPerOp.toFixed(1),
    r.missUsPerOp.toFixed(2),
    r.addRemoveWildcardUsPerOp.toFixed(1),
    r.addRemoveRegexUsPerOp.toFixed(1),
  ]);
  console.log(formatTable(header, rows));
  console.log(`(${HOT_TOPIC_COUNT} cached routes during hit and add+remove measurements)`);
}

function main(): void {
  const progress = new Progress(SUBSCRIPTION_COUNTS.length * STEPS_PER_COUNT);
  const results = SUBSCRIPTION_COUNTS.map((count) => runScenario(count, progress));
  printTable(results);
  const outFile = resolve(opts.out);
  mkdirSync(dirname(outFile), { recursive: true });
  const report = {
    benchmark: 'topics',
    date: new Date().toISOString(),
    node: process.version,
    hotTopics: HOT_TOPIC_COUNT,
    hitIterations: HIT_ITERATIONS,
    results,
  };
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${outFile} (sink ${sink % 10})`);
}

main();
