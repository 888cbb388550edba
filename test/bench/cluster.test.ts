// bench:cluster's parts: its command line (--help exits 0 with the usage, defaults, bad values),
// the CPU reading of a process, and the connection cycles of scenario S4 against an in-process
// broker (every cycle a full logon and logoff, each client id new).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOptions } from '../../bench/cli-options.js';
import { CLUSTER_COMMAND, USAGE, clusterOptions, type ClusterBenchOptions } from '../../bench/cluster/options.js';
import { CpuMeter, cpuMsOf } from '../../bench/cluster/cpu.js';
import { runConnectCycles } from '../../bench/cluster/connect-cycles.js';
import { startBroker, type BrokerHandle } from '../../server/index.js';

const SCRIPT = join(import.meta.dirname, '../../dist/bench/cluster.js');

/** The options from `argv`; throws the error's message, as the program prints it. */
function parseClusterArgs(argv: string[]): ClusterBenchOptions {
  const result = parseOptions(CLUSTER_COMMAND, argv);
  if (result.kind === 'help') throw new Error('help asked for');
  if (result.kind === 'error') throw new Error(result.message);
  return clusterOptions(result.values);
}

let broker: BrokerHandle | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
});

describe('bench:cluster options', () => {
  it('asks for the usage with --help or -h, and the usage names every option', () => {
    expect(parseOptions(CLUSTER_COMMAND, ['--help']).kind).toBe('help');
    expect(parseOptions(CLUSTER_COMMAND, ['-h']).kind).toBe('help');
    for (const flag of [
      '--scenarios',
      '--runs',
      '--subscribers',
      '--seconds',
      '--payload',
      '--window',
      '--rate',
      '--latency-seconds',
      '--resets',
      '--reset-clients',
      '--concurrency',
      '--connect-seconds',
      '--out',
    ])
      expect(USAGE).toContain(flag);
  });

  it('defaults to every scenario, 3 runs and the sizes the usage gives', () => {
    expect(parseClusterArgs([])).toEqual({
      scenarios: ['fanout', 'latency', 'reset', 'connect'],
      runs: 3,
      subscribers: 100,
      seconds: 5,
      payloadBytes: 128,
      window: 1000,
      rate: 10_000,
      latencySeconds: 3,
      resets: 20,
      resetClients: 10,
      concurrency: 50,
      connectSeconds: 5,
      out: 'bench/results/cluster.json',
    });
  });

  it('takes a subset of scenarios in its own order, and sizes', () => {
    const o = parseClusterArgs([
      '--scenarios',
      'connect,fanout',
      '--runs',
      '1',
      '--subscribers',
      '30',
      '--rate',
      '500',
    ]);
    expect(o.scenarios).toEqual(['fanout', 'connect']);
    expect([o.runs, o.subscribers, o.rate]).toEqual([1, 30, 500]);
  });

  it('refuses an unknown scenario, an out-of-range value and an unknown option', () => {
    expect(() => parseClusterArgs(['--scenarios', 'fanout,storm'])).toThrow(/^--scenarios: unknown "storm"/);
    expect(() => parseClusterArgs(['--runs', '0'])).toThrow(/^--runs must be an integer in 1\.\.9$/);
    expect(() => parseClusterArgs(['--seconds', '600'])).toThrow(/^--seconds must be a number in \(0, 120\]$/);
    expect(() => parseClusterArgs(['--payload', '4'])).toThrow(/^--payload must be an integer in 8\.\.65536$/);
    expect(() => parseClusterArgs(['--bogus'])).toThrow(/^unknown option --bogus$/);
  });

  it.skipIf(!existsSync(SCRIPT))('--help prints the usage and exits 0 (the built script); a bad value exits 2', () => {
    const help = spawnSync(process.execPath, [SCRIPT, '--help'], { encoding: 'utf8', timeout: 10_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(USAGE);
    const bad = spawnSync(process.execPath, [SCRIPT, '--runs', 'x'], { encoding: 'utf8', timeout: 10_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('bench:cluster: --runs must be an integer in 1..9 (--help lists the options)\n');
  });
});

describe('CPU readings from /proc', () => {
  it.skipIf(!existsSync('/proc/self/stat'))('reads this process, and a meter spans its first to last reading', () => {
    expect(cpuMsOf(process.pid)).toBeGreaterThanOrEqual(0);
    expect(cpuMsOf(2 ** 22 + 1)).toBeNaN();
    const meter = new CpuMeter([{ name: 'self', pid: process.pid }]);
    meter.read();
    const spinUntil = performance.now() + 50;
    while (performance.now() < spinUntil);
    meter.read();
    const [self] = meter.percents(0.05);
    expect(self!.name).toBe('self');
    expect(self!.cpuPct).toBeGreaterThanOrEqual(0);
  });
});

describe('the connection cycles (S4)', () => {
  it('logs on and off over and over, none failing, each connection closed by the broker', async () => {
    broker = await startBroker({
      log: { level: 'silent' },
      persistence: { store: 'memory' },
      admin: { enabled: false },
      // As in the bench: every client comes from 127.0.0.1, whose per-host defaults would refuse the cycles.
      admission: { connectionRate: { perSecond: 0 }, maxUnauthenticatedPerHost: 65_535 },
      listeners: [{ name: 'mqtt', protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port: 0 }],
    });
    const port = Number(new URL(broker.listeners[0]!.url).port);
    const before = broker.stats();
    const result = await runConnectCycles({ port, concurrency: 4, seconds: 0.5, runId: 'cycles-test' });
    expect(result.failed).toBe(0);
    expect(result.connected).toBeGreaterThan(4);
    expect(result.connectionsPerSec).toBeCloseTo(result.connected / result.seconds);
    const after = broker.stats();
    expect(after.logons - before.logons).toBe(result.connected);
    // Every cycle waited for the broker to close its connection.
    await expect.poll(() => broker!.stats().connectionsOpen).toBe(0);
  });
});
