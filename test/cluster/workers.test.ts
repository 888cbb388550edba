// `warden --workers N`: N real processes sharing the listening ports through node:cluster and
// forming a cluster over a real redis-server; refused without cluster.redis; a worker killed with
// SIGKILL is started again; SIGTERM to the primary stops them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../helpers/collector.js';
import { startRedisServer, redisServerAvailable, type RedisServer } from '../helpers/redis-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { inbox, MqttClients, type Received } from '../mqtt/mqtt-helpers.js';
import type { LogEntry } from './cluster-node.js';

const CLI = join(import.meta.dirname, '../../dist/server/cli.js');

interface Run {
  readonly child: ChildProcess;
  /** The config file it was started with. */
  readonly file: string;
  readonly log: Collector<LogEntry>;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function run(dir: string, config: unknown, args: readonly string[]): Run {
  const file = join(dir, `warden-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [CLI, '--config', file, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = new Collector<LogEntry>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      log.push(JSON.parse(line) as LogEntry);
    } catch {
      // not a log line
    }
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, file, log, stderr: () => stderr, exited };
}

const entries = (r: Run, msg: string) => r.log.items.filter((e) => e.msg === msg);

describe.skipIf(!redisServerAvailable())('warden --workers', () => {
  let redis: RedisServer;
  let dir: TempDir;
  const mqtt = new MqttClients();
  const runs: Run[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = makeTempDir();
  });

  afterEach(async () => {
    await mqtt.teardown();
    for (const r of runs.splice(0)) {
      if (r.child.exitCode === null) r.child.kill('SIGKILL');
      await r.exited;
    }
  });

  afterAll(async () => {
    await redis?.dispose();
    if (dir !== undefined) rmSync(dir.path, { recursive: true, force: true });
  });

  const listeners = [{ name: 'mqtt', protocol: 'mqtt', host: '127.0.0.1', port: 0 }];

  it('refuses more than one worker without cluster.redis, saying why', async () => {
    const r = run(dir.path, { log: { level: 'info' }, admin: { enabled: false }, persistence: 'none', listeners }, [
      '--workers',
      '2',
    ]);
    runs.push(r);
    expect(await r.exited).toBe(2);
    expect(r.stderr()).toContain('--workers 2 needs a cluster.redis section in the config');
  });

  it("does not start when the cluster's Redis cannot be reached: exit code 5, the URL without its password", async () => {
    // A port nothing listens on: bound, then closed.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const config = {
      log: { level: 'info' },
      admin: { enabled: false },
      cluster: { redis: { url: `redis://warden:s3cret@127.0.0.1:${port}`, connectTimeoutMs: 2000 } },
      listeners,
    };
    const r = run(dir.path, config, []);
    runs.push(r);
    expect(await r.exited).toBe(5);
    expect(r.stderr()).toContain(`cluster.redis: cannot connect to redis://warden:***@127.0.0.1:${port}`);
    expect(r.stderr()).not.toContain('s3cret');
  });

  it('passes SIGHUP to the workers, each of which reloads the file and keeps its node id', async () => {
    const config = {
      log: { level: 'info' },
      admin: { enabled: false },
      cluster: { nodeId: 'box', redis: { url: redis.url }, leaseMs: 2000 },
      listeners,
    };
    const r = run(dir.path, config, ['--workers', '2']);
    runs.push(r);
    await r.log.until((items) => items.filter((e) => e.msg === 'warden started').length === 2);
    writeFileSync(r.file, JSON.stringify({ ...config, admission: { maxConnections: 10 } }));
    r.child.kill('SIGHUP');
    await r.log.until((items) => items.filter((e) => e.msg === 'config reloaded').length === 2);
    const reloaded = entries(r, 'config reloaded');
    // Not refused for cluster.nodeId: each worker compares its own box-wN with box-wN again.
    expect(reloaded.map((e) => ({ via: e.via, changed: e.changed }))).toEqual([
      { via: 'SIGHUP', changed: ['admission.maxConnections'] },
      { via: 'SIGHUP', changed: ['admission.maxConnections'] },
    ]);
    expect(new Set(reloaded.map((e) => e.pid)).size).toBe(2);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
  });

  it('runs two workers on one port as one broker, and starts a killed worker again', async () => {
    const config = {
      log: { level: 'info' },
      admin: { enabled: false },
      cluster: { nodeId: 'box', redis: { url: redis.url }, leaseMs: 2000 },
      listeners,
    };
    const r = run(dir.path, config, ['--workers', '2']);
    runs.push(r);
    await r.log.until((items) => items.filter((e) => e.msg === 'listening').length === 2);
    const joined = entries(r, 'cluster: joined');
    expect(joined.map((e) => e.node).sort()).toEqual(['box-w1', 'box-w2']);
    const url = entries(r, 'listening')[0]!.url as string;
    expect(entries(r, 'listening').every((e) => e.url === url)).toBe(true);

    // Connections spread over both workers; a publish reaches every subscriber, wherever it is.
    const subscribers: Collector<Received>[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await mqtt.connect(url, 5, { username: 'reader' });
      await s.subscribeAsync('spread/#', { qos: 1 });
      subscribers.push(inbox(s));
    }
    const logonPids = new Set(entries(r, 'MQTT logon').map((e) => e.pid));
    expect(logonPids.size).toBe(2);
    // Each worker must know the other's interest before a publish can cross: ask until both do.
    const publisher = await mqtt.connect(url, 5, { username: 'feed' });
    let n = 0;
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 15_000;
      const tick = (): void => {
        if (subscribers.every((s) => s.items.length > 0)) return resolve();
        if (Date.now() > deadline) return reject(new Error('a subscriber never got a message'));
        publisher.publishAsync('spread/probe', String(n++), { qos: 1 }).then(() => setTimeout(tick, 20), reject);
      };
      tick();
    });
    await publisher.publishAsync('spread/last', 'last', { qos: 1 });
    await Promise.all(subscribers.map((s) => s.until((items) => items.some((m) => m.text === 'last'))));

    // SIGKILL one worker: the primary starts it again under the same node id.
    const victim = entries(r, 'cluster: joined').find((e) => e.node === 'box-w1')!.pid as number;
    process.kill(victim, 'SIGKILL');
    await r.log.until((items) =>
      items.some((e) => e.msg === 'worker died; starting it again' && e.workerPid === victim),
    );
    await r.log.until((items) => items.filter((e) => e.msg === 'cluster: joined' && e.node === 'box-w1').length === 2);

    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(entries(r, 'broker closed')).toHaveLength(2);
  });
});
