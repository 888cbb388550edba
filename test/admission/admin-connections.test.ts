// Admission's counts through the real broker's admin listener: GET /admin/admission (what
// `warden admin admission` prints), entitled like any admin read.
import { afterEach, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { TEST_TRANSPORT, assertTestTransport } from '../helpers/broker.js';

let broker: BrokerHandle | null = null;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await broker?.close();
  broker = null;
});

async function logon(user: string): Promise<Record<string, unknown>> {
  const client = await RawClient.open(broker!.listeners[0]!.url, 'json');
  clients.push(client);
  return client.request({ op: 'logon', rid: 1, user });
}

it('GET /admin/admission: admitted connections per user and host, and refusals by reason', async () => {
  broker = await startBroker({
    log: { level: 'silent' },
    persistence: 'none',
    admin: { enabled: true, host: '127.0.0.1', port: 0 },
    admission: { allowedUsers: ['alice', 'bob'], userLimits: { enabled: true, users: { bob: 1 } } },
    listeners: [{ name: 'native', port: 0, transport: TEST_TRANSPORT }],
  });
  assertTestTransport(broker);
  expect(await logon('alice')).toMatchObject({ op: 'ack' });
  expect(await logon('alice')).toMatchObject({ op: 'ack' });
  expect(await logon('bob')).toMatchObject({ op: 'ack' });
  expect(await logon('bob')).toMatchObject({ code: 'CONNECTION_LIMIT' });
  expect(await logon('carol')).toMatchObject({ code: 'USER_NOT_ALLOWED' });
  const response = await fetch(`${broker.adminUrl}/admin/admission`, {
    headers: { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` },
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({
    admitted: { connections: 3, users: { alice: 2, bob: 1 }, hosts: { '127.0.0.1': 3 } },
    refused: { protocol: 0, rate: 0, user: 1, host: 0, limit: 1 },
  });
});
