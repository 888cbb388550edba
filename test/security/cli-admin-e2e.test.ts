// `warden admin` against a real `warden` process running the secure example (on ephemeral ports).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { MQTT_WS_TRANSPORT, TEST_TRANSPORT } from '../helpers/broker.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/server/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'warden-secure-'));
let broker: ChildProcess;
let nativeUrl: string;
let adminUrl: string;

beforeAll(async () => {
  const config = parse(readFileSync(join(ROOT, 'config/examples/secure.yaml'), 'utf8')) as {
    listeners: { port: number; protocol?: string; transport?: string }[];
    admin: { port: number };
  };
  for (const listener of config.listeners) {
    listener.port = 0; // the native and both MQTT listeners
    // WebSocket listeners on the engine under test.
    if (listener.protocol !== 'mqtt') listener.transport = TEST_TRANSPORT;
    else if (listener.transport === 'websocket') listener.transport = MQTT_WS_TRANSPORT;
  }
  config.admin.port = 0;
  copyFileSync(join(ROOT, 'config/examples/policy.yaml'), join(dir, 'policy.yaml'));
  writeFileSync(join(dir, 'secure.yaml'), JSON.stringify(config));
  broker = spawn(process.execPath, [CLI, '--config', join(dir, 'secure.yaml')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: broker.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string; listener?: string };
      if (entry.msg === 'admin listener started') adminUrl = entry.url!;
      if (entry.msg === 'listening' && entry.listener === 'native') nativeUrl = entry.url!;
      if (adminUrl !== undefined && nativeUrl !== undefined) resolve();
    });
    broker.once('exit', (code) => reject(new Error(`warden exited with ${code}`)));
  });
});

afterAll(async () => {
  if (broker.exitCode === null) {
    const exited = new Promise((resolve) => broker.once('exit', resolve));
    broker.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

function admin(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'admin', ...args, '--url', adminUrl], {
    env: { ...process.env, WARDEN_ADMIN_USER: '', WARDEN_ADMIN_PASSWORD: '', WARDEN_ADMIN_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': only then has all of the child's output been read.
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const asAdmin = { WARDEN_ADMIN_USER: 'admin', WARDEN_ADMIN_PASSWORD: 'admin-secret' };

it('status, reset --user, disable and enable as admin; refused for a trader', async () => {
  const status = await admin(['status'], asAdmin);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ enabled: true, failures: 0 });

  const refused = await admin(['disable'], { WARDEN_ADMIN_USER: 'alice', WARDEN_ADMIN_PASSWORD: 'alice-pw' });
  expect(refused.code).toBe(3);

  const alice = await connect(nativeUrl, { user: 'alice', password: 'alice-pw', reconnect: false });
  const gone = new Promise<number>((resolve) => alice.once('disconnected', (info) => resolve(info.code)));
  const reset = await admin(['reset', '--user', 'alice'], asAdmin);
  expect(reset.code).toBe(0);
  expect(JSON.parse(reset.stdout)).toEqual({ reset: 'alice', mode: 'disconnect', disconnected: 1 });
  expect(await gone).toBe(4004);

  expect(JSON.parse((await admin(['disable'], asAdmin)).stdout)).toEqual({ enabled: false });
  expect(JSON.parse((await admin(['enable'], asAdmin)).stdout)).toEqual({ enabled: true });
});

it('explain names the policy rule, and sees the answer a subscription cached', async () => {
  const explain = async (...args: string[]) => {
    const result = await admin(['explain', ...args], asAdmin);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  expect(await explain('--user', 'alice', '--action', 'write', '--topic', 'orders/alice/1')).toMatchObject({
    module: 'policy',
    moduleConfig: 'security.entitlement',
    decision: 'allow',
    rule: {
      effect: 'grant',
      location: 'groups.traders.grants[0]',
      group: 'traders',
      index: 0,
      text: '{"actions":["read","write"],"topics":["orders/${user}/#"]}',
      pattern: 'orders/${user}/#',
    },
  });
  expect(await explain('--user', 'eve', '--action', 'read', '--topic', 'prices/eu')).toMatchObject({
    decision: 'deny',
    reason: 'no read grant matches the topic',
    rule: null,
  });
  expect(await explain('--user', 'admin', '--action', 'admin', '--path', '/admin/explain')).toMatchObject({
    request: { user: 'admin', action: 'write', resourceType: 'admin', resource: '/admin/explain' },
    decision: 'allow',
    rule: { location: 'groups.admins.grants[0]' },
  });

  const question = ['--user', 'bob', '--action', 'read', '--topic', 'prices/fx', '--listener', 'native'];
  expect((await explain(...question)).cache).toEqual({ cached: false });
  const bob = await connect(nativeUrl, { user: 'bob', password: 'bob-pw', reconnect: false });
  await bob.subscribe({ topic: 'prices/fx' });
  expect((await explain(...question)).cache).toMatchObject({ cached: true, decision: 'allow', filter: null });
  await bob.close();

  const refused = await admin(['explain', '--user', 'alice', '--action', 'logon'], {
    WARDEN_ADMIN_USER: 'alice',
    WARDEN_ADMIN_PASSWORD: 'alice-pw',
  });
  expect(refused).toMatchObject({ code: 3, stdout: '' });
});
