// Regex subscriptions under attack (`bench:abuse` attack 2, in more detail), at the default
// topics.regex limits.
//
// Part 1, the topic engine in isolation: adversarial regex families fill the broker-wide budget
// (through RegexBudget, as subscribes would, with as many users as it takes), 400 more users
// subscribe to the first regex, 100,000 routes are cached; then the worst publish to a new 1 KB
// topic (route() on a miss), the worst subscribe (compile, charge, add) and the worst catch-up of
// a cached route. One row shows the behaviour before the budget, for comparison (fewer regexes,
// re2js's 8 MiB DFA, no budget).
// Part 2, a real broker (child process, default config): 400 users subscribe to attack 2's
// pattern, 100 more try distinct variants, one publisher sends 20 new 1 KB topics with acks;
// RSS of the broker before and after, the slowest publish ack, and what the attackers got.
//
// `npm run bench:regex` (`node --expose-gc dist/bench/regex-bench.js`; `--help` for the options).
// Prints tables; writes bench/results/regex.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { connect, WardenError, type Client } from '../client/index.js';
import { parseConfig } from '../server/config/index.js';
import { RegexBudget, TopicEngine, type RegexLease, type TopicLimits } from '../server/topics/index.js';
import { startBrokerProcess } from './broker-process.js';
import { formatTable } from './report.js';
import { commandLine, defineCommand } from './cli-options.js';
import { integerIn, oneOf } from './option-values.js';
import { Progress } from './progress.js';

const CACHED_ROUTES = 100_000;
const NEW_TOPICS = 5;
const SHARED_SUBSCRIBERS = 400;
const ATTACK = '[ab]*a[ab]{900}c';

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:regex',
    node: '--expose-gc dist/bench/regex-bench.js',
    summary: `Regex subscriptions under attack at the topics.regex limits. Part 1: the topic engine alone, adversarial
regex families filling the budget, the worst publish to a new topic, subscribe and catch-up. Part 2:
a broker process, ${SHARED_SUBSCRIBERS} users subscribing to ${ATTACK}, 100 more trying variants, publishes with acks.
A line on stderr per family and part. Prints tables, writes JSON.`,
    options: {
      'total-program-size': {
        type: 'string',
        value: 'N',
        defaultText: 'the config default',
        parse: integerIn(1, 1e9),
        description: 'topics.regex.maxTotalProgramSize to explore',
      },
      'match-state-bytes': {
        type: 'string',
        value: 'N',
        defaultText: 'the config default',
        parse: integerIn(1, 1e9),
        description: 'topics.regex.maxMatchStateBytes to explore',
      },
      only: {
        type: 'string',
        defaultText: 'both',
        parse: oneOf(['engine', 'broker'] as const),
        description: 'run only part 1 (engine) or part 2 (broker)',
      },
      out: { type: 'string', value: 'FILE', default: 'bench/results/regex.json', description: 'JSON results' },
    },
  }),
);
const regexOverrides: Record<string, number> = {};
if (opts['total-program-size'] !== undefined) regexOverrides.maxTotalProgramSize = opts['total-program-size'];
if (opts['match-state-bytes'] !== undefined) regexOverrides.maxMatchStateBytes = opts['match-state-bytes'];
const defaults = parseConfig({ topics: { regex: regexOverrides } }).topics;
const limitsLabel = Object.keys(regexOverrides).length === 0 ? 'defaults' : JSON.stringify(regexOverrides);
const topicLimits: TopicLimits = {
  maxTopicLength: defaults.maxTopicLength,
  maxLevels: defaults.maxLevels,
  maxRegexLength: defaults.maxRegexLength,
  maxRegexProgramSize: defaults.regex.maxProgramSize,
  maxRegexMatchStateBytes: defaults.regex.maxMatchStateBytes,
};

let seed = 1;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed >> 16;
}
function stringOf(length: number, alphabet: string, last = ''): string {
  let s = '';
  while (s.length < length - last.length) s += alphabet[random() % alphabet.length];
  return s + last;
}

interface Family {
  name: string;
  /** The k-th distinct pattern of the family, as large as maxProgramSize allows. */
  pattern(k: number): string;
  /** A new 1 KB topic that drives the family to its worst case. */
  topic(): string;
  /** A large pattern of the family that the fill does not use (for the catch-up). */
  fresh: string;
}

