// Vhosts across a cluster: two Warden nodes as real processes over a real redis-server. A vhost's
// message crosses to the other node's subscribers of that vhost only, and a reset of one vhost,
// asked of either node, closes that vhost's connections on both and no other's.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { startRedisServer, redisServerAvailable, type RedisServer } from '../helpers/redis-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { killAllNodes, startNode, waitForCluster, waitForInterest, type ClusterNode } from './cluster-node.js';

const ALL = { remoteHosts: '*', sources: '#', targets: '#' };

describe.skipIf(!redisServerAvailable())('vhosts in a cluster of two nodes', () => {
  let redis: RedisServer;
  let dir: TempDir;
  let a: ClusterNode;
  let b: ClusterNode;
  const clients: RawClient[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([a, b].map((node) => node?.stop()));
    killAllNodes();
    await redis?.dispose();
    if (dir !== undefined) rmSync(dir.path, { recursive: true, force: true });
  });

  async function logon(node: ClusterNode, host: string, user: string): Promise<RawClient> {
    const c = await RawClient.open(node.nativeUrl, 'json', { headers: { host } });
    clients.push(c);
    expect(await c.request({ op: 'logon', rid: 0, user, password: 'pw' })).toMatchObject({ op: 'ack' });
    return c;
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = makeTempDir();
    const extra = {
      vhosts: {
        enabled: true,
        policies: [
          { hostname: 'a.example', groups: { traders: { users: ['alice', 'amy'], ...ALL } } },
          { hostname: 'b.example', groups: { traders: { users: ['bob', 'bea'], ...ALL } } },
          {
            hostname: 'c.example',
            maxConnections: 2,
            maxConnectionsPerUser: 1,
            groups: { traders: { users: ['cy', 'cal', 'cat'], ...ALL } },
          },
        ],
      },
    };
    [a, b] = await Promise.all(
      ['a', 'b'].map((nodeId) => startNode({ dir: dir.path, nodeId, redisUrl: redis.url, extra })),
    );
    for (const node of [a, b]) await waitForCluster(node, (nodes) => nodes.length === 2 && nodes.every((n) => n.alive));
  }, 60_000);

  it("routes a vhost's messages to its own subscribers on the other node, and resets one vhost everywhere", async () => {
    const amy = await logon(b, 'a.example', 'amy');
    const bob = await logon(b, 'b.example', 'bob');
    expect(await amy.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'x/#' })).toMatchObject({ op: 'ack' });
    expect(await bob.request({ op: 'subscribe', rid: 1, sid: 1, topic: '#' })).toMatchObject({ op: 'ack' });
    await waitForInterest(a, b, 2);

    const alice = await logon(a, 'a.example', 'alice');
    const bea = await logon(a, 'b.example', 'bea');
    expect(await alice.request({ op: 'publish', rid: 1, topic: 'x/1', data: 'from a', ack: true })).toMatchObject({
      op: 'ack',
    });
    // Sent after, over the same bus to node b: bob's first message, unless a.example's leaked.
    expect(await bea.request({ op: 'publish', rid: 1, topic: 'y/1', data: 'from b', ack: true })).toMatchObject({
      op: 'ack',
    });
    expect((await amy.messages(1))[0]).toMatchObject({ topic: 'x/1', data: 'from a' });
    expect((await bob.messages(1))[0]).toMatchObject({ topic: 'y/1', data: 'from b' });

    // The reset of a.example, asked of node b, closes alice (on a) and amy (on b); bob and bea stay.
    const reset = await b.admin('POST', '/admin/entitlements/reset?vhost=a.example', {});
    expect(reset).toMatchObject({ status: 200, body: { vhost: 'a.example', disconnected: 2, nodes: { applied: 2 } } });
    expect((await alice.closed).code).toBe(4004);
    expect((await amy.closed).code).toBe(4004);
    expect(await bob.request({ op: 'ping', rid: 9 })).toMatchObject({ op: 'ack' });
    expect(await bea.request({ op: 'ping', rid: 9 })).toMatchObject({ op: 'ack' });
  });

  it("counts a vhost's connections on every node against its limits", async () => {
    const refused = async (node: ClusterNode, user: string): Promise<Record<string, unknown>> => {
      const c = await RawClient.open(node.nativeUrl, 'json', { headers: { host: 'c.example' } });
      clients.push(c);
      return c.request({ op: 'logon', rid: 0, user, password: 'pw' });
    };
    const cy = await logon(a, 'c.example', 'cy');
    // cy again, on the other node: one connection per user in c.example, whichever node.
    expect(await refused(b, 'cy')).toMatchObject({ op: 'error', code: 'CONNECTION_LIMIT' });
    await logon(b, 'c.example', 'cal');
    // Two connections in c.example in all, one on each node: a third user is refused too.
    expect(await refused(a, 'cat')).toMatchObject({ op: 'error', code: 'CONNECTION_LIMIT' });
    // cy's place comes back to the cluster when she leaves node a: node b lets her in, once Redis has it.
    await cy.close();
    await cy.closed;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await refused(b, 'cy');
      if (answer.op === 'ack') break;
      expect(answer).toMatchObject({ code: 'CONNECTION_LIMIT' });
      if (Date.now() > deadline) throw new Error("cy's place did not come back within 10 s");
    }
  });
});
