// A shadow policy in a cluster of two real node processes over a real redis-server: each node
// compares and summarises its own calls, and a promotion asked of one node makes the shadow live
// on both, followed by a cluster-wide entitlement reset.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type WardenError } from '../../client/index.js';
import { startRedisServer, redisServerAvailable, type RedisServer } from '../helpers/redis-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { killAllNodes, startNode, waitForCluster, type ClusterNode } from './cluster-node.js';

const LIVE = `
groups:
  admins: { users: [admin], grants: [{ actions: [admin] }] }
  traders: { users: [bob], grants: [{ actions: [read, write], topics: ['orders/#'] }] }
`;
const SHADOW = `${LIVE}deny:\n  - { users: [bob], actions: [write], topics: ['orders/#'] }\n`;

const NODES = { applied: 2, of: 2, missing: [], failed: [] };

describe.skipIf(!redisServerAvailable())('a shadow policy in a cluster of two nodes', () => {
  let redis: RedisServer;
  let dir: TempDir;
  let a: ClusterNode;
  let b: ClusterNode;

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = makeTempDir();
    dir.write('policy.yaml', LIVE);
    dir.write('policy-next.yaml', SHADOW);
    const extra = {
      security: {
        entitlement: { module: 'policy', options: { file: 'policy.yaml', shadow: { file: 'policy-next.yaml' } } },
      },
    };
    [a, b] = await Promise.all(
      ['a', 'b'].map((nodeId) => startNode({ dir: dir.path, nodeId, redisUrl: redis.url, extra })),
    );
    for (const node of [a, b]) await waitForCluster(node, (nodes) => nodes.length === 2 && nodes.every((n) => n.alive));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a, b].map((node) => node?.stop()));
    killAllNodes();
    await redis?.dispose();
    if (dir !== undefined) rmSync(dir.path, { recursive: true, force: true });
  });

  it('each node summarises its own calls; a promotion on one node makes the shadow live on both', async () => {
    const bob = await connect(b.nativeUrl, { user: 'bob', password: 'pw', reconnect: false });
    await bob.publish('orders/1', {}, { ack: true });
    const onB = (await b.admin('GET', '/admin/entitlements/shadow')).body as { shadows: Record<string, unknown>[] };
    expect(onB.shadows[0]).toMatchObject({ differences: 1, byKind: { 'allowed-now-denied': 1 } });
    const onA = (await a.admin('GET', '/admin/entitlements/shadow')).body as { shadows: Record<string, unknown>[] };
    expect(onA.shadows[0]).toMatchObject({ differences: 0 });

    const promoted = await a.admin('POST', '/admin/entitlements/shadow/promote');
    expect(promoted).toEqual({
      status: 200,
      body: {
        promoted: ['security.entitlement'],
        reset: { disconnected: 0, subscriptionsRevoked: 0, nodes: NODES },
        nodes: NODES,
      },
    });
    // A re-evaluating reset keeps bob connected (his logon is still allowed); his write is refused.
    expect(bob.state).toBe('connected');
    expect(((await bob.publish('orders/1', {}, { ack: true }).catch((e: unknown) => e)) as WardenError).code).toBe(
      'NOT_ENTITLED',
    );
    await bob.close();
    for (const node of [a, b])
      expect((await node.admin('GET', '/admin/entitlements/shadow')).body).toEqual({ shadows: [] });

    for (const node of [a, b]) {
      const fresh = await connect(node.nativeUrl, { user: 'bob', password: 'pw', reconnect: false });
      const refused = await fresh.publish('orders/2', {}, { ack: true }).catch((e: unknown) => e);
      await fresh.close();
      expect((refused as WardenError).code).toBe('NOT_ENTITLED');
    }

    // Nothing left to promote anywhere: 409, each node saying why.
    const again = await b.admin('POST', '/admin/entitlements/shadow/promote');
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      error: {
        code: 'CONFLICT',
        message:
          'no node promoted a shadow policy: a: no entitlement module has a shadow policy to promote; b: no entitlement module has a shadow policy to promote',
      },
    });
  });
});