const families: Family[] = [
  {
    name: '[ab]*a[ab]{N}c',
    pattern: (k) => `[ab]*a[ab]{${990 - k}}c`,
    topic: () => stringOf(1024, 'ab', 'c'),
    fresh: '[ab]*a[ab]{950}c',
  },
  {
    name: '(?i)[ab]*a[ab]{N}c',
    pattern: (k) => `(?i)[ab]*a[ab]{${990 - k}}c`,
    topic: () => stringOf(1024, 'aAbB', 'c'),
    fresh: '(?i)[ab]*a[ab]{950}c',
  },
  {
    name: '(a?){N}a{N}',
    pattern: (k) => `(a?){${195 - k}}a{${195 - k}}`,
    topic: () => 'a'.repeat(1024),
    fresh: '(a?){180}a{180}',
  },
  {
    name: '.*a.{N}c',
    pattern: (k) => `.*a.{${990 - k}}c`,
    topic: () => stringOf(1024, 'abcdefghij', 'c'),
    fresh: '.*a.{950}c',
  },
  {
    name: '\\pL{N}',
    pattern: (k) => `\\pL{${995 - k}}`,
    topic: () => stringOf(1024, 'abcdefghijklmnopqrstuvwxyz'),
    fresh: '\\pL{950}',
  },
  {
    name: 'many small: (?:pK)?[ab]*a[ab]{3}c',
    pattern: (k) => `(?:p${k})?[ab]*a[ab]{3}c`,
    topic: () => stringOf(1024, 'ab', 'c'),
    fresh: '(?:q1)?[ab]*a[ab]{3}c',
  },
];

