// Live reload against real `warden` processes: POST /admin/reload, `warden admin reload` and
// SIGHUP re-read the config file and apply users, policy, admission limits and log.level without a
// restart, reset entitlements as asked, refuse (whole) what needs a restart with the differences,
// and keep the running config when the new one is invalid. Each test waits for the broker's own
// log lines and the clients' events; nothing waits for time to pass.
import { appendFileSync, writeFileSync } from 'node:fs';
import mqtt, { type IDisconnectPacket, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, WardenError, type Client } from '../../client/index.js';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { hashPassword } from '../../server/security/authentication/password-hash.js';
import { runCli } from '../admin/cli-process.js';
import { useTempDirs, type TempDir } from '../helpers/temp-dir.js';
import { CHEAP_SCRYPT } from '../security/e2e/helpers.js';
import { useWardenProcesses, type WardenProcess } from './warden-process.js';

const temp = useTempDirs();
const start = useWardenProcesses();
const clients: Client[] = [];
const mqttClients: MqttClient[] = [];
const brokers: BrokerHandle[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(mqttClients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

const ADMIN_ENV = { WARDEN_ADMIN_USER: 'ops', WARDEN_ADMIN_PASSWORD: 'ops-pw' };

interface Settings {
  readonly level?: string;
  readonly maxConnections?: number;
  readonly nativePort?: number | string;
  /** Extra top-level YAML. */
  readonly extra?: string;
}

/** The broker's config: users from users.yaml, policy from policy.yaml, an admin listener that lets anyone in. */
function configText({ level = 'info', maxConnections = 100, nativePort = 0, extra = '' }: Settings = {}): string {
  return [
    'persistence: none',
    'sys: { enabled: false }',
    `log: { level: ${level}, format: json }`,
    'listeners:',
    `  - { name: native, protocol: native, host: 127.0.0.1, port: ${nativePort} }`,
    '  - { name: mqtt, protocol: mqtt, host: 127.0.0.1, port: 0 }',
    'admin:',
    '  host: 127.0.0.1',
    '  port: 0',
    '  authentication: { module: allow-any }',
    '  entitlement: { module: allow-all }',
    `admission: { maxConnections: ${maxConnections} }`,
    'security:',
    '  authentication: { module: users, options: { usersFile: users.yaml } }',
    '  entitlement: { module: policy, options: { file: policy.yaml } }',
    extra,
    '',
  ].join('\n');
}

/** alice and bob may read and write `topics`; carol (a feed) may write anything. */
function policyText(topics: readonly string[]): string {
  return [
    'groups:',
    '  traders:',
    '    users: [alice, bob]',
    '    grants:',
    `      - { actions: [read, write], topics: ${JSON.stringify(topics)} }`,
    '  feed:',
    '    users: [carol]',
    '    grants:',
    '      - { actions: [write], topics: ["#"] }',
    '',
  ].join('\n');
}

async function userLine(name: string): Promise<string> {
  return `  - { name: ${name}, hash: "${await hashPassword(`${name}-pw`, CHEAP_SCRYPT)}" }\n`;
}

interface Setup {
  readonly dir: TempDir;
  readonly config: string;
  readonly users: string;
  readonly policy: string;
  readonly warden: WardenProcess;
}

/** A broker with user alice, who may read and write a/#, and `more` users. */
async function setup(settings: Settings = {}, more: readonly string[] = []): Promise<Setup> {
  const dir = temp();
  const config = dir.write('warden.yaml', configText(settings));
  const lines = await Promise.all(['alice', ...more].map(userLine));
  const users = dir.write('users.yaml', `users:\n${lines.join('')}`);
  const policy = dir.write('policy.yaml', policyText(['a/#']));
  return { dir, config, users, policy, warden: await start(dir, config) };
}

async function logOn(warden: WardenProcess, user: string): Promise<Client> {
  const client = await connect(warden.urls.native!, { user, password: `${user}-pw`, reconnect: false });
  clients.push(client);
  return client;
}

/** The error code a logon (or any request) fails with. */
async function refusal(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (err) {
    if (err instanceof WardenError) return err.code;
    throw err;
  }
  throw new Error('it succeeded');
}

function closeCode(client: Client): Promise<number> {
  return new Promise((resolve) => client.once('disconnected', ({ code }) => resolve(code)));
}

describe('live reload: users and policy', () => {
  it('a user added to the users file logs on after a reload; open connections are closed with 4004', async () => {
    const { warden, users, config } = await setup();
    const alice = await logOn(warden, 'alice');
    expect(await refusal(logOn(warden, 'bob'))).toBe('LOGON_FAILED');

    appendFileSync(users, await userLine('bob'));
    const aliceGone = closeCode(alice);
    const answer = await warden.reload();
    expect(answer).toEqual({
      status: 200,
      json: {
        applied: true,
        file: config,
        changed: ['security.authentication.options.usersFile'],
        reset: { mode: 'disconnect', disconnected: 1 },
      },
    });
    expect(await aliceGone).toBe(4004);
    await logOn(warden, 'bob');

    expect(await warden.next((e) => e.msg === 'config reloaded')).toMatchObject({
      via: 'admin',
      changed: ['security.authentication.options.usersFile'],
      rebuilt: ['security.authentication'],
    });
    expect(await warden.next((e) => e.audit === true && e.event === 'admin')).toMatchObject({
      user: 'ops',
      method: 'POST',
      path: '/admin/reload',
      status: 200,
      action: 'config reload',
      result: answer.json,
    });
  });

  it('a policy change with reset disconnect closes SDK connections with 4004 and MQTT v5 ones with DISCONNECT 0x98', async () => {
    const { warden, policy } = await setup();
    const sdk = await logOn(warden, 'alice');
    const v5 = await mqtt.connectAsync(warden.urls.mqtt!, {
      protocolVersion: 5,
      username: 'alice',
      password: 'alice-pw',
      reconnectPeriod: 0,
    });
    mqttClients.push(v5);
    await v5.subscribeAsync('a/1');

    writeFileSync(policy, policyText(['b/#']));
    const sdkGone = closeCode(sdk);
    const mqttGone = new Promise<IDisconnectPacket>((resolve) => v5.once('disconnect', resolve));
    const { json } = await warden.reload({ reset: 'disconnect' });
    expect(json).toMatchObject({
      applied: true,
      changed: ['security.entitlement.options.file'],
      reset: { mode: 'disconnect', disconnected: 2 },
    });
    expect(await sdkGone).toBe(4004);
    expect((await mqttGone).reasonCode).toBe(0x98);

    const again = await logOn(warden, 'alice');
    await again.subscribe({ topic: 'b/1' });
    expect(await refusal(again.subscribe({ topic: 'a/1' }))).toBe('NOT_ENTITLED');
  });

  it('with `warden admin reload --reset none` connections stay, and new checks get the new answers', async () => {
    const { warden, policy } = await setup({}, ['carol']);
    const alice = await logOn(warden, 'alice');
    const received: string[] = [];
    let gotB: () => void;
    const bArrived = new Promise<void>((resolve) => (gotB = resolve));
    const handler = (msg: { topic: string }): void => {
      received.push(msg.topic);
      if (msg.topic === 'b/1') gotB();
    };
    await alice.subscribe({ topic: 'a/1' }, handler);
    let closed = false;
    alice.once('disconnected', () => (closed = true));

    writeFileSync(policy, policyText(['b/#']));
    const result = await runCli(['admin', 'reload', '--reset', 'none', '--url', warden.adminUrl], { env: ADMIN_ENV });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({
      applied: true,
      changed: ['security.entitlement.options.file'],
      reset: { mode: 'none', disconnected: 0 },
    });

    // The same connection: its cached answers are gone, the new policy decides.
    await alice.subscribe({ topic: 'b/1' }, handler);
    expect(await refusal(alice.subscribe({ topic: 'a/2' }))).toBe('NOT_ENTITLED');
    // Deliveries too: a/1 is still subscribed, but no longer readable. In order from one publisher,
    // so b/1 arriving means a/1 was not delivered.
    const carol = await logOn(warden, 'carol');
    await carol.publish('a/1', { n: 1 }, { ack: true });
    await carol.publish('b/1', { n: 2 }, { ack: true });
    await bArrived;
    expect(received).toEqual(['b/1']);
    expect(closed).toBe(false);
  });
});

describe('live reload: limits and log level', () => {
  it('a lower admission.maxConnections refuses new connections and keeps the open ones', async () => {
    const { warden, config } = await setup({ maxConnections: 5 });
    const first = await logOn(warden, 'alice');
    writeFileSync(config, configText({ maxConnections: 1 }));
    expect((await warden.reload()).json).toEqual({
      applied: true,
      file: config,
      changed: ['admission.maxConnections'],
    });

    expect(await refusal(logOn(warden, 'alice'))).toBe('CONNECTION_LIMIT');
    await first.subscribe({ topic: 'a/1' });

    writeFileSync(config, configText({ maxConnections: 2 }));
    expect((await warden.reload()).json).toMatchObject({ applied: true, changed: ['admission.maxConnections'] });
    await logOn(warden, 'alice');
  });

  it('log.level: debug lines appear after the reload, not before', async () => {
    const { warden, config } = await setup();
    const notFound = async (): Promise<void> => {
      const response = await fetch(`${warden.adminUrl}/nowhere`, {
        headers: { authorization: `Basic ${Buffer.from('ops:x').toString('base64')}` },
      });
      expect(response.status).toBe(404);
    };
    await notFound();
    writeFileSync(config, configText({ level: 'debug' }));
    expect((await warden.reload()).json).toMatchObject({ applied: true, changed: ['log.level'] });
    // Lines are written in order: a debug line for the first 404 would be before this one.
    const before: string[] = [];
    await warden.next((e) => (before.push(e.msg ?? ''), e.msg === 'config reloaded'));
    expect(before).not.toContain('admin: request refused');

    await notFound();
    expect(await warden.next((e) => e.msg === 'admin: request refused')).toMatchObject({
      level: 20,
      listener: 'admin',
      status: 404,
    });
  });
});

describe('live reload on SIGHUP', () => {
  it('re-reads the file of a real warden process, logs what changed and audits it as (signal)', async () => {
    const { warden, users, config } = await setup();
    const alice = await logOn(warden, 'alice');
    let closed = false;
    alice.once('disconnected', () => (closed = true));

    appendFileSync(users, await userLine('bob'));
    writeFileSync(config, configText({ level: 'debug', extra: 'reload: { reset: none }' }));
    warden.child.kill('SIGHUP');

    expect(await warden.next((e) => e.msg === 'config reloaded')).toMatchObject({
      via: 'SIGHUP',
      file: config,
      changed: ['log.level', 'reload.reset', 'security.authentication.options.usersFile'],
      reset: { mode: 'none', disconnected: 0 },
    });
    expect(await warden.next((e) => e.audit === true && e.event === 'admin')).toMatchObject({
      user: '(signal)',
      method: 'SIGHUP',
      path: '/admin/reload',
      action: 'config reload',
      result: { applied: true, reset: { mode: 'none', disconnected: 0 } },
    });
    await logOn(warden, 'bob');
    // reload.reset: none, read from the new file: alice kept her connection.
    await alice.subscribe({ topic: 'a/1' });
    expect(closed).toBe(false);
    expect(await warden.stop()).toBe(0);
  });
});

describe('live reload refused', () => {
  it('an invalid config changes nothing; the answer and the log give the error warden prints at start-up', async () => {
    const { warden, users, config, policy } = await setup();
    appendFileSync(users, await userLine('bob'));
    writeFileSync(config, configText({ nativePort: 'eighty' }));
    const expected = `invalid Warden configuration in ${config}:\n  listeners[0].port: expected an integer from 0 to 65535, got "eighty"`;
    expect((await warden.reload()).json).toEqual({ applied: false, file: config, changed: [], error: expected });
    expect(await warden.next((e) => e.msg?.startsWith('config reload failed') === true)).toMatchObject({
      level: 50,
      via: 'admin',
      error: expected,
    });
    expect(await refusal(logOn(warden, 'bob'))).toBe('LOGON_FAILED');

    // A policy file that does not load: the previous policy stays, and `warden admin reload` exits 1.
    writeFileSync(config, configText());
    writeFileSync(policy, 'groups: [unclosed\n');
    const result = await runCli(['admin', 'reload', '--url', warden.adminUrl], { env: ADMIN_ENV });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'warden admin: the config was not reloaded: the new config is not valid (see "error"); the broker runs on as it was\n',
    );
    const answer = JSON.parse(result.stdout) as { applied: boolean; error: string };
    expect(answer.applied).toBe(false);
    expect(answer.error).toContain(`invalid Warden configuration in ${policy}:`);
    expect(await refusal(logOn(warden, 'bob'))).toBe('LOGON_FAILED');
    const alice = await logOn(warden, 'alice');
    await alice.subscribe({ topic: 'a/1' });
  });

  it('a listener port change is refused with the differences (secrets masked), and nothing else is applied', async () => {
    const dir = temp();
    dir.write('name.txt', 'edge-a\n');
    const { warden, users, config } = await (async () => {
      const config = dir.write('warden.yaml', configText({ extra: 'broker: { name: "${file:name.txt}" }' }));
      const users = dir.write('users.yaml', `users:\n${await userLine('alice')}`);
      dir.write('policy.yaml', policyText(['a/#']));
      return { warden: await start(dir, config), users, config };
    })();
    dir.write('name.txt', 'edge-b\n');
    appendFileSync(users, await userLine('bob'));
    writeFileSync(config, configText({ nativePort: 1, level: 'debug', extra: 'broker: { name: "${file:name.txt}" }' }));

    const { status, json } = await warden.reload();
    expect(status).toBe(200);
    expect(json).toEqual({
      applied: false,
      file: config,
      changed: ['broker.name', 'log.level', 'listeners[0].port'],
      refused: [
        {
          key: 'broker.name',
          reason: 'needs a restart: the broker name is set at start',
          old: '<secret>',
          new: '<secret>',
        },
        {
          key: 'listeners[0].port',
          reason:
            'needs a restart: listeners are bound at start (only their authentication and entitlement modules are live)',
          old: 0,
          new: 1,
        },
      ],
    });
    expect(await warden.next((e) => e.msg?.startsWith('config reload refused') === true)).toMatchObject({
      level: 40,
      refused: [{ key: 'broker.name' }, { key: 'listeners[0].port' }],
    });
    // Nothing applied: bob is still unknown, and the broker still listens where it did.
    expect(await refusal(logOn(warden, 'bob'))).toBe('LOGON_FAILED');
    await logOn(warden, 'alice');
  });

  it('a broker started from a config object has no file to reload: 409 CONFLICT', async () => {
    const broker = await startBroker({
      persistence: 'none',
      sys: { enabled: false },
      log: { level: 'silent' },
      listeners: [{ name: 'native', protocol: 'native', host: '127.0.0.1', port: 0 }],
      admin: { host: '127.0.0.1', port: 0 },
    });
    brokers.push(broker);
    const response = await fetch(`${broker.adminUrl!}/admin/reload`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('ops:x').toString('base64')}` },
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: {
        code: 'CONFLICT',
        message:
          'this broker was started from a config object, not a file: there is nothing to reload (startBroker option reloadFrom)',
      },
    });
    await expect(broker.reload()).rejects.toThrow(/started from a config object/);
  });
});
