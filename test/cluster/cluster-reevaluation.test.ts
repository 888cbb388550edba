// Re-evaluation and targeted invalidation across a cluster: two Warden nodes as real processes
// over a real redis-server, sharing one policy file. A reset in reevaluate mode asked of one node
// ends a subscription on the other (its client told ENTITLEMENT_REVOKED, still connected), and
// the answer sums what every node did.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client, type WardenError } from '../../client/index.js';
import { startRedisServer, redisServerAvailable, type RedisServer } from '../helpers/redis-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { killAllNodes, startNode, waitForCluster, type ClusterNode } from './cluster-node.js';

const policy = (topics: string) => `
groups:
  everyone:
    users: [admin, alice, bob]
    grants:
      - { actions: [admin] }
      - { actions: [read, write], topics: [${topics}] }
`;

describe.skipIf(!redisServerAvailable())('re-evaluation in a cluster of two nodes', () => {
  let redis: RedisServer;
  let dir: TempDir;
  let a: ClusterNode;
  let b: ClusterNode;
  const clients: Client[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = makeTempDir();
    dir.write('policy.yaml', policy("'prices/#', 'news/#'"));
    const extra = { security: { entitlement: { module: 'policy', options: { file: 'policy.yaml' } } } };
    [a, b] = await Promise.all(
      ['a', 'b'].map((nodeId) => startNode({ dir: dir.path, nodeId, redisUrl: redis.url, extra })),
    );
    for (const node of [a, b]) await waitForCluster(node, (nodes) => nodes.length === 2 && nodes.every((n) => n.alive));
  }, 60_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await Promise.all([a, b].map((node) => node?.stop()));
    killAllNodes();
    await redis?.dispose();
    if (dir !== undefined) rmSync(dir.path, { recursive: true, force: true });
  });

  it('a reset in reevaluate mode asked of one node ends a subscription on the other', async () => {
    const alice = await connect(b.nativeUrl, { user: 'alice', password: 'pw', reconnect: false });
    clients.push(alice);
    const news = await alice.subscribe({ topic: 'news/1' }, () => {});
    await alice.subscribe({ topic: 'prices/1' }, () => {});
    const ended = new Promise<WardenError | undefined>((resolve) => news.once('end', ({ error }) => resolve(error)));
    dir.write('policy.yaml', policy("'prices/#'"));

    const { status, body } = await a.admin('POST', '/admin/entitlements/reset', { mode: 'reevaluate' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      reset: 'all',
      mode: 'reevaluate',
      disconnected: 0,
      subscriptionsRevoked: 1,
      nodes: { applied: 2, of: 2, missing: [], failed: [] },
    });
    expect((await ended)?.code).toBe('ENTITLEMENT_REVOKED');
    expect(alice.state).toBe('connected');
  });

  it('an invalidation asked of one node re-evaluates the user on every node', async () => {
    dir.write('policy.yaml', policy("'prices/#', 'news/#'"));
    await a.admin('POST', '/admin/entitlements/reset', {});
    const bob = await connect(b.nativeUrl, { user: 'bob', password: 'pw', reconnect: false });
    clients.push(bob);
    const closed = new Promise<number>((resolve) => bob.once('disconnected', ({ code }) => resolve(code)));
    // bob leaves the policy. A reset of another user makes every node's module re-read the file
    // but keeps bob's cached answers; the invalidation then forgets just his, everywhere.
    dir.write('policy.yaml', policy("'prices/#', 'news/#'").replace('[admin, alice, bob]', '[admin, alice]'));
    await b.admin('POST', '/admin/entitlements/reset', { user: 'nobody', mode: 'reevaluate' });
    const { status, body } = await a.admin('POST', '/admin/entitlements/invalidate', { user: 'bob' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ invalidated: { user: 'bob' }, disconnected: 1, nodes: { applied: 2 } });
    expect(await closed).toBe(4004);
  });
});
