// HTTP publish with vhosts: each request's vhost is its Host header's, so a back-end service
// publishes into one tenant's namespace, entitled by that tenant's policy (docs/vhosts.md).
import { request } from 'node:http';
import { expect, it } from 'vitest';
import { TEST_TRANSPORT } from '../helpers/broker.js';
import { ALL, useVhostBroker } from './vhost-fixture.js';

const vh = useVhostBroker();

it('publishes over HTTP into the vhost its Host header names, under that vhost’s policy', async () => {
  const broker = await vh.start({
    vhosts: {
      enabled: true,
      policies: [
        { hostname: 'a.example', groups: { traders: { users: ['alice', 'svc'], ...ALL } } },
        {
          hostname: 'b.example',
          groups: { traders: { users: ['bob'], ...ALL }, readers: { users: ['svc'], remoteHosts: '*', sources: '#' } },
        },
      ],
    },
    listeners: [
      { name: 'native', protocol: 'native', transport: TEST_TRANSPORT, host: '127.0.0.1', port: 0 },
      { name: 'http', protocol: 'http', host: '127.0.0.1', port: 0 },
    ],
  });
  const publishUrl = broker.listeners[1]!.url;
  // node:http, not fetch: fetch may not set a Host header of its own.
  const post = (host: string, user: string, topic: string, data: unknown): Promise<{ status: number }> =>
    new Promise((resolve, reject) => {
      const req = request(publishUrl, {
        method: 'POST',
        agent: false,
        headers: {
          host,
          authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}`,
          'content-type': 'application/json',
        },
      });
      req.once('response', (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0 }));
      });
      req.once('error', reject);
      req.end(JSON.stringify({ topic, data }));
    });
  const alice = await vh.logon('a.example', 'alice');
  const bob = await vh.logon('b.example', 'bob');
  for (const c of [alice, bob])
    expect(await c.request({ op: 'subscribe', rid: 1, sid: 1, topic: '#' })).toMatchObject({ op: 'ack' });

  expect((await post('a.example', 'svc', 'orders/1', 'for a')).status).toBe(204);
  // svc may only read in b.example: its publish there is refused, and nothing reaches bob.
  expect((await post('b.example', 'svc', 'orders/1', 'for b')).status).toBe(403);
  expect((await post('c.example', 'svc', 'orders/1', 'nowhere')).status).toBe(401);
  expect(await bob.request({ op: 'publish', rid: 2, topic: 'end', data: 'b', ack: true })).toMatchObject({ op: 'ack' });
  expect((await alice.messages(1))[0]).toMatchObject({ topic: 'orders/1', data: 'for a' });
  expect((await bob.messages(1))[0]).toMatchObject({ topic: 'end', data: 'b' });
});
