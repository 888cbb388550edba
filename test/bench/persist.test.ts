// bench:persist's parts: its command line (--help, bad values), the offline-queue workload against
// a real broker (every message queued for the absent session is drained exactly once, in order),
// and the store it fills directly, which a broker restores as its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { parseOptions } from '../../bench/cli-options.js';
import { PERSIST_COMMAND, USAGE, persistOptions, type PersistOptions } from '../../bench/persist/options.js';
import { runOfflineQueue } from '../../bench/persist/offline-queue.js';
import { fillStore, retainedTopic, sessionClientId } from '../../bench/persist/fill-store.js';
import { RESTART_LISTENER } from '../../bench/persist/restart.js';
import { LmdbStore } from '../../server/store/lmdb-store.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let tb: TestBroker | null = null;
let dir: string | null = null;
afterEach(async () => {
  await tb?.close();
  tb = null;
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** The options from `argv`, or the error's message. */
function parsePersistArgs(argv: string[]): PersistOptions | string {
  const result = parseOptions(PERSIST_COMMAND, argv);
  if (result.kind === 'help') throw new Error('help asked for');
  return result.kind === 'error' ? result.message : persistOptions(result.values);
}

describe('bench:persist options', () => {
  it('asks for the usage with --help or -h, and the usage names every option', () => {
    expect(parseOptions(PERSIST_COMMAND, ['--help']).kind).toBe('help');
    expect(parseOptions(PERSIST_COMMAND, ['-h']).kind).toBe('help');
    for (const flag of ['--scenarios', '--modes', '--messages', '--in-flight', '--runs', '--retained', '--sessions'])
      expect(USAGE).toContain(flag);
  });

  it('defaults to every mode and scenario, and keeps the given order of neither', () => {
    const o = parsePersistArgs([]) as PersistOptions;
    expect(o.modes).toEqual(['memory', 'none', 'batched', 'always', 'mosquitto']);
    expect(o.scenarios).toEqual(['queue', 'restart']);
    expect((parsePersistArgs(['--modes', 'mosquitto,batched']) as PersistOptions).modes).toEqual([
      'batched',
      'mosquitto',
    ]);
  });

  it('refuses an unknown mode, an out-of-range count and an unknown option', () => {
    expect(parsePersistArgs(['--modes', 'memory,disk'])).toMatch(/^--modes: unknown "disk"/);
    expect(parsePersistArgs(['--messages', '0'])).toBe('--messages must be an integer in 1..500000');
    expect(parsePersistArgs(['--bogus'])).toBe('unknown option --bogus');
  });
});

describe('the offline-queue workload', () => {
  it('drains exactly what was published to the absent session, once each and in order', async () => {
    tb = await startTestBroker({
      mqtt: { transports: ['tcp'] },
      mqttConfig: { sessions: { maxQueuedMessages: 1000 } },
    });
    const result = await runOfflineQueue({
      port: Number(new URL(tb.mqttUrl!).port),
      messages: 500,
      inFlight: 20,
      payloadBytes: 32,
      runId: 'oq',
      phaseTimeoutMs: 10_000,
    });
    expect(result.publish.acked).toBe(500);
    expect(result.drain.sessionPresent).toBe(true);
    expect(result.drain.delivered).toBe(500);
    expect(result.drain.outOfOrder).toBe(0);
    expect(result.drain.duplicates).toBe(0);
    expect(result.publish.perSec).toBeGreaterThan(0);
  });

  it('counts the messages a bound dropped as not delivered, and the gap as out of order', async () => {
    // The session keeps the newest 100: the first 400 are dropped, so the drain starts at 401.
    tb = await startTestBroker({
      mqtt: { transports: ['tcp'] },
      mqttConfig: { sessions: { maxQueuedMessages: 100 } },
    });
    const result = await runOfflineQueue({
      port: Number(new URL(tb.mqttUrl!).port),
      messages: 500,
      inFlight: 20,
      payloadBytes: 32,
      runId: 'oq-bound',
      phaseTimeoutMs: 1_000,
    });
    expect(result.publish.acked).toBe(500);
    expect(result.drain.delivered).toBe(100);
    expect(result.drain.outOfOrder).toBe(1);
  });
});

describe('the store filled for the restart scenario', () => {
  it('holds the records asked for, and a broker restores them as its own', async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-persist-test-'));
    const path = join(dir, 'store');
    const fill = await fillStore({
      path,
      retained: 50,
      sessions: 20,
      subscriptionsPerSession: 3,
      queuedPerSession: 2,
      payloadBytes: 16,
      listener: RESTART_LISTENER,
      sessionsPerUser: 10,
    });
    expect(fill.messages).toBe(40);
    const store = LmdbStore.open({ path, sync: 'none' }, null, null);
    try {
      expect(store.counts()).toEqual({ retained: 50, sessions: 20, subscriptions: 60, messages: 40, wills: 0 });
      const first = (await store.load()).subscriptions.filter((s) => s.clientId === 'persisted-0');
      expect(first.map((s) => s.filter).sort()).toEqual(['devices/0/cfg/0', 'devices/0/cmd', 'fleet/0/+']);
    } finally {
      await store.close();
    }

    tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, persistence: { store: 'lmdb', path } });
    // Session 12 belongs to the second user (10 per user): it resumes with its two queued messages.
    const client = mqtt.connect(tb.mqttUrl!, {
      clientId: sessionClientId(12),
      clean: false,
      username: 'device-user-1',
      password: 'x',
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    // Listening before the CONNACK: the queued messages follow it at once.
    const received: string[] = [];
    client.on('message', (topic) => received.push(topic));
    let sessionPresent: boolean | null = null;
    client.once('connect', (connack) => (sessionPresent = connack.sessionPresent));
    try {
      await expect.poll(() => sessionPresent).toBe(true);
      await expect.poll(() => received.length).toBe(2);
      expect(received).toEqual(['devices/12/cmd', 'devices/12/cmd']);
      await client.subscribeAsync(retainedTopic(7), { qos: 1 });
      await expect.poll(() => received.at(-1)).toBe(retainedTopic(7));
    } finally {
      await client.endAsync();
    }
  });
});
