// POST /admin/explain on a real broker: the policy module names the rule that decided, the filter
// and select list are reported, the entitlement cache is read (and never written) before and after
// a real client's subscription, a module without explain() still answers, and the request is
// entitled like every admin request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import type { Explanation } from '../../server/security/explanation.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const FILTER = "region = 'EU'";
const SELECT = '-/internal';

const POLICY = {
  groups: {
    admins: { users: ['ops'], grants: [{ actions: ['read', 'write', 'admin'], topics: ['#'] }] },
    traders: {
      users: ['alice'],
      grants: [
        { actions: ['read'], topics: ['prices/#'], filter: FILTER, select: SELECT },
        { actions: ['read', 'write'], topics: ['orders/alice/#'] },
      ],
    },
  },
  deny: [{ users: ['*'], actions: ['read'], topics: ['prices/secret/#'] }],
};

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker({
    // allow-any: every password is accepted, so the policy alone decides.
    security: { entitlement: { module: 'policy', options: { policy: POLICY } } },
    admin: {},
    // A listener whose module (allow-all) has no explain().
    mqtt: { transports: ['tcp'], listenerSecurity: { entitlement: { module: 'allow-all' } } },
  });
});
afterAll(() => tb.close());

async function explain(body: unknown, user = 'ops') {
  const res = await fetch(`${tb.broker.adminUrl}/admin/explain`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Explanation & { error?: unknown } };
}

async function explained(body: unknown): Promise<Explanation> {
  const { status, json } = await explain(body);
  expect(status).toBe(200);
  return json;
}

describe('POST /admin/explain with the policy module', () => {
  it('names the deny rule that decided, with its index and text', async () => {
    expect(await explained({ user: 'alice', action: 'read', topic: 'prices/secret/x' })).toEqual({
      request: { user: 'alice', action: 'read', resourceType: 'topic', resource: 'prices/secret/x' },
      module: 'policy',
      moduleConfig: 'security.entitlement',
      entitlementsEnabled: true,
      decision: 'deny',
      reason: 'denied by deny[0]',
      filter: null,
      select: null,
      rule: {
        effect: 'deny',
        location: 'deny[0]',
        user: '*',
        index: 0,
        text: '{"users":["*"],"actions":["read"],"topics":["prices/secret/#"]}',
        pattern: 'prices/secret/#',
      },
      cache: { cached: false },
      moduleLatencyMs: expect.any(Number),
    });
  });

  it('names the grant, its group and index, and the filter and select list it brings', async () => {
    const answer = await explained({ user: 'alice', action: 'read', topic: 'prices/eu' });
    expect(answer).toMatchObject({
      decision: 'allow',
      filter: FILTER,
      select: SELECT,
      rule: {
        effect: 'grant',
        location: 'groups.traders.grants[0]',
        group: 'traders',
        index: 0,
        text: JSON.stringify({ actions: ['read'], topics: ['prices/#'], filter: FILTER, select: SELECT }),
        pattern: 'prices/#',
      },
    });
    expect(answer).not.toHaveProperty('reason');
    expect(answer.moduleLatencyMs).toBeGreaterThanOrEqual(0);
    const write = await explained({ user: 'alice', action: 'write', topic: 'orders/alice/1' });
    expect(write.rule).toMatchObject({ location: 'groups.traders.grants[1]', index: 1, pattern: 'orders/alice/#' });
  });

  it('says when no rule matched: the default deny', async () => {
    expect(await explained({ user: 'alice', action: 'write', topic: 'prices/eu' })).toMatchObject({
      decision: 'deny',
      reason: 'no write grant matches the topic',
      rule: null,
    });
    expect(await explained({ user: 'mallory', action: 'logon' })).toMatchObject({
      request: { user: 'mallory', action: 'logon', resourceType: 'logon', resource: '' },
      decision: 'deny',
      reason: 'user is in no group',
      rule: null,
    });
  });

  it('explains admin paths as the admin listener entitles them', async () => {
    expect(await explained({ user: 'ops', action: 'admin', path: '/admin/entitlements/reset' })).toMatchObject({
      request: { user: 'ops', action: 'write', resourceType: 'admin', resource: '/admin/entitlements/reset' },
      decision: 'allow',
      rule: { location: 'groups.admins.grants[0]', group: 'admins' },
    });
    expect(await explained({ user: 'alice', action: 'admin', path: '/admin/entitlements' })).toMatchObject({
      request: { action: 'read', resource: '/admin/entitlements' },
      decision: 'deny',
      reason: 'no admin grant matches the path',
      rule: null,
    });
  });
});

