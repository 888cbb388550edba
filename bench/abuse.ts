// Attacks by a user with ordinary rights (docs/benchmarks.md, "Attacks: `bench:abuse`") against a
// live broker at default limits, one fresh broker process each.
//
//   npm run bench:abuse -- [--only 1,2a,9] [--out bench/results/abuse.json]   (--help: the options)
//
// For each attack (bench/abuse/attacks/): write the default config plus what the attack needs to
// exist (a module, a policy, a TTL) with a native and an MQTT TCP listener on 127.0.0.1 port 0;
// start the broker child (bench/abuse/broker-child.ts: startBroker() plus an event-loop delay
// histogram, answering over IPC); connect a control subscriber; take RSS; run the attack (bounded);
// take RSS (and the peak sampled from /proc every 50 ms meanwhile) and the longest event-loop block;
// check that the process lives and serves the control clients; kill it by PID. Then print the
// table, with each attack's verdict against the targets (bench/abuse/verdict.ts), and write JSON.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseConfig } from '../server/index.js';
import type { Attack, AttackContext, AttackOutcome, BrokerConfig } from './abuse/attack.js';
import { ATTACKS, selectAttacks } from './abuse/attacks/index.js';
import { startBrokerUnderAttack, withTimeout, type BrokerUnderAttack } from './abuse/broker-under-attack.js';
import { controlCheck, openEarlySubscriber } from './abuse/control.js';
import { TARGETS, formatResults, verdict, type AttackResult } from './abuse/verdict.js';
import { sleep } from './abuse/wait.js';
import { commandLine, defineCommand } from './cli-options.js';

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:abuse',
    node: 'dist/bench/abuse.js',
    summary: `Attacks by a user with ordinary rights against a live broker at default limits, a fresh broker process
each: survived, RSS growth against the caps, the longest event-loop block, what the attacker got.
A line on stderr per attack. Prints a table with each attack's verdict, writes JSON.`,
    options: {
      only: {
        type: 'string',
        value: 'IDS',
        defaultText: 'all',
        parse: (text: string) => selectAttacks(ATTACKS, text),
        description: `attacks to run, comma-separated (2 takes 2a, 2b...): ${ATTACKS.map((a) => a.id).join(', ')}`,
      },
      out: { type: 'string', value: 'FILE', default: 'bench/results/abuse.json', description: 'JSON results' },
    },
  }),
);

const DEFAULT_TIMEOUT_MS = 45_000;
/** A broker past this RSS is killed (and counted as not surviving): the machine is shared. */
const RSS_CEILING_BYTES = 3 * 1024 ** 3;
const PROBE_TIMEOUT_MS = 30_000;
const CONTROL_TIMEOUT_MS = 10_000;

