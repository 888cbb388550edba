// The console's live samples in a cluster: two Warden nodes as real processes over a real
// redis-server; the stream of one node names every node, with each one's connections as its lease
// renewals report them.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { startRedisServer, redisServerAvailable, type RedisServer } from '../helpers/redis-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { killAllNodes, startNode, waitForCluster, type ClusterNode } from '../cluster/cluster-node.js';
import { EventReader } from './console-fixture.js';

describe.skipIf(!redisServerAvailable())('the console in a cluster of two nodes', () => {
  let redis: RedisServer;
  let dir: TempDir;
  let a: ClusterNode;
  let b: ClusterNode;
  const clients: Client[] = [];
  const readers: EventReader[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = makeTempDir();
    const extra = {
      admin: {
        enabled: true,
        host: '127.0.0.1',
        port: 0,
        credentialCache: { ttlMs: 0 },
        console: { sampleIntervalMs: 500 },
      },
    };
    [a, b] = await Promise.all(
      ['a', 'b'].map((nodeId) => startNode({ dir: dir.path, nodeId, redisUrl: redis.url, leaseMs: 1500, extra })),
    );
    for (const node of [a, b]) await waitForCluster(node, (nodes) => nodes.length === 2 && nodes.every((n) => n.alive));
  }, 60_000);

  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.cancel()));
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await Promise.all([a, b].map((node) => node?.stop()));
    killAllNodes();
    await redis?.dispose();
    if (dir !== undefined) rmSync(dir.path, { recursive: true, force: true });
  });

  it("names every node in each sample, with the other node's connections", async () => {
    const signIn = await fetch(`${a.adminUrl}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'ops', password: 'any' }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const response = await fetch(`${a.adminUrl}/console/events`, { headers: { cookie } });
    const events = new EventReader(response);
    readers.push(events);

    const both = await events.sampleWhere((s) => s.nodes?.length === 2);
    expect(both.node).toBe('a');
    expect(both.nodes!.map((n) => [n.node, n.self, n.alive])).toEqual([
      ['a', true, true],
      ['b', false, true],
    ]);

    for (let i = 0; i < 2; i++) clients.push(await connect(b.nativeUrl, { user: `u${i}`, password: 'pw' }));
    const seen = await events.sampleWhere((s) => s.nodes?.find((n) => n.node === 'b')?.connections === 2);
    expect(seen.nodes!.find((n) => n.node === 'a')!.connections).toBe(0);
  });
});
