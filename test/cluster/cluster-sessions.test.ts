// Client ids and persistent sessions across nodes (three real nodes over a real redis-server,
// sharing the Redis store): a CONNECT on another node takes the client id over (the old
// connection is told "session taken over"), the session resumes there with its subscriptions and
// the messages queued for it, and mqtt.clientIdOwnership holds cluster-wide.
import { rmSync } from 'node:fs';
import type { IDisconnectPacket } from 'mqtt';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, redisServerAvailable, type RedisServer } from '../helpers/redis-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { inbox, MqttClients } from '../mqtt/mqtt-helpers.js';
import { killAllNodes, startNode, waitForCluster, waitForInterest, type ClusterNode } from './cluster-node.js';

describe.skipIf(!redisServerAvailable())('client ids and sessions across nodes', () => {
  let redis: RedisServer;
  let dir: TempDir;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  const mqtt = new MqttClients();

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = makeTempDir();
    [a, b, c] = await Promise.all(
      ['a', 'b', 'c'].map((nodeId) => startNode({ dir: dir.path, nodeId, redisUrl: redis.url })),
    );
    for (const node of [a, b, c])
      await waitForCluster(node, (nodes) => nodes.length === 3 && nodes.every((n) => n.alive));
  }, 60_000);

  afterEach(() => mqtt.teardown());

  afterAll(async () => {
    await Promise.all([a, b, c].map((node) => node?.stop()));
    killAllNodes();
    await redis?.dispose();
    if (dir !== undefined) rmSync(dir.path, { recursive: true, force: true });
  });

  const persistent = (clientId: string) => ({
    clientId,
    clean: false,
    username: 'alice',
    properties: { sessionExpiryInterval: 600 },
  });

  it('takes a client id over from another node, and the session follows with its queued messages', async () => {
    const first = await mqtt.connect(a.mqttUrl, 5, persistent('tracker-1'));
    await first.subscribeAsync('fleet/#', { qos: 1 });
    await waitForInterest(b, a, 1);
    const publisher = await mqtt.connect(b.mqttUrl, 5, { username: 'feed' });
    const gotFirst = inbox(first);
    await publisher.publishAsync('fleet/1', 'on A', { qos: 1 });
    await gotFirst.count(1);

    // The same client id on C: A closes the old connection with 0x8E, C resumes the session.
    const takenOver = new Promise<IDisconnectPacket>((resolve) => first.once('disconnect', resolve));
    const { client: second, connack } = mqtt.start(c.mqttUrl, 5, persistent('tracker-1'));
    const gotSecond = inbox(second);
    expect((await connack).sessionPresent).toBe(true);
    expect((await takenOver).reasonCode).toBe(0x8e);
    // Its subscription moved with it: C has the interest, and A no longer does.
    await waitForInterest(b, c, 1);
    await waitForCluster(b, (nodes) => nodes.find((n) => n.node === 'a')?.patterns === 0);
    await publisher.publishAsync('fleet/2', 'on C', { qos: 1 });
    await gotSecond.until((items) => items.some((m) => m.text === 'on C'));
    expect(gotFirst.items.map((m) => m.text)).toEqual(['on A']);

    // Away from C: messages queue in its session there, and go with it to the next node.
    await second.endAsync();
    await publisher.publishAsync('fleet/3', 'queued 1', { qos: 1 });
    await publisher.publishAsync('fleet/4', 'queued 2', { qos: 1 });
    const { client: third, connack: thirdConnack } = mqtt.start(b.mqttUrl, 5, persistent('tracker-1'));
    const gotThird = inbox(third);
    expect((await thirdConnack).sessionPresent).toBe(true);
    await gotThird.count(2);
    expect(gotThird.items.map((m) => [m.topic, m.text, m.qos])).toEqual([
      ['fleet/3', 'queued 1', 1],
      ['fleet/4', 'queued 2', 1],
    ]);
  });

  it('discards the session on the other node for a Clean Start', async () => {
    const first = await mqtt.connect(a.mqttUrl, 5, persistent('tracker-2'));
    await first.subscribeAsync('clean/#', { qos: 1 });
    await first.endAsync();
    const { client: second, connack } = mqtt.start(c.mqttUrl, 5, {
      ...persistent('tracker-2'),
      clean: true,
      properties: { sessionExpiryInterval: 0 },
    });
    expect((await connack).sessionPresent).toBe(false);
    // Nothing of the old session is left anywhere: a later resumption finds none.
    await second.endAsync();
    const { connack: again } = mqtt.start(b.mqttUrl, 5, persistent('tracker-2'));
    expect((await again).sessionPresent).toBe(false);
  });

  it('keeps holding a client id across quick reconnections to the same node', async () => {
    const probe = new Redis(redis.url);
    try {
      for (let i = 0; i < 20; i++) {
        const old = await mqtt.connect(a.mqttUrl, 4, { clientId: 'quick-1', username: 'alice' });
        // The old connection's end and the new CONNECT overlap: the old one's release (batched
        // per turn, and skipped for an id claimed again) must not remove the new one's hold.
        const closing = old.endAsync();
        const again = await mqtt.connect(a.mqttUrl, 4, { clientId: 'quick-1', username: 'alice' });
        await closing;
        await again.publishAsync('quick/sync', 'x', { qos: 1 });
        // A round trip through the node's Redis connection after its releases of this turn.
        await waitForCluster(a, (nodes) => nodes.length === 3);
        expect(JSON.parse((await probe.get('warden:client:quick-1')) ?? 'null')).toEqual({ n: 'a', u: 'alice' });
        await again.endAsync();
      }
    } finally {
      probe.disconnect();
    }
  });

  it("refuses another user's client id held on another node (mqtt.clientIdOwnership: user)", async () => {
    await mqtt.connect(a.mqttUrl, 5, persistent('tracker-3'));
    const refusal = await mqtt.refusal(c.mqttUrl, 5, { ...persistent('tracker-3'), username: 'mallory' });
    expect(refusal.code).toBe(0x85);
    const refused = await c.waitForLog((e) => e.msg === 'logon refused' && e.user === 'mallory');
    expect(String(refused.reason)).toContain('held by another user ("alice") on another node');
  });
});
