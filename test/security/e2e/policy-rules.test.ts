// The policy module's rules end to end, with an inline policy in the broker config (so `${user}`
// is written `$${user}`, as docs/entitlement.md says): deny rules by user, `*` and group, logon
// denial, $default for unknown users, `${group}`, the union of several groups' grants,
// fail-closed binding, and admin grants and deny rules with paths on the admin listener.
import { describe, expect, it } from 'vitest';
import { adminStatus, refusal, TopicLog, useResources } from './helpers.js';

const res = useResources();

const POLICY = {
  allowUnknownUser: true,
  groups: {
    admins: { users: ['admin'], grants: [{ actions: ['read', 'write', 'admin'], topics: ['#'] }] },
    traders: {
      users: ['alice', 'mallory', 'intern'],
      grants: [
        { actions: ['read', 'write'], topics: ['orders/$${user}/#'] },
        { actions: ['read'], topics: ['prices/#'] },
      ],
    },
    interns: { users: ['intern'], grants: [{ actions: ['read'], topics: ['training/#'] }] },
    guests: { users: ['eve'], grants: [{ actions: ['read'], topics: ['prices/public/#'] }] },
    ops: {
      users: ['olga'],
      grants: [{ actions: ['admin'] }, { actions: ['read'], topics: ['desks/$${group}/#'] }],
    },
    everything: { users: ['a/b', 'carl'], grants: [{ actions: ['read'], topics: ['#'] }] },
    $default: {
      grants: [
        { actions: ['read', 'write'], topics: ['lobby/#'] },
        { actions: ['read'], topics: ['prices/public/#'] },
      ],
    },
  },
  deny: [
    { users: ['*'], actions: ['write'], topics: ['prices/#'] },
    { users: ['mallory'], actions: ['logon'] },
    { groups: ['interns'], actions: ['read', 'write'], topics: ['re:orders/.*/secret'] },
    { users: ['*'], actions: ['read'], topics: ['private/$${user}/#'] },
    { users: ['*'], actions: ['write'], topics: ['scratch/$${user}/#'] },
    { groups: ['ops'], actions: ['admin'], paths: ['/admin/entitlements/disable'] },
  ],
};

const policyBroker = (authentication = 'allow-any', admin = false) =>
  res.broker({
    security: {
      authentication: { module: authentication },
      entitlement: { module: 'policy', options: { policy: POLICY } },
    },
    ...(admin ? { admin: {} } : {}),
  });

