// The connections API through a real broker's admin listener: GET /admin/connections (filters,
// pages), GET /admin/connections/{id}, and DELETE to close a connection or all of a user's, with
// the SDK told by close code 4005 (and not reconnecting) and an MQTT v5 client by DISCONNECT 0x98.
import type { IDisconnectPacket } from 'mqtt-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { CloseCodes } from '../../protocol/native.js';
import type { ConnectionDetail, ConnectionInfo, ConnectionPage } from '../../server/admin/connection-list.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { MqttClients, inbox } from '../mqtt/mqtt-helpers.js';
import { Inbox } from '../client/helpers.js';

const AUTH = { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` };

let tb: TestBroker;
const sdkClients: Client[] = [];
const mqttClients = new MqttClients();

beforeEach(async () => {
  tb = await startTestBroker({ admin: {}, mqtt: { transports: ['tcp'] } });
});
afterEach(async () => {
  await Promise.all(sdkClients.splice(0).map((c) => c.close().catch(() => {})));
  await mqttClients.teardown();
  await tb.close();
});

async function sdk(user: string): Promise<Client> {
  const client = await connect(tb.url, { user, password: 'pw', reconnect: { initialDelayMs: 10 } });
  sdkClients.push(client);
  return client;
}

async function call(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${tb.broker.adminUrl}${path}`, { method, headers: AUTH });
  return { status: response.status, body: await response.json() };
}

async function list(query = ''): Promise<ConnectionPage> {
  const { status, body } = await call('GET', `/admin/connections${query}`);
  expect(status).toBe(200);
  return body as ConnectionPage;
}

