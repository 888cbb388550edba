// Real broker processes killed with SIGKILL (no shutdown, no last write) while clients work, then
// restarted on the same store directory: every QoS 1 message whose PUBACK the publisher saw
// reaches the persistent subscriber, in order, with no gap; retained messages come back; a
// damaged or busy store refuses to start with the documented error; and a memory store
// says that nothing survives, and nothing does.
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { open } from 'lmdb';
import { useTempDirs } from '../helpers/temp-dir.js';
import { Collector } from '../helpers/collector.js';
import { failedStart, killAll, startWarden, type WardenProcess } from './broker-process.js';
import { RawMqttClients, type RawMqtt } from '../mqtt/mqtt-helpers.js';
import type { IPublishPacket } from 'mqtt-packet';

const temp = useTempDirs();
const clients: MqttClient[] = [];
const raws = new RawMqttClients();

afterEach(async () => {
  raws.teardown();
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
  killAll();
});

const SUBSCRIBER = {
  clientId: 'durable-sub',
  clean: false,
  protocolVersion: 5 as const,
  reconnectPeriod: 0,
  properties: { sessionExpiryInterval: 3600 },
};

async function connect(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, ...options });
  clients.push(client);
  return client;
}

/** Texts received on `client` until (and without) the first that is `marker`. */
function receivedUntil(client: MqttClient, marker: string): Promise<string[]> {
  const texts: string[] = [];
  return new Promise((resolve) => {
    client.on('message', (_topic, payload) => {
      const text = payload.toString();
      if (text === marker) resolve(texts);
      else texts.push(text);
    });
  });
}

/**
 * Publish `k/n` = "n" at QoS 1 with `window` in flight until the broker dies; SIGKILL it once
 * `killAfter` PUBACKs have come. Resolves with how many were acknowledged (always 0..n-1, in order).
 */
async function streamUntilKilled(broker: WardenProcess, killAfter: number, window = 20): Promise<number> {
  const pub = await connect(broker.mqttUrl, { clientId: 'streamer' });
  let acked = 0;
  let next = 0;
  let killing: Promise<void> | null = null;
  await new Promise<void>((resolve) => {
    const send = (): void => {
      const n = next++;
      pub.publish('k/x', String(n), { qos: 1 }, (err) => {
        if ((err !== undefined && err !== null) || killing !== null) return;
        // PUBACKs come in order: n is the next.
        acked = n + 1;
        if (acked >= killAfter) {
          killing = broker.kill();
          void killing.then(resolve);
          return;
        }
        send();
      });
    };
    for (let i = 0; i < window; i++) send();
  });
  return acked;
}

