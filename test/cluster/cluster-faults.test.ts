// What a cluster does when things fail (real processes, a real redis-server): connection limits
// counted over every node and released when a killed node's lease ends; Redis going away (local
// clients are still served, cross-node traffic is counted as dropped, admin actions are refused)
// and coming back (the nodes rejoin); a node partitioned from Redis comes back without
// delivering twice and resets the entitlements it missed.
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { Collector } from '../helpers/collector.js';
import { startRedisServer, redisServerAvailable, type RedisServer } from '../helpers/redis-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { inbox, MqttClients } from '../mqtt/mqtt-helpers.js';
import {
  killAllNodes,
  startNode,
  waitForCluster,
  waitForInterest,
  type ClusterNode,
  type NodeOptions,
} from './cluster-node.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const LEASE_MS = 2000;

/** Check `condition` until it holds, at most `timeoutMs`: for state another process changes. */
async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(!redisServerAvailable())('cluster faults', () => {
  let redis: RedisServer;
  let proxy: TcpProxy;
  let dir: TempDir;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  let probe: Redis;
  const mqtt = new MqttClients();
  const sdkClients: Client[] = [];

  const options = (nodeId: string, redisUrl: string): NodeOptions => ({
    dir: dir.path,
    nodeId,
    redisUrl,
    leaseMs: LEASE_MS,
    cluster: { requestTimeoutMs: 2000 },
    extra: { admission: { userLimits: { enabled: true, default: 2, unlimited: ['feed', 'reader', 'admin'] } } },
  });

  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy(redis.port);
    dir = makeTempDir();
    // C reaches Redis through the proxy, which can cut it off.
    [a, b, c] = await Promise.all([
      startNode(options('a', redis.url)),
      startNode(options('b', redis.url)),
      startNode(options('c', proxy.url)),
    ]);
    for (const node of [a, b, c]) await waitForCluster(node, (nodes) => nodes.filter((n) => n.alive).length === 3);
    probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    probe.on('error', () => {});
  }, 60_000);

  afterEach(async () => {
    await mqtt.teardown();
    await Promise.all(sdkClients.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    probe?.disconnect();
    await Promise.all([a, b, c].map((node) => node?.stop()));
    killAllNodes();
    await proxy?.close();
    await redis?.dispose();
    if (dir !== undefined) rmSync(dir.path, { recursive: true, force: true });
  });

  async function connectedOf(user: string, node: string): Promise<number> {
    if (probe.status !== 'ready') await probe.connect();
    return Number((await probe.hget(`warden:conns:${node}`, `u:${user}`)) ?? 0);
  }

  it("counts a user's connections on every node; a killed node's clients fail over, its counts free when its lease ends", async () => {
    const mark = c.log.length;
    const d = await startNode(options('d', redis.url));
    await waitForCluster(c, (nodes) => nodes.filter((n) => n.alive).length === 4);
    const onD = await mqtt.connect(d.mqttUrl, 5, { username: 'limited', clientId: 'limited-d' });
    await mqtt.connect(a.mqttUrl, 5, { username: 'limited', clientId: 'limited-a' });
    // A third anywhere is one too many (admission.userLimits.default: 2), on a node that has none of them.
    expect((await mqtt.refusal(c.mqttUrl, 5, { username: 'limited', clientId: 'limited-c' })).code).toBe(0x97);

    // An ordinary client on B keeps its connection and its deliveries when D dies.
    const onB = await mqtt.connect(b.mqttUrl, 5, { username: 'reader' });
    await onB.subscribeAsync('alive/#', { qos: 1 });
    await waitForInterest(a, b, 1);
    // An SDK client on D with the cluster's URLs: it fails over to the next node when D dies.
    const sdk = await connect([d.nativeUrl, b.nativeUrl], {
      user: 'reader',
      password: 'pw',
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    sdkClients.push(sdk);
    const sdkGot = new Collector<string>();
    await sdk.subscribe({ topic: 'alive/+/sdk' }, (message) =>
      sdkGot.push(Buffer.from(message.bytes ?? new Uint8Array()).toString()),
    );
    const failedOver = new Promise<string>((resolve) =>
      sdk.on('connected', (info) => {
        if (info.reconnected) resolve(info.url);
      }),
    );
    onD.on('error', () => {});
    await d.kill();
    expect(await failedOver).toBe(b.nativeUrl);
    expect(sdk.url).toBe(b.nativeUrl);
    const gotB = inbox(onB);
    const publisher = await mqtt.connect(a.mqttUrl, 5, { username: 'feed' });
    await publisher.publishAsync('alive/1', 'still here', { qos: 1 });
    await gotB.count(1);
    // The SDK's subscription was sent again on B: once A knows it, a publish on A reaches it.
    await waitForInterest(a, b, 2);
    await publisher.publishAsync('alive/x/sdk', 'failed over', { qos: 1 });
    await sdkGot.until((items) => items.includes('failed over'));

    // D's connection still counts until its lease ends; then it does not.
    await c.waitForLog((e) => e.msg?.startsWith('cluster: node left') === true && e.node === 'd', LEASE_MS * 5, mark);
    const accepted = await mqtt.connect(c.mqttUrl, 5, { username: 'limited', clientId: 'limited-c' });
    expect(accepted.connected).toBe(true);
    expect(await connectedOf('limited', 'c')).toBe(1);
    expect(await connectedOf('limited', 'd')).toBe(0);
  });

  it('keeps serving local clients while Redis is away, refuses admin actions, and rejoins when it is back', async () => {
    const localSub = await mqtt.connect(a.mqttUrl, 5, { username: 'reader' });
    await localSub.subscribeAsync('outage/#', { qos: 1 });
    await waitForInterest(b, a, 1);
    const got = inbox(localSub);
    const localPub = await mqtt.connect(a.mqttUrl, 5, { username: 'feed' });
    const remotePub = await mqtt.connect(b.mqttUrl, 5, { username: 'feed' });

    await redis.stop('SIGKILL');
    await Promise.all(
      [a, b].map((node) => node.waitForLog((e) => e.msg === 'Redis connection error' && e.role === 'commands')),
    );
    // Local delivery goes on.
    await localPub.publishAsync('outage/local', 'local', { qos: 1 });
    await got.until((items) => items.some((m) => m.text === 'local'));
    // Cross-node traffic is counted as dropped, not queued.
    const before = (await b.admin('GET', '/admin/cluster')).body as { bus: { messagesDropped: number } };
    await remotePub.publishAsync('outage/remote', 'lost', { qos: 1 });
    await eventually(async () => {
      const view = (await b.admin('GET', '/admin/cluster')).body as {
        redis: { connected: boolean };
        bus: { messagesDropped: number };
      };
      return view.bus.messagesDropped > before.bus.messagesDropped && !view.redis.connected;
    }, 'B counts the message for A as dropped');
    // The node says it is not ready, and why; it is still alive.
    const ready = await fetch(`${a.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      checks: { cluster: { ok: false, reason: "not connected to the cluster's Redis (cluster.redis)" } },
    });
    expect((await fetch(`${a.adminUrl}/healthz`)).status).toBe(200);
    // An admin action cannot reach the other nodes: refused, applied nowhere.
    const refused = await a.admin('POST', '/admin/entitlements/reset');
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'UNAVAILABLE' } });

    const marks = [a, b, c].map((node) => node.log.length);
    await redis.restart();
    await Promise.all(
      [a, b, c].map((node, i) => node.waitForLog((e) => e.msg === 'cluster: rejoined', 20_000, marks[i])),
    );
    await waitForCluster(b, (nodes) => nodes.filter((n) => n.alive).length === 3);
    expect((await fetch(`${a.adminUrl}/readyz`)).status).toBe(200);
    await waitForInterest(b, a, 1);
    await remotePub.publishAsync('outage/after', 'after', { qos: 1 });
    await got.until((items) => items.some((m) => m.text === 'after'));
    expect(got.items.map((m) => m.text)).toEqual(['local', 'after']);
    const reset = await a.admin('POST', '/admin/entitlements/reset');
    expect(reset.body).toMatchObject({ nodes: { applied: 3, of: 3, missing: [] } });
  });

  it('a node cut off from Redis delivers nothing twice when it comes back, and resets what it missed', async () => {
    const reader = await connect(c.nativeUrl, { user: 'reader', password: 'pw', reconnect: false });
    sdkClients.push(reader);
    const got = new Collector<unknown>();
    await reader.subscribe({ topic: 'split/#' }, (message) => got.push(message.data));
    await waitForInterest(a, c, 1);
    const feed = await connect(a.nativeUrl, { user: 'feed', password: 'pw', reconnect: false });
    sdkClients.push(feed);
    await feed.publish('split/1', 'before', { ack: true });
    await got.count(1);

    const closed = new Promise<number>((resolve) => reader.once('disconnected', (info) => resolve(info.code)));
    // An MQTT client with a persistent session on C, which it will resume on A meanwhile.
    const session = {
      clientId: 'split-1',
      clean: false,
      username: 'mover',
      properties: { sessionExpiryInterval: 600 },
    };
    const onC = await mqtt.connect(c.mqttUrl, 5, session);
    await onC.subscribeAsync('moved/#', { qos: 1 });
    const takenOver = new Promise<number | undefined>((resolve) =>
      onC.once('disconnect', (packet) => resolve(packet.reasonCode)),
    );
    const marks = { a: a.log.length, c: c.log.length };
    await proxy.cut();
    // A and B see C go when its lease ends; a reset now reaches them, not C.
    await a.waitForLog(
      (e) => e.msg?.startsWith('cluster: node left') === true && e.node === 'c',
      LEASE_MS * 5,
      marks.a,
    );
    await feed.publish('split/2', 'during', { ack: true });
    const reset = await a.admin('POST', '/admin/entitlements/reset', { user: 'reader' });
    expect(reset.body).toMatchObject({ disconnected: 0, nodes: { applied: 2, of: 2 } });
    expect(reader.state).toBe('connected');
    // C cannot be asked to let the client id go: A takes the session from the store as it is.
    const { client: onA, connack } = mqtt.start(a.mqttUrl, 5, session);
    expect((await connack).sessionPresent).toBe(true);
    const movedGot = inbox(onA);
    await feed.publish('moved/1', 'to A', { ack: true });
    await movedGot.count(1);

    await proxy.heal();
    await c.waitForLog(
      (e) => e.msg === 'cluster: entitlements were reset while this node was away from Redis; reset here on rejoining',
      20_000,
    );
    expect(await closed).toBe(4004);
    // Back, C lets go of the client A took over meanwhile: one connection per client id again.
    expect(await takenOver).toBe(0x8e);
    // What was published while C was away is not delivered late, nor anything twice.
    const again = await connect(c.nativeUrl, { user: 'reader', password: 'pw', reconnect: false });
    sdkClients.push(again);
    const gotAgain = new Collector<unknown>();
    await again.subscribe({ topic: 'split/#' }, (message) => gotAgain.push(message.data));
    await waitForInterest(a, c, 1);
    await feed.publish('split/3', 'after', { ack: true });
    await gotAgain.count(1);
    await again.ping();
    expect(got.items).toEqual(['before']);
    expect(gotAgain.items).toEqual(['after']);
  });
});
