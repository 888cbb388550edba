// `warden store check | compact | export | import` as real processes (the compiled
// dist/server/cli.js: `npm run build` first) on stores in temp directories, filled by a broker
// running in this process or by LmdbStore directly, and read back by a broker started on them.
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LmdbStore } from '../../server/store/lmdb-store.js';
import type { RetainedRecord } from '../../server/store/records.js';
import { runCli } from '../admin/cli-process.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { inbox, useMqttFixture } from '../mqtt/mqtt-helpers.js';
import { queuedMessage } from '../helpers/store-records.js';

const fx = useMqttFixture();
const { clients, raws } = fx;
const temp = useTempDirs();

const persistent = (clientId: string) => ({
  clientId,
  clean: false,
  username: 'p',
  properties: { sessionExpiryInterval: 3600 },
});

async function startOn(path: string): Promise<TestBroker> {
  fx.tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, persistence: { path, sync: 'always' } });
  return fx.tb;
}

async function stopBroker(): Promise<void> {
  await clients.teardown();
  raws.teardown();
  await fx.tb?.close();
  fx.tb = null;
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A store as a broker leaves it: 2 retained messages (one with v5 properties and binary bytes),
 * 2 persistent sessions, 3 messages queued for the absent `keeper`, and 1 delayed will.
 */
async function brokerFilledStore(): Promise<string> {
  const path = temp().path;
  const tb = await startOn(path);
  const pub = await clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
  await pub.publishAsync('r/a', 'alpha', {
    qos: 1,
    retain: true,
    properties: { userProperties: { k: 'v' }, correlationData: Buffer.from([0, 255]) },
  });
  await pub.publishAsync('r/b', Buffer.from([0, 1, 2, 255]), { qos: 1, retain: true });
  const keeper = await clients.connect(tb.mqttUrl!, 5, persistent('keeper'));
  await keeper.subscribeAsync('q/#', { qos: 1 });
  await keeper.endAsync();
  for (let i = 0; i < 3; i++) await pub.publishAsync('q/x', `m${i}`, { qos: 1 });
  await clients.teardown();
  const dying = await raws.connect(tb.mqttUrl!, 5, {
    clientId: 'dying',
    clean: true,
    username: 'w',
    properties: { sessionExpiryInterval: 3600 },
    will: { topic: 'will/dying', payload: Buffer.from('gone'), qos: 1, properties: { willDelayInterval: 600 } },
  });
  dying.socket.destroy(); // no DISCONNECT: the will waits out its delay
  await dying.closed;
  // The broker schedules (and stores) the will before it counts the connection gone.
  await until(() => tb.broker.connectionCount === 0);
  await stopBroker();
  return path;
}

const HEALTHY_COUNTS = ['retained  2', 'sessions  2', 'messages  3', 'wills     1', 'problems  none'];

describe('warden store', () => {
  it('check reports what a store filled by a broker holds, and exits 0', async () => {
    const path = await brokerFilledStore();
    const result = await runCli(['store', 'check', '--path', path]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`store     ${path}`);
    expect(lines[1]).toBe(`data.mdb  ${statSync(join(path, 'data.mdb')).size} bytes`);
    expect(lines.slice(2)).toEqual(HEALTHY_COUNTS);
  });

  it('check exits 1 and lists a message whose session is missing', async () => {
    const path = temp().path;
    const store = LmdbStore.open({ path, sync: 'always' }, null, null);
    store.putMessage(queuedMessage('gone', 4));
    await store.close();
    const result = await runCli(['store', 'check', '--path', path]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'problems  1\n  message "gone" #4: an orphan: there is no session for its client (the broker drops it at start-up)\n',
    );
    expect(result.stderr).toBe(`warden store check: 1 problem in ${path}\n`);
  });

  it('check refuses a truncated data.mdb with exit 4, naming the file', async () => {
    const path = await brokerFilledStore();
    const dataFile = join(path, 'data.mdb');
    truncateSync(dataFile, statSync(dataFile).size - 4096);
    const result = await runCli(['store', 'check', '--path', path]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(
      new RegExp(
        `^warden store: ${escape(dataFile)}: the store is damaged: it is \\d+ bytes long but its last transaction uses \\d+ bytes \\(truncated\\)`,
      ),
    );
    expect(result.stdout).toBe('');
  });

  it('check refuses a directory with no store in it, and creates none', async () => {
    const path = join(temp().path, 'nothing');
    const result = await runCli(['store', 'check', '--path', path]);
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      `warden store: ${path}: there is no store here (no data.mdb). Check persistence.path, or pass --path DIR.\n`,
    );
    expect(() => statSync(path)).toThrow(/ENOENT/);
  });

  it.each([['check'], ['compact'], ['export'], ['import']])(
    '%s refuses a store a running broker holds (exit 4, naming the process)',
    async (command) => {
      const path = await brokerFilledStore();
      await startOn(path);
      const before = readFileSync(join(path, 'data.mdb'));
      const result = await runCli(['store', command, '--path', path], { stdin: '' });
      expect(result.code).toBe(4);
      expect(result.stderr).toBe(
        `warden store: ${path}: the store is in use by process ${process.pid} (${join(path, 'broker.lock')}). Stop that broker, or set persistence.path to another directory.\n`,
      );
      expect(readFileSync(join(path, 'data.mdb')).equals(before)).toBe(true);
    },
  );

  it('export, import and export again give the same bytes, and a broker resumes from the imported store', async () => {
    const original = await brokerFilledStore();
    const work = temp();
    const first = join(work.path, 'first.jsonl');
    const exported = await runCli(['store', 'export', '--path', original, '--out', first]);
    expect(exported).toMatchObject({ code: 0, stdout: '' });
    expect(exported.stderr).toBe(
      `warden store export: 2 retained messages, 2 sessions, 1 subscription, 3 queued messages and 1 delayed will from ${original}\n`,
    );
    const text = readFileSync(first, 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).toBe('{"type":"meta","product":"warden","format":1}');
    expect(lines.at(-1)).toBe('');
    expect(lines.at(-2)).toBe(
      '{"type":"end","counts":{"retained":2,"sessions":2,"subscriptions":1,"messages":3,"wills":1}}',
    );
    expect(lines.map((l) => (l === '' ? '' : (JSON.parse(l) as { type: string }).type))).toEqual([
      'meta',
      'retained',
      'retained',
      'session',
      'session',
      'subscription',
      'message',
      'message',
      'message',
      'will',
      'end',
      '',
    ]);
    expect(text).toContain('"correlationData":{"$base64":"AP8="}');

    const copy = join(work.path, 'copy');
    const imported = await runCli(['store', 'import', '--path', copy], { stdin: text });
    expect(imported).toMatchObject({
      code: 0,
      stdout: `imported 2 retained messages, 2 sessions, 1 subscription, 3 queued messages and 1 delayed will into ${copy}\n`,
    });
    const again = await runCli(['store', 'export', '--path', copy]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(text);

    // The copy is a store the broker resumes from: the queued messages and the retained ones.
    const tb = await startOn(copy);
    const back = clients.start(tb.mqttUrl!, 5, persistent('keeper'));
    const got = inbox(back.client);
    expect((await back.connack).sessionPresent).toBe(true);
    await got.count(3);
    expect(got.items.map((m) => m.text)).toEqual(['m0', 'm1', 'm2']);
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const retained = inbox(sub);
    await sub.subscribeAsync('r/#', { qos: 1 });
    await retained.count(2);
    expect(retained.items.map((m) => [m.topic, m.text]).sort()).toEqual([
      ['r/a', 'alpha'],
      ['r/b', Buffer.from([0, 1, 2, 255]).toString('utf8')],
    ]);
  });

  it('import refuses a store that is not empty unless --replace, which replaces what it holds', async () => {
    const path = temp().path;
    await writeRetained(path, ['r/old']);
    const other = temp().path;
    await writeRetained(other, ['r/new-1', 'r/new-2']);
    const exportFile = join(temp().path, 'other.jsonl');
    expect((await runCli(['store', 'export', '--path', other, '--out', exportFile])).code).toBe(0);

    const refused = await runCli(['store', 'import', '--path', path, '--in', exportFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `warden store: ${path}: the store is not empty (it holds 1 retained message, 0 sessions, 0 subscriptions, 0 queued messages and 0 delayed wills). Import into an empty store, or pass --replace to discard what it holds.\n`,
    );
    expect(await retainedTopics(path)).toEqual(['r/old']);

    const replaced = await runCli(['store', 'import', '--path', path, '--in', exportFile, '--replace']);
    expect(replaced.code).toBe(0);
    expect(await retainedTopics(path)).toEqual(['r/new-1', 'r/new-2']);
  });

  it('import names the first bad line and writes nothing', async () => {
    const source = temp().path;
    await writeRetained(source, ['r/1', 'r/2', 'r/3']);
    const good = (await runCli(['store', 'export', '--path', source])).stdout.split('\n');
    // Line 3 (the second record) loses its payload.
    const bad = [...good.slice(0, 2), good[2]!.replace(/"payload":\{[^}]*\},/, ''), ...good.slice(3)].join('\n');
    const path = temp().path;
    const result = await runCli(['store', 'import', '--path', path], { stdin: bad });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'warden store: stdin: line 3: retained record: payload: missing. Nothing was imported.\n',
    );
    expect(await retainedTopics(path)).toEqual([]);

    const truncated = good.slice(0, 3).join('\n');
    const cut = await runCli(['store', 'import', '--path', path], { stdin: truncated });
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/^warden store: stdin: the input ends after line 3 without the end line/);
    expect(await retainedTopics(path)).toEqual([]);
  });

  it('compact shrinks a store after many deletes, and the broker restarts on it with its data', async () => {
    const path = temp().path;
    const kept = ['r/0', 'r/100', 'r/200'];
    const store = LmdbStore.open({ path, sync: 'always' }, null, null);
    for (let i = 0; i < 300; i++) store.putRetained(retainedRecord(`r/${i}`, 16 * 1024));
    await store.whenDurable();
    for (let i = 0; i < 300; i++) if (!kept.includes(`r/${i}`)) store.removeRetained(`r/${i}`);
    await store.close();
    const dataFile = join(path, 'data.mdb');
    const before = statSync(dataFile).size;

    const result = await runCli(['store', 'compact', '--path', path]);
    expect(result.code).toBe(0);
    const after = statSync(dataFile).size;
    expect(after).toBeLessThan(before / 10);
    expect(result.stdout).toBe(
      `compacted ${path}: data.mdb ${before} -> ${after} bytes (3 retained messages, 0 sessions, 0 subscriptions, 0 queued messages and 0 delayed wills)\n`,
    );
    expect((await runCli(['store', 'check', '--path', path])).stdout).toContain('retained  3\n');
    // Nothing of the compaction is left beside the store.
    expect(() => statSync(join(path, 'data.mdb.bak'))).toThrow(/ENOENT/);
    expect(() => statSync(join(path, 'compact.tmp'))).toThrow(/ENOENT/);

    const tb = await startOn(path);
    const sub = await clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const got = inbox(sub);
    await sub.subscribeAsync('r/#', { qos: 1 });
    await got.count(3);
    expect(got.items.map((m) => m.topic).sort()).toEqual([...kept].sort());
    expect(got.items.every((m) => m.text === retainedRecord(m.topic, 16 * 1024).payload.toString('utf8'))).toBe(true);
  });

  it('compact refuses a data.mdb.bak left by an interrupted compaction, and leaves the store alone', async () => {
    const path = temp().path;
    await writeRetained(path, ['r/a']);
    writeFileSync(join(path, 'data.mdb.bak'), 'old');
    const before = readFileSync(join(path, 'data.mdb'));
    const result = await runCli(['store', 'compact', '--path', path]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(
      new RegExp(`^warden store: ${escape(join(path, 'data.mdb.bak'))} is left from a compaction that did not finish`),
    );
    expect(readFileSync(join(path, 'data.mdb')).equals(before)).toBe(true);
  });

  it('takes the store from the config, relative to the working directory, and refuses a memory store', async () => {
    const dir = temp();
    await writeRetained(join(dir.path, 'state'), ['r/a']);
    const config = dir.write('warden.yaml', 'persistence:\n  path: ./state\n');
    const result = await runCli(['store', 'check', '--config', config], { cwd: dir.path });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`store     ${join(dir.path, 'state')}\n`);

    const memory = dir.write('memory.yaml', 'persistence: none\n');
    const refused = await runCli(['store', 'export'], { env: { WARDEN_CONFIG: memory }, cwd: dir.path });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toBe(
      `warden store: ${memory}: persistence.store is memory, so there is no store on disk to work on. Pass --path DIR to name a store directory.\n`,
    );
  });

  it.each([['check'], ['compact'], ['export'], ['import']])('%s --help prints its usage', async (command) => {
    const result = await runCli(['store', command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: warden store ${command} `));
    expect(result.stdout).toMatch(/Exit status: 0/);
  });

  it('refuses usage errors with exit 2', async () => {
    expect(await runCli(['store'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/which command\?/) });
    expect(await runCli(['store', 'check', '--out', 'x', '--path', '.'])).toMatchObject({
      code: 2,
      stderr: 'warden store: --out only goes with export, not check\n',
    });
    expect(await runCli(['store', 'check', '--path', '.', '--config', 'x.yaml'])).toMatchObject({
      code: 2,
      stderr: 'warden store: give --path or --config, not both\n',
    });
  });
});

function retainedRecord(topic: string, bytes = 8): RetainedRecord {
  return { topic, payload: Buffer.alloc(bytes, topic), qos: 1, properties: null };
}

async function writeRetained(path: string, topics: readonly string[]): Promise<void> {
  const store = LmdbStore.open({ path, sync: 'always' }, null, null);
  for (const topic of topics) store.putRetained(retainedRecord(topic));
  await store.close();
}

async function retainedTopics(path: string): Promise<string[]> {
  const store = LmdbStore.open({ path, sync: 'none' }, null, null);
  try {
    return (await store.load()).retained.map((r) => r.topic);
  } finally {
    await store.close();
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