describe.each(['always', 'batched', 'none'] as const)('kill -9 with sync: %s', (sync) => {
  it('delivers every acknowledged QoS 1 message to the offline persistent subscriber, in order, without gaps', async () => {
    const dir = temp().path;
    const persistence = { path: join(dir, 'data'), sync };
    let broker = await startWarden(dir, persistence);
    const sub = await connect(broker.mqttUrl, SUBSCRIBER);
    await sub.subscribeAsync('k/#', { qos: 1 });
    await sub.endAsync();

    const acked = await streamUntilKilled(broker, 300);
    expect(acked).toBeGreaterThanOrEqual(300);

    broker = await startWarden(dir, persistence);
    const again = mqtt.connect(broker.mqttUrl, SUBSCRIBER);
    clients.push(again);
    const texts = receivedUntil(again, 'end');
    await new Promise((resolve) => again.once('connect', resolve));
    // Queued messages go out right after CONNACK; a live one published now comes after them.
    const marker = await connect(broker.mqttUrl);
    await marker.publishAsync('k/x', 'end', { qos: 1 });
    const got = (await texts).map(Number);
    // A prefix of the stream, each once, in order: no gap, no duplicate.
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i));
    // `none` acknowledges before the commit: the last acknowledged ones may be lost.
    if (sync !== 'none') expect(got.length).toBeGreaterThanOrEqual(acked);
    await broker.stop();
  });

  it('delivers every acknowledged QoS 1 message to a persistent subscriber that was connected when the broker died', async () => {
    const dir = temp().path;
    const persistence = { path: join(dir, 'data'), sync };
    let broker = await startWarden(dir, persistence);
    // It never acknowledges: everything sent to it is in flight when the broker dies.
    const raw = await rawConnect(broker.mqttUrl, 'durable-raw');
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'k/#', qos: 1 }] });
    await raw.packets.count(2);
    const acked = await streamUntilKilled(broker, 50);
    const before = raw.packets.items.filter((p): p is IPublishPacket => p.cmd === 'publish');

    broker = await startWarden(dir, persistence);
    const again = await rawConnect(broker.mqttUrl, 'durable-raw');
    const marker = await connect(broker.mqttUrl);
    await marker.publishAsync('k/x', 'end', { qos: 1 });
    await again.packets.until((items) => items.some((p) => p.cmd === 'publish' && p.payload.toString() === 'end'));
    const after = again.packets.items.filter(
      (p): p is IPublishPacket => p.cmd === 'publish' && p.payload.toString() !== 'end',
    );
    const got = after.map((p) => Number(p.payload.toString()));
    // Resent in order, from the first: what was in flight with DUP and its packet id.
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i));
    if (sync !== 'none') expect(got.length).toBeGreaterThanOrEqual(acked);
    const firstSent = new Map(before.map((p) => [p.payload.toString(), p.messageId]));
    for (const p of after)
      if (firstSent.has(p.payload.toString()))
        expect(p).toMatchObject({ dup: true, messageId: firstSent.get(p.payload.toString()) });
    await broker.stop();
  });

  it('resends after a crash what a resumed session had been sent but had not acknowledged', async () => {
    const dir = temp().path;
    const persistence = { path: join(dir, 'data'), sync };
    let broker = await startWarden(dir, persistence);
    const first = await rawConnect(broker.mqttUrl, 'resumer');
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'k/#', qos: 1 }] });
    await first.packets.count(2);
    first.socket.destroy();
    await first.closed;
    const pub = await connect(broker.mqttUrl);
    for (let i = 0; i < 5; i++) await pub.publishAsync('k/x', String(i), { qos: 1 });
    // Resumed: the five go out again, and are never acknowledged.
    const second = await rawConnect(broker.mqttUrl, 'resumer');
    await second.packets.count(6);
    // A marker through the store's next commit: the resumed session's state is written by then.
    await pub.publishAsync('k/x', 'mark', { qos: 1 });
    await second.packets.count(7);
    if (sync === 'none') await committedMessages(join(dir, 'data'), 6);
    await broker.kill();

    broker = await startWarden(dir, persistence);
    const third = await rawConnect(broker.mqttUrl, 'resumer');
    await third.packets.count(7);
    const resent = third.packets.items.slice(1) as IPublishPacket[];
    expect(resent.map((p) => p.payload.toString())).toEqual(['0', '1', '2', '3', '4', 'mark']);
    const sentBefore = second.packets.items.slice(1) as IPublishPacket[];
    expect(resent.map((p) => [p.dup, p.messageId])).toEqual(sentBefore.map((p) => [true, p.messageId]));
    await broker.stop();
  });

  it.skipIf(sync === 'none')(
    "remembers a persistent publisher's QoS 2 id after a crash: the resent PUBLISH is not delivered twice",
    async () => {
      const dir = temp().path;
      const persistence = { path: join(dir, 'data'), sync };
      let broker = await startWarden(dir, persistence);
      const watcher = await rawConnect(broker.mqttUrl, 'watcher');
      watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'once/#', qos: 1 }] });
      await watcher.packets.count(2);
      const publisher = await rawConnect(broker.mqttUrl, 'exactly-once');
      // The same QoS 2 PUBLISH, first sent and then resent (DUP) after the crash.
      const once = (dup: boolean) =>
        ({
          cmd: 'publish',
          topic: 'once/1',
          payload: Buffer.from('one'),
          qos: 2,
          messageId: 7,
          dup,
          retain: false,
        }) as const;
      publisher.send(once(false));
      await publisher.packets.count(2);
      expect(publisher.packets.items[1]).toMatchObject({ cmd: 'pubrec', messageId: 7 });
      await watcher.packets.count(3); // delivered once, and stored for the watcher
      await broker.kill();

      broker = await startWarden(dir, persistence);
      const again = await rawConnect(broker.mqttUrl, 'exactly-once');
      // The PUBREC was lost, as far as the client knows: it resends, with DUP.
      again.send(once(true));
      await again.packets.count(2);
      expect(again.packets.items[1]).toMatchObject({ cmd: 'pubrec', messageId: 7 });
      again.send({ cmd: 'pubrel', messageId: 7 });
      await again.packets.count(3);
      expect(again.packets.items[2]).toMatchObject({ cmd: 'pubcomp', messageId: 7 });
      const watching = await rawConnect(broker.mqttUrl, 'watcher');
      const marker = await connect(broker.mqttUrl);
      await marker.publishAsync('once/end', 'end', { qos: 1 });
      await watching.packets.until((items) => items.some((p) => p.cmd === 'publish' && p.topic === 'once/end'));
      const ones = watching.packets.items.filter((p) => p.cmd === 'publish' && p.topic === 'once/1');
      // Only the copy the watcher never acknowledged comes again (DUP), never a second delivery.
      expect(ones.map((p) => (p as IPublishPacket).dup)).toEqual([true]);
      await broker.stop();
    },
  );

  it('keeps retained messages and a session across a graceful restart (SIGTERM)', async () => {
    const dir = temp().path;
    const persistence = { path: join(dir, 'data'), sync };
    let broker = await startWarden(dir, persistence);
    const sub = await connect(broker.mqttUrl, SUBSCRIBER);
    await sub.subscribeAsync('k/#', { qos: 1 });
    await sub.endAsync();
    const pub = await connect(broker.mqttUrl);
    for (let i = 0; i < 20; i++) pub.publish(`r/${i}`, `v${i}`, { qos: 0, retain: true });
    for (let i = 0; i < 20; i++) pub.publish('k/x', String(i), { qos: 1 });
    await pub.publishAsync('k/x', '20', { qos: 1 });
    expect(await broker.stop()).toBe(0);

    broker = await startWarden(dir, persistence);
    const again = mqtt.connect(broker.mqttUrl, SUBSCRIBER);
    clients.push(again);
    const texts = receivedUntil(again, 'end');
    await new Promise((resolve) => again.once('connect', resolve));
    const marker = await connect(broker.mqttUrl);
    await marker.publishAsync('k/x', 'end', { qos: 1 });
    expect((await texts).map(Number)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    const retained = new Collector<string>();
    marker.on('message', (topic, payload) => retained.push(`${topic}=${payload.toString()}`));
    await marker.subscribeAsync('r/#', { qos: 1 });
    await retained.count(20);
    expect(retained.items.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r/${i}=v${i}`).sort());
    await broker.stop();
  });

  it('keeps acknowledged retained messages', async () => {
    const dir = temp().path;
    const path = join(dir, 'data');
    const persistence = { path, sync };
    let broker = await startWarden(dir, persistence);
    const pub = await connect(broker.mqttUrl);
    for (let i = 0; i < 50; i++) await pub.publishAsync(`r/${i}`, `v${i}`, { qos: 1, retain: true });
    // `none` does not wait for the commit: wait for it here, reading the store as another process would.
    if (sync === 'none') await committed(path, 'r/49');
    await broker.kill();

    broker = await startWarden(dir, persistence);
    const sub = await connect(broker.mqttUrl);
    const got = new Collector<string>();
    sub.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`));
    await sub.subscribeAsync('r/#', { qos: 1 });
    await got.count(50);
    await pub.endAsync(true);
    const marker = await connect(broker.mqttUrl);
    await marker.publishAsync('r/live', 'end', { qos: 1 });
    await got.until((items) => items.includes('r/live=end'));
    expect(got.items.filter((t) => t !== 'r/live=end').sort()).toEqual(
      Array.from({ length: 50 }, (_, i) => `r/${i}=v${i}`).sort(),
    );
    await broker.stop();
  });
});

