// Admin Basic credentials go through a short-lived cache of successful checks
// (admin.credentialCache), so an admin client costs one password check (scrypt) per ttlMs, not one
// per request. On the secure example (users module, policy with the admin grant), from two hosts.
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../server/index.js';
import { AdminCredentialCache } from '../../server/admin/admin-credential-cache.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { HOST_A, HOST_B } from '../helpers/two-hosts.js';

const EXAMPLES = join(import.meta.dirname, '../../config/examples');
const secure = loadConfigFile(join(EXAMPLES, 'secure.yaml'));

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.close();
  tb = null;
});

const start = async (credentialCache?: Record<string, number>): Promise<TestBroker> => {
  tb = await startTestBroker({
    security: secure.security,
    admin: credentialCache === undefined ? {} : { credentialCache },
    baseDir: EXAMPLES,
  });
  return tb;
};

/** One admin request from `localAddress`; resolves with the HTTP status. */
function call(
  broker: TestBroker,
  method: 'GET' | 'POST',
  path: string,
  user: string,
  password: string,
  localAddress = HOST_A,
): Promise<number> {
  const url = new URL(path, broker.broker.adminUrl!);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        localAddress,
        headers: {
          Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
          Connection: 'close',
        },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.end();
  });
}

const hits = (broker: TestBroker): number => broker.broker.stats().adminCredentialCacheHits!;

describe('admin credential cache', () => {
  it("checks a client's password once: later requests with the same credentials are answered from the cache", async () => {
    const broker = await start();
    for (let i = 0; i < 5; i++)
      expect(await call(broker, 'GET', '/admin/entitlements', 'admin', 'admin-secret')).toBe(200);
    expect(hits(broker)).toBe(4);
  });

  it('never caches a refusal, and keys by host: another address is checked again', async () => {
    const broker = await start();
    expect(await call(broker, 'GET', '/admin/entitlements', 'admin', 'wrong')).toBe(401);
    expect(await call(broker, 'GET', '/admin/entitlements', 'admin', 'wrong')).toBe(401);
    expect(hits(broker)).toBe(0);
    expect(await call(broker, 'GET', '/admin/entitlements', 'admin', 'admin-secret')).toBe(200);
    expect(await call(broker, 'GET', '/admin/entitlements', 'admin', 'admin-secret', HOST_B)).toBe(200);
    expect(hits(broker)).toBe(0);
    expect(await call(broker, 'GET', '/admin/entitlements', 'admin', 'admin-secret', HOST_B)).toBe(200);
    // A cached success does not let another password in.
    expect(await call(broker, 'GET', '/admin/entitlements', 'admin', 'admin-secreT')).toBe(401);
    expect(hits(broker)).toBe(1);
  });

  it('is cleared by every admin write (reset, disable, enable, reload-tls)', async () => {
    const broker = await start();
    expect(await call(broker, 'GET', '/admin/entitlements', 'admin', 'admin-secret')).toBe(200);
    expect(await call(broker, 'POST', '/admin/entitlements/reset', 'admin', 'admin-secret')).toBe(200);
    expect(hits(broker)).toBe(1);
    expect(await call(broker, 'GET', '/admin/entitlements', 'admin', 'admin-secret')).toBe(200);
    expect(hits(broker)).toBe(1);
  });

  it('ttlMs 0 turns it off', async () => {
    const broker = await start({ ttlMs: 0 });
    for (let i = 0; i < 3; i++)
      expect(await call(broker, 'GET', '/admin/entitlements', 'admin', 'admin-secret')).toBe(200);
    expect(hits(broker)).toBe(0);
  });
});

describe('AdminCredentialCache', () => {
  it('forgets an entry after ttlMs, holds at most maxEntries, and keys by an HMAC, not the password', () => {
    let now = 0;
    const cache = new AdminCredentialCache({ ttlMs: 1000, maxEntries: 2 }, () => now);
    const key = cache.key('127.0.0.1', 'admin', 'admin-secret');
    expect(key).not.toContain('admin-secret');
    expect(key).toBe(cache.key('127.0.0.1', 'admin', 'admin-secret'));
    expect(key).not.toBe(
      new AdminCredentialCache({ ttlMs: 1000, maxEntries: 2 }).key('127.0.0.1', 'admin', 'admin-secret'),
    );
    cache.set(key, 'admin');
    now = 999;
    expect(cache.get(key)).toBe('admin');
    now = 1000;
    expect(cache.get(key)).toBeUndefined();
    for (const user of ['a', 'b', 'c']) cache.set(cache.key('127.0.0.1', user, 'pw'), user);
    expect(cache.size).toBe(2);
    expect(cache.get(cache.key('127.0.0.1', 'a', 'pw'))).toBeUndefined();
    expect(cache.get(cache.key('127.0.0.1', 'c', 'pw'))).toBe('c');
  });
});
