// Sanity checks of allow-any, deny-all and allow-all through the SDK and the raw protocol, for
// what test/security/admin-actions.test.ts and implicit-logon.test.ts do not already cover; and a
// per-listener entitlement override.
import { describe, expect, it } from 'vitest';
import { adminStatus, expectRawLogonRefused, refusal, TopicLog, useResources } from './helpers.js';

const res = useResources();

describe('allow-any authentication', () => {
  it('accepts any password or token; the identity is the user name the client gave', async () => {
    const tb = await res.broker({ security: { authentication: { module: 'allow-any' } } });
    expect((await res.client(tb.url, { user: 'alice', password: 'whatever' })).user).toBe('alice');
    expect((await res.client(tb.url, { user: 'bob', token: 'not-a-real-token' })).user).toBe('bob');
    expect((await res.client(tb.url, { user: 'carol' })).user).toBe('carol');
  });

  it('refuses SCRAM-SHA-256 (no password store to prove anything against)', async () => {
    const tb = await res.broker({ security: { authentication: { module: 'allow-any' } } });
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-256' }))).toBe(
      'LOGON_FAILED',
    );
    await expectRawLogonRefused(await res.raw(tb.url), {
      user: 'alice',
      mechanism: 'SCRAM-SHA-256',
      data: 'n,,n=alice,r=abcdefgh',
    });
  });
});

describe('deny-all authentication', () => {
  it('refuses password, token and SCRAM logons alike, closing with 4003, and never challenges', async () => {
    const tb = await res.broker({ security: { authentication: { module: 'deny-all' } } });
    expect(await refusal(res.client(tb.url, { user: 'alice', token: 't' }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-256' }))).toBe(
      'LOGON_FAILED',
    );
    await expectRawLogonRefused(await res.raw(tb.url), { user: 'alice', password: 'pw' });
    await expectRawLogonRefused(await res.raw(tb.url, 'msgpack'), {
      user: 'alice',
      mechanism: 'SCRAM-SHA-256',
      data: 'n,,n=alice,r=abcdefgh',
    });
    expect(tb.broker.stats()).toMatchObject({ logons: 0, logonFailures: 4 });
  });

  it('refuses the implicit logon too: a command before logon is NOT_LOGGED_ON', async () => {
    const tb = await res.broker({ security: { authentication: { module: 'deny-all' } } });
    const raw = await res.raw(tb.url);
    expect(await raw.request({ op: 'publish', rid: 1, topic: 'a', data: 1, ack: true })).toMatchObject({
      op: 'error',
      code: 'NOT_LOGGED_ON',
    });
  });
});

describe('allow-all entitlement (the default)', () => {
  it('lets any user read and write any topic, wildcard subscriptions included', async () => {
    const tb = await res.broker({ security: { entitlement: { module: 'allow-all' } } });
    const reader = await res.client(tb.url, { user: 'reader', password: 'x' });
    const writer = await res.client(tb.url, { user: 'writer', password: 'x' });
    const log = new TopicLog();
    await reader.subscribe({ topic: '#' }, log.handler);
    await reader.subscribe({ topic: 'anything/at/all' });
    for (const topic of ['a', 'orders/bob/1', 'x/y/z']) await writer.publish(topic, topic, { ack: true });
    await log.until('x/y/z');
    expect(log.topics).toEqual(['a', 'orders/bob/1', 'x/y/z']);
    expect(tb.broker.stats()).toMatchObject({ publishesDenied: 0, subscriptionsDenied: 0, deliveriesNotEntitled: 0 });
  });

  it('allows every admin request (the open default the admin docs warn about)', async () => {
    const tb = await res.broker({ admin: {} });
    expect(await adminStatus(tb.broker.adminUrl!, 'anyone', 'anything')).toBe(200);
  });
});

describe('per-listener entitlement', () => {
  it("a listener's own entitlement module replaces the instance's", async () => {
    const tb = await res.broker({
      security: { entitlement: { module: 'simple-access', options: { read: { allow: [] }, write: { allow: [] } } } },
      listenerSecurity: { entitlement: { module: 'simple-access', options: { read: { allow: ['open/#'] } } } },
    });
    const c = await res.client(tb.url, { user: 'u', password: 'x' });
    await c.subscribe({ topic: 'open/1' });
    await c.publish('open/1', 1, { ack: true });
    expect(await refusal(c.subscribe({ topic: 'closed/1' }))).toBe('NOT_ENTITLED');
  });
});