describe('a store that cannot be read', () => {
  async function filledStore(): Promise<{ dir: string; path: string }> {
    const dir = temp().path;
    const path = join(dir, 'data');
    const broker = await startWarden(dir, { path });
    const pub = await connect(broker.mqttUrl);
    for (let i = 0; i < 200; i++) await pub.publishAsync(`r/${i}`, 'x'.repeat(2000), { qos: 1, retain: true });
    await pub.endAsync();
    expect(await broker.stop()).toBe(0);
    return { dir, path };
  }

  it('refuses to start on a truncated data file, naming it and what to do', async () => {
    const { dir, path } = await filledStore();
    const file = join(path, 'data.mdb');
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    const result = await failedStart(dir, { path });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/truncated/);
    expect(result.stderr).toMatch(/backup|move the directory aside/);
    // The damaged store is left as it was: the broker did not start on an empty one in its place.
    expect(readFileSync(file).length).toBeGreaterThan(0);
  });

  it('refuses a file that is not an LMDB file', async () => {
    const dir = temp().path;
    const path = join(dir, 'data');
    mkdirSync(path);
    writeFileSync(join(path, 'data.mdb'), Buffer.alloc(64 * 1024, 7));
    const result = await failedStart(dir, { path });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/not an LMDB data file/);
  });

  it('refuses a store another broker has open, naming its PID', async () => {
    const dir = temp().path;
    const path = join(dir, 'data');
    const first = await startWarden(dir, { path });
    const second = await failedStart(dir, { path });
    expect(second.code).toBe(4);
    expect(second.stderr).toContain(`in use by process ${first.child.pid}`);
    // After a kill -9 the lock is stale: the next broker takes it over.
    await first.kill();
    expect(existsSync(join(path, 'broker.lock'))).toBe(true);
    const third = await startWarden(dir, { path });
    expect(await third.stop()).toBe(0);
  });

  it('refuses a directory it cannot write', async () => {
    const dir = temp().path;
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, '');
    const result = await failedStart(dir, { path: join(file, 'data') });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/cannot be created or written/);
    expect(result.stderr).toMatch(/persistence\.path/);
  });
});