describe('POST /admin/explain and the entitlement cache', () => {
  it('reports a cached answer and since when after a real subscription, and never adds one itself', async () => {
    const question = { user: 'alice', action: 'read', topic: 'prices/cached' };
    // The explain request's own admin check is cached by the first one; after that, explain adds nothing.
    expect((await explained(question)).cache).toEqual({ cached: false });
    const before = tb.broker.admin.entitlementStatus();
    expect((await explained(question)).cache).toEqual({ cached: false });
    const after = tb.broker.admin.entitlementStatus();
    expect(after.cache.size).toBe(before.cache.size);
    expect(after.cache.misses).toBe(before.cache.misses);
    expect(after.moduleCalls).toBe(before.moduleCalls);

    const alice = await connect(tb.url, { user: 'alice', password: 'pw', reconnect: false });
    const subscribed = Date.now();
    await alice.subscribe({ topic: 'prices/cached' });
    const cachedBy = Date.now();
    const sizeWithSubscription = tb.broker.admin.entitlementStatus().cache.size;
    const answer = await explained(question);
    expect(answer.cache).toEqual({
      cached: true,
      since: expect.any(String),
      ageMs: expect.any(Number),
      decision: 'allow',
      filter: FILTER,
      select: SELECT,
    });
    if (!answer.cache.cached) throw new Error('unreachable');
    const since = Date.parse(answer.cache.since);
    expect(since).toBeGreaterThanOrEqual(subscribed);
    expect(since).toBeLessThanOrEqual(cachedBy);
    expect(tb.broker.admin.entitlementStatus().cache.size).toBe(sizeWithSubscription);
    await alice.close();
  });

  it('keeps the admin credential cache, as a read does', async () => {
    await explained({ user: 'alice', action: 'logon' });
    const hits = tb.broker.stats().adminCredentialCacheHits!;
    await explained({ user: 'alice', action: 'logon' });
    await explained({ user: 'alice', action: 'logon' });
    expect(tb.broker.stats().adminCredentialCacheHits).toBe(hits + 2);
  });
});

describe('POST /admin/explain with other modules, and refusals', () => {
  it("uses a listener's own module, and gives no rule for a module without explain()", async () => {
    const answer = await explained({ user: 'alice', action: 'read', topic: 'prices/secret/x', listener: 'mqtt' });
    expect(answer).toEqual({
      request: { user: 'alice', action: 'read', resourceType: 'topic', resource: 'prices/secret/x' },
      module: 'allow-all',
      moduleConfig: 'listeners[1].entitlement',
      entitlementsEnabled: true,
      decision: 'allow',
      filter: null,
      select: null,
      cache: { cached: false },
      moduleLatencyMs: expect.any(Number),
    });
    // A listener without an override uses security.entitlement.
    expect(
      await explained({ user: 'alice', action: 'read', topic: 'prices/secret/x', listener: 'native' }),
    ).toMatchObject({ module: 'policy', moduleConfig: 'security.entitlement', decision: 'deny' });
  });

  it('answers 400 for a listener the config does not have', async () => {
    expect(await explain({ user: 'alice', action: 'logon', listener: 'mqtt-ws' })).toEqual({
      status: 400,
      json: {
        error: {
          code: 'BAD_REQUEST',
          message: '"listener": no listener named "mqtt-ws" (configured: "native", "mqtt")',
        },
      },
    });
  });

  it('answers 400 for a bad body and 403 to a user without the admin grant', async () => {
    expect(await explain({ user: 'alice', action: 'read', topic: 't', extra: 1 })).toMatchObject({
      status: 400,
      json: { error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^unknown field "extra"/) } },
    });
    expect(await explain({ user: 'alice', action: 'logon' }, 'alice')).toEqual({
      status: 403,
      json: { error: { code: 'FORBIDDEN', message: '"alice" is not entitled to write /admin/explain' } },
    });
  });

  it('says the broker allows without asking while entitlements are disabled, except for admin paths', async () => {
    await tb.broker.admin.disableEntitlements();
    try {
      expect(await explained({ user: 'alice', action: 'read', topic: 'prices/secret/x' })).toEqual({
        request: { user: 'alice', action: 'read', resourceType: 'topic', resource: 'prices/secret/x' },
        module: 'policy',
        moduleConfig: 'security.entitlement',
        entitlementsEnabled: false,
        decision: 'allow',
        filter: null,
        select: null,
        cache: { cached: false },
        moduleLatencyMs: null,
      });
      expect(await explained({ user: 'alice', action: 'admin', path: '/admin/entitlements' })).toMatchObject({
        decision: 'deny',
        rule: null,
      });
    } finally {
      await tb.broker.admin.enableEntitlements();
    }
  });
});