describe('GET /admin/connections', () => {
  it('lists each connection with its user, address, protocol, client id, subscriptions, counts', async () => {
    const alice = await sdk('alice');
    const received = new Inbox();
    await alice.subscribe({ topic: 'prices/#' }, received.handler);
    await alice.subscribe({ topic: 'news' }, () => {});
    const bob = await mqttClients.connect(tb.mqttUrl!, 5, { clientId: 'bob-device', username: 'bob', password: 'pw' });
    const bobGot = inbox(bob);
    await bob.subscribeAsync('prices/eu', { qos: 0 });
    await bob.publishAsync('prices/eu', '1', { qos: 1 });
    await bob.publishAsync('prices/us', '2', { qos: 1 });
    await received.waitForCount(2);
    await bobGot.count(1);

    const page = await list();
    expect(page.total).toBe(2);
    const byUser = new Map(page.connections.map((c) => [c.user, c]));
    const a = byUser.get('alice')!;
    expect(a).toMatchObject({
      user: 'alice',
      remoteAddress: '127.0.0.1',
      listener: 'native',
      protocol: 'native',
      clientId: null,
      loggedOn: true,
      subscriptions: 2,
      messagesIn: 0,
      messagesOut: 2,
    });
    expect(a.version).toMatch(/^warden\.v1\.(json|msgpack)$/);
    expect(typeof a.queuedBytes).toBe('number');
    expect(Date.parse(a.connectedAt)).toBeLessThanOrEqual(Date.now());
    expect(byUser.get('bob')).toMatchObject({
      listener: 'mqtt',
      protocol: 'mqtt',
      version: '5.0',
      clientId: 'bob-device',
      subscriptions: 1,
      messagesIn: 2,
      messagesOut: 1,
    });
    expect(page.next).toBeUndefined();
  });

  it('filters by user, host, listener and protocol; every filter given must match', async () => {
    await sdk('alice');
    await sdk('carol');
    await mqttClients.connect(tb.mqttUrl!, 4, { username: 'alice', password: 'pw' });
    const users = (p: ConnectionPage): (string | null)[] => p.connections.map((c) => c.user).sort();
    expect(users(await list('?user=alice'))).toEqual(['alice', 'alice']);
    expect(users(await list('?user=alice&protocol=mqtt'))).toEqual(['alice']);
    expect((await list('?user=alice&protocol=mqtt')).connections[0]!.version).toBe('3.1.1');
    expect(users(await list('?listener=native'))).toEqual(['alice', 'carol']);
    expect((await list('?host=127.0.0.1')).total).toBe(3);
    expect(await list('?host=10.0.0.1')).toEqual({ total: 0, connections: [] });
  });

  it('pages by cursor: `next` leads to the rest, each connection once, in connection order', async () => {
    for (const user of ['u1', 'u2', 'u3', 'u4', 'u5']) await sdk(user);
    const seen: ConnectionInfo[] = [];
    let page = await list('?limit=2');
    const pages = [page];
    while (page.next !== undefined) {
      page = await list(`?limit=2&after=${page.next}`);
      pages.push(page);
    }
    for (const p of pages) seen.push(...p.connections);
    expect(pages.map((p) => p.connections.length)).toEqual([2, 2, 1]);
    expect(pages.every((p) => p.total === 5)).toBe(true);
    expect(seen.map((c) => c.user)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
  });

  it('refuses unknown or malformed query parameters with a specific 400', async () => {
    const cases: [string, string][] = [
      ['?limit=0', '"limit" must be a whole number from 1 to 1000'],
      ['?limit=1001', '"limit" must be a whole number from 1 to 1000'],
      ['?protocol=amqp', '"protocol" must be "native", "mqtt" or "http"'],
      ['?usr=alice', 'unknown query parameter "usr"'],
      ['?user=a&user=b', '"user" given twice'],
      ['?user=', '"user" is empty'],
      ['?after=nonsense', '"after" must be a connection id'],
    ];
    for (const [query, message] of cases) {
      const { status, body } = await call('GET', `/admin/connections${query}`);
      expect(status, query).toBe(400);
      expect((body as { error: { message: string } }).error.message, query).toContain(message);
    }
  });

  it('GET /admin/connections/{id} shows one connection with its subscription patterns; 404 once gone', async () => {
    const alice = await sdk('alice');
    await alice.subscribe({ topic: 'prices/#' }, () => {});
    await alice.subscribe({ regex: '^orders/[0-9]+$' }, () => {});
    const [info] = (await list('?user=alice')).connections;
    const { status, body } = await call('GET', `/admin/connections/${info!.id}`);
    expect(status).toBe(200);
    expect([...(body as ConnectionDetail).subscriptionPatterns].sort()).toEqual(['/^orders/[0-9]+$/', 'prices/#']);
    await alice.close();
    const gone = await call('GET', `/admin/connections/${info!.id}`);
    expect(gone.status).toBe(404);
  });
});

describe('DELETE /admin/connections', () => {
  it('closes one connection by id with 4005; the SDK does not reconnect, the others stay', async () => {
    const alice = await sdk('alice');
    const other = await sdk('alice');
    const [target] = (await list('?user=alice')).connections;
    const disconnected = new Promise<{ code: number; reason: string; willReconnect: boolean }>((resolve) =>
      alice.once('disconnected', resolve),
    );
    expect(await call('DELETE', `/admin/connections/${target!.id}`)).toEqual({
      status: 200,
      body: { id: target!.id, disconnected: 1 },
    });
    expect(await disconnected).toEqual({
      code: CloseCodes.DISCONNECTED_BY_ADMIN,
      reason: 'disconnected by an administrator',
      willReconnect: false,
    });
    expect(alice.state).toBe('closed');
    expect(other.state).toBe('connected');
    expect((await list()).connections.map((c) => c.id)).not.toContain(target!.id);
    expect((await call('DELETE', `/admin/connections/${target!.id}`)).status).toBe(404);
  });

  it('?user= closes every connection of that user: an MQTT v5 client gets DISCONNECT 0x98', async () => {
    await sdk('alice');
    const mqttAlice = await mqttClients.connect(tb.mqttUrl!, 5, { username: 'alice', password: 'pw' });
    const bob = await sdk('bob');
    const told = new Promise<IDisconnectPacket>((resolve) => mqttAlice.once('disconnect', resolve));
    expect(await call('DELETE', '/admin/connections?user=alice')).toEqual({
      status: 200,
      body: { user: 'alice', disconnected: 2 },
    });
    expect((await told).reasonCode).toBe(0x98);
    expect(bob.state).toBe('connected');
    const rest = await list();
    expect(rest.connections.map((c) => c.user)).toEqual(['bob']);
  });

  it('without a user or an id it is refused rather than closing everyone', async () => {
    await sdk('alice');
    const { status, body } = await call('DELETE', '/admin/connections');
    expect(status).toBe(400);
    expect((body as { error: { message: string } }).error.message).toContain('name the user');
    expect((await list()).total).toBe(1);
  });

  it('the methods each path allows are in the 405', async () => {
    const response = await fetch(`${tb.broker.adminUrl}/admin/connections`, { method: 'POST', headers: AUTH });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, DELETE');
  });
});
