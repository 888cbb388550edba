// Admin per vhost (docs/vhosts.md#admin): GET /admin/vhosts lists them; `?vhost=` scopes the
// connection, reset, status and explain endpoints to one vhost; a tenant admin (a group with
// allowAdminStatusUpdate) sees and acts on its own vhost only, the broker's admins on any.
import { expect, it } from 'vitest';
import { TEST_TRANSPORT } from '../helpers/broker.js';
import { ALL, useVhostBroker } from './vhost-fixture.js';

const vh = useVhostBroker();

async function start(): Promise<{ admin: string }> {
  const broker = await vh.start({
    admin: {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      credentialCache: { ttlMs: 0 },
      console: { enabled: false },
      // The broker's own admin is root; no one else is, anywhere.
      entitlement: {
        module: 'policy',
        options: { policy: { groups: { root: { users: ['root'], grants: [{ actions: ['admin'] }] } } } },
      },
    },
    vhosts: {
      enabled: true,
      policies: [
        {
          hostname: 'a.example',
          maxConnections: 50,
          groups: {
            ops: { users: ['anna'], ...ALL, allowAdminStatusUpdate: true },
            traders: { users: ['alice'], ...ALL },
          },
        },
        { hostname: 'b.example', groups: { traders: { users: ['alice', 'bob'], ...ALL } } },
      ],
    },
    listeners: [{ name: 'native', protocol: 'native', transport: TEST_TRANSPORT, host: '127.0.0.1', port: 0 }],
  });
  return { admin: broker.adminUrl! };
}

function as(user: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}`, 'Content-Type': 'application/json' };
}

async function call(admin: string, user: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${admin}${path}`, {
    method,
    headers: as(user),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

it('lists the vhosts with their connections and limits', async () => {
  const { admin } = await start();
  await vh.logon('a.example', 'alice');
  await vh.logon('b.example', 'alice');
  await vh.logon('b.example', 'bob');
  const all = await call(admin, 'root', 'GET', '/admin/vhosts');
  expect(all.status).toBe(200);
  expect(all.body).toMatchObject({
    enabled: true,
    vhosts: [
      { name: 'a.example', connections: 1, maxConnections: 50, groups: ['ops', 'traders'], default: false },
      { name: 'b.example', connections: 2, maxConnections: 65535, groups: ['traders'] },
    ],
  });
  const one = await call(admin, 'root', 'GET', '/admin/vhosts?vhost=B.Example');
  expect((one.body.vhosts as { name: string }[]).map((v) => v.name)).toEqual(['b.example']);
  const connections = await call(admin, 'root', 'GET', '/admin/connections?vhost=b.example');
  expect((connections.body.connections as { user: string; vhost: string }[]).map((c) => [c.user, c.vhost])).toEqual([
    ['alice', 'b.example'],
    ['bob', 'b.example'],
  ]);
});

it('confines a tenant admin to its vhost, and resets one vhost only', async () => {
  const { admin } = await start();
  const aliceA = await vh.logon('a.example', 'alice');
  const aliceB = await vh.logon('b.example', 'alice');
  // anna is a.example's tenant admin: its connections, yes; b's or the broker's, no.
  const mine = await call(admin, 'anna', 'GET', '/admin/connections?vhost=a.example');
  expect(mine.status).toBe(200);
  expect((mine.body.connections as { user: string }[]).map((c) => c.user)).toEqual(['alice']);
  expect((await call(admin, 'anna', 'GET', '/admin/connections?vhost=b.example')).status).toBe(403);
  expect((await call(admin, 'anna', 'GET', '/admin/connections')).status).toBe(403);
  expect((await call(admin, 'anna', 'POST', '/admin/entitlements/disable?vhost=a.example')).status).toBe(400);
  // A user of the vhost who is no tenant admin: nothing.
  expect((await call(admin, 'alice', 'GET', '/admin/connections?vhost=a.example')).status).toBe(403);
  // Another vhost's connection is not found through this one.
  const bId = (
    (await call(admin, 'root', 'GET', '/admin/connections?vhost=b.example')).body.connections as {
      id: string;
    }[]
  )[0]!.id;
  expect((await call(admin, 'anna', 'DELETE', `/admin/connections/${bId}?vhost=a.example`)).status).toBe(404);
  // The reset of a.example closes alice's connection there, not her connection to b.example.
  const reset = await call(admin, 'anna', 'POST', '/admin/entitlements/reset?vhost=a.example', { user: 'alice' });
  expect(reset).toMatchObject({ status: 200, body: { reset: 'alice', vhost: 'a.example', disconnected: 1 } });
  expect((await aliceA.closed).code).toBe(4004);
  expect(await aliceB.request({ op: 'ping', rid: 9 })).toMatchObject({ op: 'ack' });
  // An unknown vhost is not found, after authentication.
  expect((await call(admin, 'root', 'GET', '/admin/connections?vhost=c.example')).status).toBe(404);
});

it("explains a vhost user's decision with the vhost's own policy", async () => {
  const { admin } = await start();
  const denied = await call(admin, 'root', 'POST', '/admin/explain?vhost=a.example', {
    user: 'bob',
    action: 'logon',
  });
  expect(denied).toMatchObject({ status: 200, body: { decision: 'deny', module: 'vhost-policy' } });
  const allowed = await call(admin, 'root', 'POST', '/admin/explain?vhost=b.example', {
    user: 'bob',
    action: 'read',
    topic: 'x/1',
  });
  expect(allowed).toMatchObject({ status: 200, body: { decision: 'allow', module: 'vhost-policy' } });
  const status = await call(admin, 'root', 'GET', '/admin/entitlements?vhost=b.example');
  expect(status).toMatchObject({ status: 200, body: { enabled: true } });
});
