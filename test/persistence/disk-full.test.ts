// A full disk, for real: the LMDB store on a 1 MiB tmpfs. Writes fail; the publish whose PUBACK
// waited for them is not acknowledged and its connection is closed (counted, logged); the broker
// keeps running and delivering to everyone else, and closes cleanly. Mounting needs root: where
// the test cannot mount (an unprivileged CI), it is skipped and says why.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { Collector } from '../helpers/collector.js';
import { rmSync } from 'node:fs';

/** A 1 MiB tmpfs at a fresh directory, or null when this machine does not let the test mount one. */
function smallDisk(): { path: string; unmount(): void } | null {
  const dir = makeTempDir('warden-full-');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir.path]);
  if (mounted.status !== 0) {
    rmSync(dir.path, { recursive: true, force: true });
    return null;
  }
  return {
    path: dir.path,
    unmount() {
      // Lazily: after a failed commit the broker leaves the store's file mapped until the process ends.
      spawnSync('umount', ['-l', dir.path]);
      rmSync(dir.path, { recursive: true, force: true });
    },
  };
}

const probe = smallDisk();
probe?.unmount();
const clients: MqttClient[] = [];
let tb: TestBroker | null = null;
let disk: ReturnType<typeof smallDisk> = null;

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
  await tb?.close();
  tb = null;
  disk?.unmount();
  disk = null;
});

async function connect(url: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0 });
  clients.push(client);
  return client;
}

describe.skipIf(probe === null)('a full disk (tmpfs; skipped where the test may not mount one)', () => {
  it('withholds the PUBACK that needed the write, closes that connection, and serves everyone else', async () => {
    disk = smallDisk()!;
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, persistence: { path: join(disk.path, 'data') } });
    const watcher = await connect(tb.mqttUrl!);
    const live = new Collector<string>();
    watcher.on('message', (_t, payload) => live.push(payload.toString()));
    await watcher.subscribeAsync('live/#', { qos: 0 });

    const filler = await connect(tb.mqttUrl!);
    const closed = new Promise<void>((resolve) => filler.once('close', () => resolve()));
    let acknowledged = 0;
    let refused = false;
    for (let i = 0; i < 1000 && !refused; i++) {
      // Each retained message is written to the store before its PUBACK.
      await Promise.race([
        filler.publishAsync(`r/${i}`, 'x'.repeat(10_000), { qos: 1, retain: true }).then(() => acknowledged++),
        closed.then(() => (refused = true)),
      ]);
    }
    expect(refused).toBe(true);
    expect(acknowledged).toBeGreaterThan(0);
    const stats = tb.broker.stats();
    expect(stats.storeWriteErrors).toBeGreaterThanOrEqual(1);
    expect(stats.storeAcksWithheld).toBeGreaterThanOrEqual(1);

    // The broker lives on: new connections, live deliveries.
    const other = await connect(tb.mqttUrl!);
    await other.publishAsync('live/1', 'still here', { qos: 0 });
    await live.until((items) => items.includes('still here'));
  });
});
