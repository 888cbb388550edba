// Three Warden nodes as real processes over a real redis-server: a message published on one node
// reaches subscribers on the others, only nodes with a matching subscription receive it, order
// is kept per publisher, `$share` groups get one delivery per message for the whole cluster,
// retained messages reach later subscribers on any node, and each node applies its own
// subscribers' entitlement filters and select lists.
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { decodeBusFrame, splitBatch } from '../../server/cluster/bus-codec.js';
import { Collector } from '../helpers/collector.js';
import { startRedisServer, redisServerAvailable, type RedisServer } from '../helpers/redis-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { inbox, MqttClients } from '../mqtt/mqtt-helpers.js';
import { killAllNodes, startNode, waitForCluster, waitForInterest, type ClusterNode } from './cluster-node.js';
import { rmSync } from 'node:fs';

const POLICY = `
allowUnknownUser: false
groups:
  everyone:
    users: [feed, admin, reader]
    grants:
      - { actions: [read, write, admin], topics: ['#'] }
  analysts:
    users: [analyst]
    grants:
      - { actions: [read], topics: ['trades/#'], filter: 'region = "EU"', select: '-/,+/sym,+/px' }
`;

describe.skipIf(!redisServerAvailable())('a cluster of three nodes', () => {
  let redis: RedisServer;
  let dir: TempDir;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  const mqtt = new MqttClients();
  const sdkClients: Client[] = [];
  const watchers: Redis[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = makeTempDir();
    dir.write('policy.yaml', POLICY);
    const extra = { security: { entitlement: { module: 'policy', options: { file: 'policy.yaml' } } } };
    [a, b, c] = await Promise.all(
      ['a', 'b', 'c'].map((nodeId) => startNode({ dir: dir.path, nodeId, redisUrl: redis.url, extra })),
    );
    for (const node of [a, b, c])
      await waitForCluster(node, (nodes) => nodes.length === 3 && nodes.every((n) => n.alive));
  }, 60_000);

  afterEach(async () => {
    await mqtt.teardown();
    await Promise.all(sdkClients.splice(0).map((client) => client.close()));
    for (const watcher of watchers.splice(0)) watcher.disconnect();
  });

  afterAll(async () => {
    await Promise.all([a, b, c].map((node) => node?.stop()));
    killAllNodes();
    await redis?.dispose();
    if (dir !== undefined) rmSync(dir.path, { recursive: true, force: true });
  });

  /** What crosses Redis to `node`: the topics of the bus frames on its channel, in order. */
  async function busTo(node: ClusterNode): Promise<Collector<string>> {
    const watcher = new Redis(redis.url);
    watchers.push(watcher);
    const topics = new Collector<string>();
    watcher.on('messageBuffer', (_channel: Buffer, batch: Buffer) => {
      for (const frame of splitBatch(batch)) topics.push(decodeBusFrame(frame).topic);
    });
    await watcher.subscribe(`warden:bus:${node.nodeId}`);
    return topics;
  }

  it('lists its three nodes, alive, at GET /admin/cluster on any node', async () => {
    const { status, body } = await b.admin('GET', '/admin/cluster');
    expect(status).toBe(200);
    const view = body as { clustered: boolean; node: string; nodes: { node: string; alive: boolean; self: boolean }[] };
    expect(view.clustered).toBe(true);
    expect(view.node).toBe('b');
    expect(view.nodes.map((n) => [n.node, n.alive, n.self])).toEqual([
      ['a', true, false],
      ['b', true, true],
      ['c', true, false],
    ]);
  });

  it('delivers across nodes, and sends a node only what its subscriptions may match', async () => {
    const onB = await mqtt.connect(b.mqttUrl, 5, { username: 'reader' });
    const onC = await mqtt.connect(c.mqttUrl, 5, { username: 'reader' });
    await onB.subscribeAsync('route/#', { qos: 1 });
    await onC.subscribeAsync('route/c', { qos: 1 });
    await waitForInterest(a, b, 1);
    await waitForInterest(a, c, 1);
    const toB = await busTo(b);
    const toC = await busTo(c);
    const gotB = inbox(onB);
    const gotC = inbox(onC);

    const publisher = await mqtt.connect(a.mqttUrl, 5, { username: 'feed' });
    await publisher.publishAsync('route/b-only', 'one', { qos: 1 });
    await publisher.publishAsync('route/c', 'two', { qos: 1 });
    await publisher.publishAsync('route/nobody/else', 'three', { qos: 1 });
    await publisher.publishAsync('route/c', 'four', { qos: 1 });

    await gotB.count(4);
    await gotC.count(2);
    expect(gotB.items.map((m) => m.text)).toEqual(['one', 'two', 'three', 'four']);
    expect(gotC.items.map((m) => [m.topic, m.text])).toEqual([
      ['route/c', 'two'],
      ['route/c', 'four'],
    ]);
    // C's channel carried only what C may want: the bus is not a broadcast.
    await toC.count(2);
    expect(toC.items).toEqual(['route/c', 'route/c']);
    await toB.count(4);
    expect(toB.items).toEqual(['route/b-only', 'route/c', 'route/nobody/else', 'route/c']);
  });

  it("keeps each publisher's order across nodes", async () => {
    const onB = await mqtt.connect(b.mqttUrl, 4, { username: 'reader' });
    const onC = await mqtt.connect(c.mqttUrl, 4, { username: 'reader' });
    await onB.subscribeAsync('order/+', { qos: 1 });
    await onC.subscribeAsync('order/+', { qos: 0 });
    await waitForInterest(a, b, 1);
    await waitForInterest(a, c, 1);
    const gotB = inbox(onB);
    const gotC = inbox(onC);
    const publisher = await mqtt.connect(a.mqttUrl, 4, { username: 'feed' });
    const count = 300;
    for (let i = 0; i < count; i++) publisher.publish(`order/${i % 7}`, String(i), { qos: 1 });
    await gotB.count(count);
    await gotC.count(count);
    const expected = Array.from({ length: count }, (_, i) => String(i));
    expect(gotB.items.map((m) => m.text)).toEqual(expected);
    expect(gotC.items.map((m) => m.text)).toEqual(expected);
  });

  it('delivers each message once to a $share group whose members are on several nodes', async () => {
    const members: MqttClient[] = [];
    for (const node of [a, b, c, c]) {
      const member = await mqtt.connect(node.mqttUrl, 5, { username: 'reader' });
      await member.subscribeAsync('$share/workers/jobs/#', { qos: 1 });
      members.push(member);
    }
    await waitForInterest(a, b, 1);
    await waitForInterest(a, c, 1);
    const received = new Collector<{ member: number; text: string }>();
    members.forEach((member, index) =>
      member.on('message', (_topic, payload) => received.push({ member: index, text: payload.toString() })),
    );
    const publisher = await mqtt.connect(a.mqttUrl, 5, { username: 'feed' });
    const count = 60;
    for (let i = 0; i < count; i++) await publisher.publishAsync(`jobs/${i}`, String(i), { qos: 1 });
    await received.count(count);
    // Every message once, none twice, and every node took some (round robin over the nodes).
    const texts = received.items.map((r) => Number(r.text)).sort((x, y) => x - y);
    expect(texts).toEqual(Array.from({ length: count }, (_, i) => i));
    const byNode = [0, 0, 0];
    for (const r of received.items) byNode[Math.min(r.member, 2)]!++;
    expect(byNode.every((n) => n >= 10)).toBe(true);
    // A second delivery would come after the last first one: ask each member's broker for a round trip first.
    await Promise.all(members.map((m) => m.publishAsync('jobs-sync/none', 'x', { qos: 1 })));
    expect(received.items).toHaveLength(count);
  });

  it('serves a retained message published on one node to a later subscriber on another', async () => {
    const publisher = await mqtt.connect(a.mqttUrl, 5, { username: 'feed' });
    await publisher.publishAsync('status/pump-7', 'running', {
      qos: 1,
      retain: true,
      properties: { userProperties: { site: 'north' } },
    });
    // Retained publishes go to every node, interest or not: wait until C has it.
    const toC = await busTo(c);
    await publisher.publishAsync('status/pump-8', 'stopped', { qos: 1, retain: true });
    await toC.until((topics) => topics.includes('status/pump-8'));
    const late = await mqtt.connect(c.mqttUrl, 5, { username: 'reader' });
    const got = inbox(late);
    await late.subscribeAsync('status/#', { qos: 1 });
    await got.count(2);
    expect(got.items.map((m) => [m.topic, m.text, m.retain]).sort()).toEqual([
      ['status/pump-7', 'running', true],
      ['status/pump-8', 'stopped', true],
    ]);
  });

  it("applies each node's own entitlement filter and select list to what crosses", async () => {
    const analyst = await connect(c.nativeUrl, { user: 'analyst', password: 'pw', reconnect: false });
    sdkClients.push(analyst);
    const got = new Collector<unknown>();
    await analyst.subscribe({ topic: 'trades/#' }, (message) => got.push(message.data));
    await waitForInterest(a, c, 1);
    const feed = await connect(a.nativeUrl, { user: 'feed', password: 'pw', reconnect: false });
    sdkClients.push(feed);
    await feed.publish('trades/1', { sym: 'ACME', px: 10, region: 'US', trader: 'x' }, { ack: true });
    await feed.publish('trades/2', { sym: 'BOLT', px: 20, region: 'EU', trader: 'y' }, { ack: true });
    await feed.publish('trades/3', { sym: 'CORE', px: 30, region: 'EU', trader: 'z' }, { ack: true });
    await got.count(2);
    expect(got.items).toEqual([
      { sym: 'BOLT', px: 20 },
      { sym: 'CORE', px: 30 },
    ]);
  });

  it('resets entitlements on every node from any node, and says how many applied it', async () => {
    const analyst = await connect(c.nativeUrl, { user: 'analyst', password: 'pw', reconnect: false });
    sdkClients.push(analyst);
    const readerOnA = await connect(a.nativeUrl, { user: 'reader', password: 'pw', reconnect: false });
    sdkClients.push(readerOnA);
    const closed = new Promise<number>((resolve) => analyst.once('disconnected', (info) => resolve(info.code)));
    const { status, body } = await b.admin('POST', '/admin/entitlements/reset', { user: 'analyst' });
    expect(status).toBe(200);
    expect(body).toEqual({
      reset: 'analyst',
      mode: 'disconnect',
      disconnected: 1,
      nodes: { applied: 3, of: 3, missing: [], failed: [] },
    });
    expect(await closed).toBe(4004);
    expect(readerOnA.state).toBe('connected');

    const disabled = await a.admin('POST', '/admin/entitlements/disable');
    expect(disabled.body).toEqual({ enabled: false, nodes: { applied: 3, of: 3, missing: [], failed: [] } });
    for (const node of [a, b, c])
      expect((await node.admin('GET', '/admin/entitlements')).body).toMatchObject({ enabled: false });
    const enabled = await c.admin('POST', '/admin/entitlements/enable');
    expect(enabled.body).toMatchObject({ enabled: true, nodes: { applied: 3, of: 3 } });
    for (const node of [a, b, c])
      expect((await node.admin('GET', '/admin/entitlements')).body).toMatchObject({ enabled: true });
  });

  it("closes a user's connections on every node, and one connection by id on the node that has it", async () => {
    const onA = await connect(a.nativeUrl, { user: 'analyst', password: 'pw', reconnect: false });
    const onC = await connect(c.nativeUrl, { user: 'analyst', password: 'pw', reconnect: false });
    const reader = await connect(c.nativeUrl, { user: 'reader', password: 'pw', reconnect: false });
    sdkClients.push(onA, onC, reader);
    const closed = (client: typeof onA): Promise<number> =>
      new Promise((resolve) => client.once('disconnected', (info) => resolve(info.code)));
    const both = Promise.all([closed(onA), closed(onC)]);
    const byUser = await b.admin('DELETE', '/admin/connections?user=analyst');
    expect(byUser).toEqual({
      status: 200,
      body: { user: 'analyst', disconnected: 2, nodes: { applied: 3, of: 3, missing: [], failed: [] } },
    });
    expect(await both).toEqual([4005, 4005]);

    const listed = (await c.admin('GET', '/admin/connections?user=reader')).body as { connections: { id: string }[] };
    const id = listed.connections[0]!.id;
    const readerClosed = closed(reader);
    expect((await a.admin('DELETE', `/admin/connections/${id}`)).body).toMatchObject({ id, disconnected: 1 });
    expect(await readerClosed).toBe(4005);
    expect((await a.admin('DELETE', `/admin/connections/${id}`)).status).toBe(404);
  });
});