describe('the memory store', () => {
  it('says at start-up that nothing survives, and nothing does', async () => {
    const dir = temp().path;
    let broker = await startWarden(dir, 'none');
    const said = (b: WardenProcess): boolean =>
      b.log.some((e) => typeof e.msg === 'string' && e.msg.includes('do not survive a restart'));
    expect(said(broker)).toBe(true);
    const pub = await connect(broker.mqttUrl);
    await pub.publishAsync('r/1', 'lost', { qos: 1, retain: true });
    await broker.kill();

    broker = await startWarden(dir, 'none');
    expect(said(broker)).toBe(true);
    const sub = await connect(broker.mqttUrl);
    const got = new Collector<string>();
    sub.on('message', (_t, payload) => got.push(payload.toString()));
    await sub.subscribeAsync('r/#', { qos: 1 });
    const marker = await connect(broker.mqttUrl);
    await marker.publishAsync('r/live', 'end', { qos: 1 });
    await got.until((items) => items.includes('end'));
    expect(got.items).toEqual(['end']);
    expect(existsSync(join(dir, 'data'))).toBe(false);
    await broker.stop();
  });
});

/** A raw MQTT 5 connection with a persistent session that never acknowledges, after its CONNACK. */
async function rawConnect(url: string, clientId: string): Promise<RawMqtt> {
  const raw = await raws.open(url, 5);
  raw.send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 5,
    keepalive: 0,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
  });
  await raw.packets.count(1);
  return raw;
}

/** Resolves once the store at `path` holds `n` queued messages, as a second reader sees it. */
async function committedMessages(path: string, n: number): Promise<void> {
  const env = open({ path, readOnly: true, maxDbs: 8 });
  try {
    const messages = env.openDB('messages', {});
    for (;;) {
      env.resetReadTxn();
      if (messages.getCount() >= n) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    await env.close();
  }
}

/** Resolves once the retained message on `topic` is committed to the store at `path`, as a second reader sees it. */
async function committed(path: string, topic: string): Promise<void> {
  const env = open({ path, readOnly: true, maxDbs: 8 });
  try {
    const retained = env.openDB('retained', {});
    for (;;) {
      env.resetReadTxn();
      if (retained.get(topic) !== undefined) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    await env.close();
  }
}