interface EngineRow {
  family: string;
  limits: string;
  distinctRegexes: number;
  regexSubscriptions: number;
  totalProgramSize: number;
  refused: number;
  worstSubscribeMs: number;
  worstNewTopicMs: number;
  medianNewTopicMs: number;
  worstCatchUpMs: number;
  heapGrowthMB: number;
  rssGrowthMB: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function warmCache(engine: TopicEngine<number>): void {
  for (let i = 0; i < CACHED_ROUTES; i++) engine.route(`cached/${i}`);
}

function runFamily(family: Family): EngineRow {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const counters = {
    regexSubscriptions: 0,
    regexPatterns: 0,
    regexProgramSize: 0,
    regexSubscriptionsRefused: 0,
    regexEvaluations: 0,
    routesEvictedForBytes: 0,
    routeCacheBytes: 0,
  };
  const budget = new RegexBudget(defaults.regex, counters);
  const engine = new TopicEngine<number>({ routeCacheSize: CACHED_ROUTES, counters });
  warmCache(engine);
  const leases: RegexLease[] = [];
  const fillLeases: { user: string; lease: RegexLease }[] = [];
  let worstSubscribeMs = 0;
  const subscribe = (user: string, source: string): boolean => {
    const start = performance.now();
    try {
      const lease = budget.acquire(user, source, topicLimits);
      engine.add(lease.pattern, leases.length);
      leases.push(lease);
      return true;
    } catch {
      return false;
    } finally {
      worstSubscribeMs = Math.max(worstSubscribeMs, performance.now() - start);
    }
  };
  // Distinct patterns until the broker-wide budget refuses: each user until their share refuses.
  let user = 0;
  for (let k = 0, misses = 0; k < 5000 && misses < 3; k++) {
    if (subscribe(`u${user}`, family.pattern(k))) {
      fillLeases.push({ user: `u${user}`, lease: leases[leases.length - 1] });
      misses = 0;
      continue;
    }
    misses++;
    user++;
  }
  for (let i = 0; i < SHARED_SUBSCRIBERS; i++) subscribe(`s${i}`, family.pattern(0));

  const hot = family.topic();
  engine.route(hot); // one attack topic is cached, to measure its catch-up below
  const times: number[] = [];
  for (let i = 0; i < NEW_TOPICS; i++) {
    const topic = family.topic();
    const start = performance.now();
    engine.route(topic);
    times.push(performance.now() - start);
  }
  // A cached route catching up: the last distinct regex of the fill leaves, a fresh large one comes.
  const last = fillLeases[fillLeases.length - 1];
  last.lease.release();
  if (!subscribe(last.user, family.fresh)) throw new Error(`${family.name}: the fresh pattern was refused`);
  const start = performance.now();
  engine.route(hot);
  const worstCatchUpMs = performance.now() - start;
  gc();
  const row: EngineRow = {
    family: family.name,
    limits: limitsLabel,
    distinctRegexes: counters.regexPatterns,
    regexSubscriptions: counters.regexSubscriptions,
    totalProgramSize: counters.regexProgramSize,
    refused: counters.regexSubscriptionsRefused,
    worstSubscribeMs,
    worstNewTopicMs: Math.max(...times),
    medianNewTopicMs: median(times),
    worstCatchUpMs,
    heapGrowthMB: (process.memoryUsage().heapUsed - heap0) / 1e6,
    rssGrowthMB: (process.memoryUsage().rss - rss0) / 1e6,
  };
  for (const lease of leases) lease.release();
  return row;
}

/** Before the budget: distinct attack regexes with re2js's own 8 MiB DFA, tested per subscription. */
function runUnbounded(distinct: number): EngineRow {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const counters = { regexEvaluations: 0, routesEvictedForBytes: 0, routeCacheBytes: 0 };
  const engine = new TopicEngine<number>({ counters });
  const limits = { ...topicLimits, maxRegexMatchStateBytes: 8 * 1024 * 1024 };
  const budget = new RegexBudget(
    { maxSubscriptions: 1e9, maxSubscriptionsPerUser: 1e9, maxTotalProgramSize: 1e9, maxProgramSizePerUser: 1e9 },
    { regexSubscriptions: 0, regexPatterns: 0, regexProgramSize: 0, regexSubscriptionsRefused: 0 },
  );
  let worstSubscribeMs = 0;
  let size = 0;
  for (let k = 0; k < distinct; k++) {
    const start = performance.now();
    const lease = budget.acquire('u', `[ab]*a[ab]{${900 - k}}c`, limits);
    engine.add(lease.pattern, k);
    size += lease.pattern.regex.programSize();
    worstSubscribeMs = Math.max(worstSubscribeMs, performance.now() - start);
  }
  const times: number[] = [];
  for (let i = 0; i < 2; i++) {
    const topic = stringOf(1024, 'ab', 'c');
    const start = performance.now();
    engine.route(topic);
    times.push(performance.now() - start);
  }
  gc();
  return {
    family: `before: ${ATTACK} variants`,
    limits: 'none, 8 MiB DFA',
    distinctRegexes: distinct,
    regexSubscriptions: distinct,
    totalProgramSize: size,
    refused: 0,
    worstSubscribeMs,
    worstNewTopicMs: Math.max(...times),
    medianNewTopicMs: median(times),
    worstCatchUpMs: Number.NaN,
    heapGrowthMB: (process.memoryUsage().heapUsed - heap0) / 1e6,
    rssGrowthMB: (process.memoryUsage().rss - rss0) / 1e6,
  };
}

interface BrokerRow {
  attackers: number;
  accepted: number;
  refused: Record<string, number>;
  publishes: number;
  worstPublishAckMs: number;
  medianPublishAckMs: number;
  rssBeforeMB: number;
  rssAfterMB: number;
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb === null ? Number.NaN : Number(kb[1]) / 1024;
}

async function runBroker(): Promise<BrokerRow> {
  const broker = await startBrokerProcess({ cpu: null });
  const clients: Client[] = [];
  try {
    const open = async (user: string): Promise<Client> => {
      const client = await connect(broker.url, { user, password: 'pw', reconnect: false });
      clients.push(client);
      return client;
    };
    const shared = [];
    for (let i = 0; i < SHARED_SUBSCRIBERS; i++) {
      shared.push(await open(`a${i}`));
      if (i % 100 === 99) console.error(`connected ${i + 1} attackers`);
    }
    const variants = [];
    for (let i = 0; i < 100; i++) variants.push(await open(`b${i}`));
    const publisher = await open('pub');
    const rssBeforeMB = rssMB(broker.pid);
    let accepted = 0;
    const refused: Record<string, number> = {};
    const attempt = async (client: Client, regex: string): Promise<void> => {
      try {
        await client.subscribe({ regex });
        accepted++;
      } catch (err) {
        const code = err instanceof WardenError ? err.code : String(err);
        refused[code] = (refused[code] ?? 0) + 1;
      }
    };
    await Promise.all(shared.map((c) => attempt(c, ATTACK)));
    for (let i = 0; i < variants.length; i++) await attempt(variants[i], `[ab]*a[ab]{${899 - i}}c`);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await publisher.publish(stringOf(1024, 'ab', 'c'), null, { ack: true });
      times.push(performance.now() - start);
    }
    return {
      attackers: SHARED_SUBSCRIBERS + variants.length,
      accepted,
      refused,
      publishes: times.length,
      worstPublishAckMs: Math.max(...times),
      medianPublishAckMs: median(times),
      rssBeforeMB,
      rssAfterMB: rssMB(broker.pid),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await broker.stop();
  }
}

const fixed = (n: number, digits = 1): string => (Number.isNaN(n) ? '-' : n.toFixed(digits));

async function main(): Promise<void> {
  const progress = new Progress((opts.only === 'broker' ? 0 : families.length + 1) + (opts.only === 'engine' ? 0 : 1));
  const engineRows: EngineRow[] = [];
  if (opts.only !== 'broker')
    for (const run of [() => runUnbounded(40), ...families.map((f) => () => runFamily(f))]) {
      const row = run();
      engineRows.push(row);
      progress.step(`${row.family}: worst new topic ${fixed(row.worstNewTopicMs)} ms`);
    }
  console.log(
    `Part 1: topic engine, ${CACHED_ROUTES} cached routes, ${SHARED_SUBSCRIBERS} users sharing the first regex, new topics of 1 KB`,
  );
  console.log(
    formatTable(
      [
        'family',
        'limits',
        'distinct',
        'subs',
        'program size',
        'refused',
        'worst subscribe ms',
        'new topic ms (worst/median)',
        'catch-up ms',
        'heap MB',
        'RSS MB',
      ],
      engineRows.map((r) => [
        r.family,
        r.limits,
        String(r.distinctRegexes),
        String(r.regexSubscriptions),
        String(r.totalProgramSize),
        String(r.refused),
        fixed(r.worstSubscribeMs),
        `${fixed(r.worstNewTopicMs)} / ${fixed(r.medianNewTopicMs)}`,
        fixed(r.worstCatchUpMs),
        fixed(r.heapGrowthMB),
        fixed(r.rssGrowthMB),
      ]),
    ),
  );
  const brokerRow = opts.only === 'engine' ? null : await runBroker();
  if (brokerRow !== null) {
    progress.step(`broker: worst publish ack ${fixed(brokerRow.worstPublishAckMs)} ms`);
    printBroker(brokerRow);
  }
  const outFile = resolve(opts.out);
  mkdirSync(dirname(outFile), { recursive: true });
  const report = {
    benchmark: 'regex',
    date: new Date().toISOString(),
    node: process.version,
    limits: defaults.regex,
    engine: engineRows,
    broker: brokerRow,
  };
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${outFile}`);
}

function printBroker(brokerRow: BrokerRow): void {
  console.log(
    `\nPart 2: broker process at default config; ${SHARED_SUBSCRIBERS} users subscribe to ${ATTACK}, 100 try distinct variants; 20 publishes to new 1 KB topics`,
  );
  console.log(
    formatTable(
      ['attackers', 'accepted', 'refused', 'publish ack ms (worst/median)', 'RSS before MB', 'RSS after MB'],
      [
        [
          String(brokerRow.attackers),
          String(brokerRow.accepted),
          Object.entries(brokerRow.refused)
            .map(([code, n]) => `${n} ${code}`)
            .join(', ') || '0',
          `${fixed(brokerRow.worstPublishAckMs)} / ${fixed(brokerRow.medianPublishAckMs)}`,
          fixed(brokerRow.rssBeforeMB),
          fixed(brokerRow.rssAfterMB),
        ],
      ],
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