describe('policy rules through a real broker', () => {
  it("a deny rule for everyone beats the admins' `#` grant", async () => {
    const tb = await policyBroker();
    const admin = await res.client(tb.url, { user: 'admin', password: 'x' });
    expect(await refusal(admin.publish('prices/x', 1, { ack: true }))).toBe('NOT_ENTITLED');
    await admin.publish('orders/alice/x', 1, { ack: true });
    await admin.subscribe({ topic: 'prices/x' });
  });

  it('a logon deny rule refuses a user who is in a group', async () => {
    const tb = await policyBroker();
    expect(await refusal(res.client(tb.url, { user: 'mallory', password: 'x' }))).toBe('LOGON_FAILED');
    const raw = await res.raw(tb.url);
    expect(await raw.request({ op: 'logon', rid: 1, user: 'mallory', password: 'x' })).toMatchObject({
      op: 'error',
      code: 'LOGON_FAILED',
    });
    expect((await raw.closed).code).toBe(4003);
  });

  it('a deny rule by group reaches the group members only; grants of several groups add up', async () => {
    const tb = await policyBroker();
    const intern = await res.client(tb.url, { user: 'intern', password: 'x' });
    await intern.subscribe({ topic: 'orders/intern/x' }); // traders grant
    await intern.subscribe({ topic: 'training/x' }); // interns grant
    expect(await refusal(intern.subscribe({ topic: 'orders/intern/secret' }))).toBe('NOT_ENTITLED');
    expect(await refusal(intern.publish('orders/intern/secret', 1, { ack: true }))).toBe('NOT_ENTITLED');
    const alice = await res.client(tb.url, { user: 'alice', password: 'x' });
    await alice.subscribe({ topic: 'orders/alice/secret' });
    expect(await refusal(alice.subscribe({ topic: 'training/x' }))).toBe('NOT_ENTITLED');
  });

  it('unknown users get the $default grants (allowUnknownUser: true); group members do not', async () => {
    const tb = await policyBroker();
    const zed = await res.client(tb.url, { user: 'zed', password: 'x' });
    await zed.subscribe({ topic: 'lobby/x' });
    await zed.publish('lobby/x', 1, { ack: true });
    await zed.subscribe({ topic: 'prices/public/x' });
    expect(await refusal(zed.subscribe({ topic: 'prices/x' }))).toBe('NOT_ENTITLED');
    expect(await refusal(zed.subscribe({ topic: 'orders/zed/x' }))).toBe('NOT_ENTITLED');
    const eve = await res.client(tb.url, { user: 'eve', password: 'x' });
    expect(await refusal(eve.subscribe({ topic: 'lobby/x' }))).toBe('NOT_ENTITLED');
  });

  it('`${group}` is the name of the group the grant belongs to', async () => {
    const tb = await policyBroker();
    const olga = await res.client(tb.url, { user: 'olga', password: 'x' });
    await olga.subscribe({ topic: 'desks/ops/x' });
    expect(await refusal(olga.subscribe({ topic: 'desks/traders/x' }))).toBe('NOT_ENTITLED');
  });

  it('`${user}` in a deny rule denies that user\'s own topics; unbindable for a name with "/", it denies every topic', async () => {
    const tb = await policyBroker();
    const carl = await res.client(tb.url, { user: 'carl', password: 'x' });
    await carl.subscribe({ topic: 'public/x' });
    await carl.subscribe({ topic: 'private/alice/x' });
    expect(await refusal(carl.subscribe({ topic: 'private/carl/x' }))).toBe('NOT_ENTITLED');
    const slash = await res.client(tb.url, { user: 'a/b', password: 'x' });
    expect(await refusal(slash.subscribe({ topic: 'public/x' }))).toBe('NOT_ENTITLED');
    expect(await refusal(slash.subscribe({ topic: 'private/a/b/x' }))).toBe('NOT_ENTITLED');
    // Also at delivery time through a wildcard subscription.
    const admin = await res.client(tb.url, { user: 'admin', password: 'x' });
    const slashLog = new TopicLog();
    const carlLog = new TopicLog();
    await slash.subscribe({ topic: '#' }, slashLog.handler);
    await carl.subscribe({ topic: '#' }, carlLog.handler);
    for (const topic of ['public/1', 'private/carl/1', 'public/end']) await admin.publish(topic, topic, { ack: true });
    await carlLog.until('public/end');
    expect(carlLog.topics).toEqual(['public/1', 'public/end']);
    // slash may read nothing. Every publish was acked, so it was routed; a delivery to slash
    // would have been written to its socket before the answer to this ping.
    await slash.ping();
    expect(slashLog.topics).toEqual([]);
  });

  it('the empty user name (implicit logon) never binds `${user}`: deny rules with it deny every topic of their actions', async () => {
    const tb = await policyBroker('implicit');
    const anonymous = await res.raw(tb.url);
    // A command before logon logs on as '' (an unknown user: $default grants read/write lobby/#),
    // but the deny rules on private/${user}/# (read) and scratch/${user}/# (write) cannot be bound
    // for '', so they deny every read and every write.
    expect(await anonymous.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'lobby/x' })).toMatchObject({
      op: 'error',
      rid: 1,
      code: 'NOT_ENTITLED',
    });
    expect(await anonymous.request({ op: 'publish', rid: 2, topic: 'lobby/x', data: 1, ack: true })).toMatchObject({
      op: 'error',
      rid: 2,
      code: 'NOT_ENTITLED',
    });
    expect(await anonymous.request({ op: 'ping', rid: 3 })).toEqual({ op: 'ack', rid: 3 }); // logged on all the same
    expect(tb.broker.stats().logons).toBe(1);
    // A named unknown user gets the same $default grants.
    const zed = await res.client(tb.url, { user: 'zed', password: 'x' });
    await zed.subscribe({ topic: 'lobby/x' });
    await zed.publish('lobby/x', 1, { ack: true });
  });

  it('admin grants and admin deny rules with paths decide admin listener requests', async () => {
    const tb = await policyBroker('allow-any', true);
    const adminUrl = tb.broker.adminUrl!;
    expect(await adminStatus(adminUrl, 'olga', 'x')).toBe(200);
    expect(await adminStatus(adminUrl, 'olga', 'x', '/admin/entitlements/disable', 'POST')).toBe(403);
    expect(tb.broker.admin.entitlementStatus().enabled).toBe(true);
    expect(await adminStatus(adminUrl, 'olga', 'x', '/admin/entitlements/reset', 'POST')).toBe(200);
    expect(await adminStatus(adminUrl, 'alice', 'x')).toBe(403);
    expect(await adminStatus(adminUrl, 'zed', 'x')).toBe(403);
    expect(await adminStatus(adminUrl, 'mallory', 'x')).toBe(403);
    expect(await adminStatus(adminUrl, 'admin', 'x', '/admin/entitlements/disable', 'POST')).toBe(200);
    expect(tb.broker.admin.entitlementStatus().enabled).toBe(false);
  });
});
