// The deep-JSON crash, observed as a crash: the real `warden` CLI as a child process (the compiled
// dist/server/cli.js; `npm test` builds first) gets an MQTT will of ~40 KB of `{"a":[[[…]]]}` for
// a topic with a select-list subscriber. The process once died there (a RangeError thrown in a
// socket 'close' handler); it must stay up and keep delivering.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { Collector } from '../helpers/collector.js';
import { inbox, MqttClients, RawMqttClients } from '../mqtt/mqtt-helpers.js';

const CLI = join(import.meta.dirname, '../../dist/server/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'warden-deep-'));
let child: ChildProcess | null = null;
const natives: Client[] = [];
const mqttClients = new MqttClients();
const raws = new RawMqttClients();
afterEach(async () => {
  raws.teardown();
  await mqttClients.teardown();
  await Promise.all(natives.splice(0).map((c) => c.close()));
  if (child !== null && child.exitCode === null) child.kill('SIGKILL');
  child = null;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = `admin:
  enabled: false
listeners:
  - name: native
    protocol: native
    transport: ws
    host: 127.0.0.1
    port: 0
  - name: mqtt
    protocol: mqtt
    transport: tcp
    host: 127.0.0.1
    port: 0
`;

/** The URLs the broker logs as listening, by listener name; rejects if it exits first. */
function listening(proc: ChildProcess, names: string[]): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  const lines = createInterface({ input: proc.stdout! });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string; listener?: string };
      if (entry.msg === 'listening' && entry.listener !== undefined && entry.url !== undefined)
        urls[entry.listener] = entry.url;
      if (names.every((n) => n in urls)) resolve(urls);
    });
    proc.on('exit', (code) => reject(new Error(`warden exited with ${code} before listening`)));
  });
}

it('survives a deeply nested JSON will reaching a select-list subscriber, and keeps delivering', async () => {
  const config = join(dir, 'warden.yaml');
  writeFileSync(config, CONFIG);
  const proc = spawn(process.execPath, [CLI, '--config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const died = new Promise<never>((_, reject) =>
    proc.on('exit', (code) => reject(new Error(`warden exited with ${code}: ${stderr.slice(0, 400)}`))),
  );
  const urls = await listening(proc, ['native', 'mqtt']);

  const selected = await connect(urls.native!, { user: 'sel', password: 'pw', reconnect: false });
  natives.push(selected);
  const projected = new Collector<unknown>();
  await selected.subscribe({ topic: 'deep/#', select: '-/,+/a' }, (m) => projected.push(m.data));
  const control = await mqttClients.connect(urls.mqtt!, 5, { username: 'control' });
  const got = inbox(control);
  await control.subscribeAsync('deep/#', { qos: 1 });

  const dying = await raws.connect(urls.mqtt!, 5, {
    clientId: 'dying',
    clean: true,
    username: 'dying',
    will: {
      topic: 'deep/will',
      payload: Buffer.from(`{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`),
      qos: 0,
      retain: false,
    },
  });
  dying.socket.destroy();
  await Promise.race([got.until((items) => items.some((m) => m.topic === 'deep/will')), died]);
  // Still alive and delivering, to the control and (projected) to the select-list subscriber.
  await control.publishAsync('deep/after', '{"a":1,"b":2}', { qos: 1 });
  await Promise.race([got.until((items) => items.some((m) => m.topic === 'deep/after')), died]);
  await Promise.race([projected.count(1), died]);
  expect(projected.items).toEqual([{ a: 1 }]);
  expect(proc.exitCode).toBeNull();
});
