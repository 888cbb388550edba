// The admin HTTP listener on a real broker running the example secure configuration: admin
// requests authenticate through the users module and need the policy's admin grant.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { CloseCodes } from '../../protocol/native.js';
import { loadConfigFile } from '../../server/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const EXAMPLES = join(import.meta.dirname, '../../config/examples');
const secure = loadConfigFile(join(EXAMPLES, 'secure.yaml'));

let tb: TestBroker;
let adminUrl: string;
beforeAll(async () => {
  tb = await startTestBroker({ security: secure.security, admin: {}, baseDir: EXAMPLES });
  adminUrl = tb.broker.adminUrl!;
});
afterAll(async () => tb.close());

function basic(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

async function call(method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

describe('admin HTTP listener on the secure example', () => {
  it('answers 401 without credentials or with a wrong password', async () => {
    const none = await call('GET', '/admin/entitlements');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="warden-admin"/);
    expect(none.json).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect((await call('GET', '/admin/entitlements', basic('admin', 'wrong'))).status).toBe(401);
  });

  it('answers 403 to a user without the admin grant', async () => {
    const res = await call('POST', '/admin/entitlements/disable', basic('alice', 'alice-pw'));
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(tb.broker.admin.entitlementStatus().enabled).toBe(true);
  });

  it('serves status, reset of one user, disable and enable to the admin', async () => {
    const status = await call('GET', '/admin/entitlements', basic('admin', 'admin-secret'));
    expect(status.status).toBe(200);
    expect(status.json).toEqual({
      enabled: true,
      cache: { size: expect.any(Number), hits: expect.any(Number), misses: expect.any(Number) },
      moduleCalls: expect.any(Number),
      failures: 0,
    });

    const alice = await connect(tb.url, { user: 'alice', password: 'alice-pw', reconnect: false });
    const bob = await connect(tb.url, { user: 'bob', password: 'bob-pw', reconnect: false });
    const aliceGone = new Promise<number>((resolve) => alice.once('disconnected', (info) => resolve(info.code)));
    const reset = await call('POST', '/admin/entitlements/reset', basic('admin', 'admin-secret'), { user: 'alice' });
    expect(reset).toMatchObject({ status: 200, json: { reset: 'alice', disconnected: 1 } });
    expect(await aliceGone).toBe(CloseCodes.ENTITLEMENTS_RESET);
    expect(bob.state).toBe('connected');

    expect((await call('POST', '/admin/entitlements/disable', basic('admin', 'admin-secret'))).json).toEqual({
      enabled: false,
    });
    // Disabled: eve may now read what the policy denies her.
    const eve = await connect(tb.url, { user: 'eve', password: 'eve-pw', reconnect: false });
    await eve.subscribe({ topic: 'orders/alice/secret' });
    // Admin requests stay entitled while client entitlements are disabled.
    expect((await call('POST', '/admin/entitlements/enable', basic('bob', 'bob-pw'))).status).toBe(403);
    expect((await call('POST', '/admin/entitlements/enable', basic('admin', 'admin-secret'))).json).toEqual({
      enabled: true,
    });
    await expect(eve.subscribe({ topic: 'orders/alice/other' })).rejects.toMatchObject({ code: 'NOT_ENTITLED' });
    await Promise.all([bob.close(), eve.close()]);
  });
});
