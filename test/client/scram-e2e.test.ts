// The SDK's logon mechanisms against the real broker's `users` authentication module: SCRAM-SHA-256
// end to end (the SDK's WebCrypto client against the broker's node:crypto server), the password
// mechanism with the same user, refusals, and SCRAM again on every reconnect.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, WardenError, type ConnectOptions, type Encoding } from '../../client/index.js';
import { hashPassword, scramCredentials } from '../../server/security/authentication/password-hash.js';
import { Fixture, Inbox, nextEvent, rejectionOf } from './helpers.js';

const fixture = new Fixture();
afterEach(() => fixture.teardown());

const PASSWORD = 'correct horse battery staple';
let security: Record<string, unknown>;

beforeAll(async () => {
  // Cheap scrypt parameters: the test is about the exchange, not the hash's cost.
  const hash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  security = {
    authentication: {
      module: 'users',
      options: { users: [{ name: 'alice', hash, scram: scramCredentials(PASSWORD) }] },
    },
  };
});

describe.each<Encoding>(['msgpack', 'json'])('logon against the users module over %s', (encoding) => {
  const scram = { user: 'alice', password: PASSWORD, mechanism: 'SCRAM-SHA-256', encoding } satisfies ConnectOptions;

  it('logs on with SCRAM-SHA-256 and verifies the broker', async () => {
    const { url } = await fixture.broker({ security });
    const client = await fixture.client(url, scram);
    expect(client.state).toBe('connected');
    expect(client.user).toBe('alice');
    expect(client.session).not.toBe('');
    const inbox = new Inbox();
    await client.subscribe({ topic: 'scram/t' }, inbox.handler);
    await client.publish('scram/t', 'hello', { ack: true });
    expect((await inbox.waitForCount(1))[0]).toMatchObject({ topic: 'scram/t', data: 'hello' });
  });

  it('logs on with the password mechanism too', async () => {
    const { url } = await fixture.broker({ security });
    const client = await fixture.client(url, { user: 'alice', password: PASSWORD, encoding });
    expect(client.user).toBe('alice');
  });

  it('refuses a wrong password with LOGON_FAILED (SCRAM and password)', async () => {
    const { url } = await fixture.broker({ security });
    for (const mechanism of ['SCRAM-SHA-256', 'password'] as const) {
      const error = await rejectionOf(fixture.client(url, { ...scram, mechanism, password: 'wrong' }));
      expect(error, mechanism).toBeInstanceOf(WardenError);
      expect((error as WardenError).code, mechanism).toBe(ErrorCodes.LOGON_FAILED);
    }
  });

  it('refuses an unknown user with LOGON_FAILED', async () => {
    const { url } = await fixture.broker({ security });
    const error = await rejectionOf(fixture.client(url, { ...scram, user: 'mallory' }));
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe(ErrorCodes.LOGON_FAILED);
  });

  it('runs the SCRAM exchange again on reconnect and resumes subscriptions', async () => {
    const { url, broker } = await fixture.broker({ security });
    const client = await fixture.client(url, { ...scram, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
    const inbox = new Inbox();
    await client.subscribe({ topic: 'scram/r' }, inbox.handler);
    const firstSession = client.session;
    const connected = nextEvent(client, 'connected');
    expect(broker.dropConnections()).toBe(1);
    expect(await connected).toMatchObject({ reconnected: true, user: 'alice' });
    expect(client.session).not.toBe(firstSession);
    await client.publish('scram/r', 'after', { ack: true });
    expect((await inbox.waitForCount(1))[0]).toMatchObject({ data: 'after' });
  });
});