/** The embedded default config, plus the attack's additions; listeners on port 0, admin off. */
function brokerConfig(additions: BrokerConfig): BrokerConfig {
  return {
    ...additions,
    log: { level: 'warn' },
    admin: { enabled: false },
    listeners: [
      { name: 'native', protocol: 'native', host: '127.0.0.1', port: 0 },
      { name: 'mqtt', protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port: 0 },
    ],
  };
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The last line of a crash worth showing (an Error's first line, else the last line). */
function crashLine(tail: readonly string[]): string {
  const error = tail.find((l) => /^\w*(Error|Exception)\b|^Uncaught|FATAL|heap out of memory/i.test(l.trim()));
  return (error ?? tail.at(-1) ?? '').trim().slice(0, 160);
}

async function runAttack(attack: Attack): Promise<AttackResult> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), `warden-abuse-${attack.id}-`));
  const result: AttackResult = {
    id: attack.id,
    name: attack.name,
    survived: false,
    survivalNote: '',
    rssBeforeBytes: null,
    rssAfterBytes: null,
    rssPeakBytes: null,
    capBytes: 0,
    maxBlockMs: null,
    blockAtLeastMs: null,
    attackerGot: '',
    ownTarget: null,
    durationMs: 0,
  };
  let broker: BrokerUnderAttack | null = null;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const config = brokerConfig((await attack.config?.(dir)) ?? {});
    const resolved = parseConfig(config, { dir }) as unknown as BrokerConfig;
    result.capBytes = attack.capBytes?.(resolved) ?? 0;
    broker = await startBrokerUnderAttack(dir, config, 20_000);
    const b = broker;
    const control = attack.control ?? { user: 'control', password: 'control' };
    const early = await openEarlySubscriber(b.mqttPort, control);
    await sleep(200);
    const statsBefore = (await b.probe(PROBE_TIMEOUT_MS, true)).stats;
    result.rssBeforeBytes = b.procRss();
    let peak = result.rssBeforeBytes ?? 0;
    let ceilingHit = false;
    sampler = setInterval(() => {
      const rss = b.procRss();
      if (rss === null) return;
      peak = Math.max(peak, rss);
      if (rss > RSS_CEILING_BYTES && !ceilingHit) {
        ceilingHit = true;
        log(`${attack.id}: broker RSS ${Math.round(rss / 1024 ** 2)} MB over the harness's ceiling: killing it`);
        void b.kill();
      }
    }, 50);
    const ctx: AttackContext = {
      mqttPort: b.mqttPort,
      nativeUrl: b.nativeUrl,
      dir,
      config: resolved,
      brokerPid: b.pid,
      alive: () => b.exit() === null,
      brokerExited: b.exited,
      stats: async (timeoutMs = 5_000) => {
        try {
          return (await b.probe(timeoutMs)).stats;
        } catch {
          return null;
        }
      },
      log: (message) => log(`  ${message}`),
    };
    // Probes every 500 ms while the attack runs: if the broker stops answering for good, how long
    // it has not answered is a lower bound of its block.
    let lastAnswerAt = performance.now();
    let probing = true;
    void (async () => {
      while (probing && b.exit() === null) {
        try {
          await b.probe(10 * 60_000);
          lastAnswerAt = performance.now();
        } catch {
          return;
        }
        await sleep(500);
      }
    })();
    const timeoutMs = attack.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timedOut = false;
    const running = attack.run(ctx);
    // An attack given up on may still reject later, against a dead broker: nothing to report.
    running.catch(() => undefined);
    let outcome: AttackOutcome;
    try {
      outcome = await withTimeout(running, timeoutMs, `attack ${attack.id}`);
    } catch (err) {
      timedOut = true;
      outcome = { attackerGot: `harness: ${(err as Error).message}`, ownTarget: null };
    }
    probing = false;
    result.rssAfterBytes = b.procRss();
    clearInterval(sampler);
    result.rssPeakBytes = peak;
    let statsAfter: Readonly<Record<string, number>> | null = null;
    if (b.exit() === null) {
      try {
        // A broker still blocked after the attack timed out gets a short wait, not another 30 s.
        const probe = await b.probe(timedOut ? 5_000 : PROBE_TIMEOUT_MS);
        result.maxBlockMs = probe.maxBlockMs;
        statsAfter = probe.stats;
      } catch {
        result.blockAtLeastMs = performance.now() - lastAnswerAt;
        result.failure = 'unresponsive';
        result.survivalNote = `no answer for ${(result.blockAtLeastMs / 1000).toFixed(1)} s`;
      }
    }
    result.attackerGot = outcome.attackerGot;
    result.ownTarget = outcome.ownTarget;
    // Every counter the attack moved (refusals, drops, disconnects), whatever its name: for the JSON.
    const counters = statsAfter === null ? null : changedCounters(statsBefore, statsAfter);
    if (outcome.details !== undefined || counters !== null)
      result.details = { ...outcome.details, ...(counters === null ? {} : { counters }) };
    if (b.exit() === null && result.survivalNote === '') {
      const failed = await controlCheck(b.mqttPort, control, early, CONTROL_TIMEOUT_MS);
      result.survived = failed === '' && b.exit() === null;
      result.survivalNote = failed;
      if (failed !== '') result.failure = 'control failed';
    }
    early.destroy();
    const exit = b.exit();
    if (exit !== null) {
      result.survived = false;
      result.failure = 'died';
      result.survivalNote = ceilingHit
        ? `killed by the harness at RSS over ${RSS_CEILING_BYTES / 1024 ** 3} GB`
        : `exited (${exit.signal ?? `code ${exit.code}`}): ${crashLine(b.tail())}`;
    }
  } catch (err) {
    result.attackerGot ||= `harness: ${(err as Error).message}`;
    const exited = broker !== null && broker.exit() !== null;
    result.survivalNote ||= exited ? `exited: ${crashLine(broker!.tail())}` : 'not checked (harness error)';
    if (exited) result.failure = 'died';
  } finally {
    clearInterval(sampler);
    await broker?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

function changedCounters(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .filter(([name, value]) => value !== (before[name] ?? 0))
      .map(([name, value]) => [name, value - (before[name] ?? 0)]),
  );
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

process.on('unhandledRejection', (reason) => log(`harness: unhandled rejection: ${String(reason)}`));

const attacks = opts.only ?? [...ATTACKS];
const loadBefore = loadavg()[0]!;
const results: AttackResult[] = [];
for (const attack of attacks) {
  log(`${attack.id}: ${attack.name}`);
  const result = await runAttack(attack);
  log(
    `  ${result.survived ? 'survived' : `did not survive: ${result.survivalNote}`}; ${verdict(result)} (${(result.durationMs / 1000).toFixed(1)} s)`,
  );
  results.push(result);
}
const loadAfter = loadavg()[0]!;
const header =
  `bench:abuse attacks, default limits, one broker process each (Node ${process.version}, commit ${gitCommit()}, ` +
  `1-min load ${loadBefore.toFixed(2)} before / ${loadAfter.toFixed(2)} after). Targets: survived, RSS growth <= caps + ` +
  `${TARGETS.memorySlackBytes / 1024 ** 2} MB, no event-loop block over ${TARGETS.maxBlockMs} ms.`;
console.log(header);
console.log(formatResults(results));
const passed = results.filter((r) => verdict(r) === 'PASS').length;
console.log(`${passed} of ${results.length} attacks meet every target.`);
const out = resolve(opts.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, commit: gitCommit(), loadBefore, loadAfter, targets: TARGETS, results }, null, 2)}\n`,
);
log(`JSON: ${out}`);
// Sockets of attacks given up on may still be open against killed brokers; nothing more to wait for.
process.exit(0);
