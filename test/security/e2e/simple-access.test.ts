// The `simple-access` entitlement module end to end: subscriptions and publishes through a real
// broker, wildcard deliveries filtered per topic, and the admin option on the admin listener.
import { describe, expect, it } from 'vitest';
import { adminStatus, refusal, TopicLog, useResources } from './helpers.js';

const res = useResources();

const accessBroker = (options: Record<string, unknown>, admin?: Record<string, unknown>) =>
  res.broker({ security: { entitlement: { module: 'simple-access', options } }, ...(admin ? { admin } : {}) });

// The example of docs/entitlement.md.
const DOC_EXAMPLE = {
  read: { allow: ['prices/#', 'news/#'], deny: ['prices/internal/#'] },
  write: { allow: ['orders/#'], deny: ['re:orders/.*/audit'] },
};

describe('simple-access: subscriptions (read)', () => {
  it('allows topics in read.allow and refuses others with NOT_ENTITLED', async () => {
    const tb = await accessBroker(DOC_EXAMPLE);
    const c = await res.client(tb.url, { user: 'anyone', password: 'x' });
    expect((await c.subscribe({ topic: 'prices/eur' })).active).toBe(true);
    expect((await c.subscribe({ topic: 'news' })).active).toBe(true); // `#` matches the parent level
    expect(await refusal(c.subscribe({ topic: 'orders/eu' }))).toBe('NOT_ENTITLED');
    expect(await refusal(c.subscribe({ topic: 'pricesx/eur' }))).toBe('NOT_ENTITLED');
    expect(tb.broker.stats().subscriptionsDenied).toBe(2);
  });

  it('deny beats allow', async () => {
    const tb = await accessBroker(DOC_EXAMPLE);
    const c = await res.client(tb.url, { user: 'anyone', password: 'x' });
    expect(await refusal(c.subscribe({ topic: 'prices/internal/cost' }))).toBe('NOT_ENTITLED');
    expect(await refusal(c.subscribe({ topic: 'prices/internal' }))).toBe('NOT_ENTITLED');
  });

  it('an empty allow list allows nothing; no lists allow everything', async () => {
    const closed = await accessBroker({ read: { allow: [] } });
    const c1 = await res.client(closed.url, { user: 'u', password: 'x' });
    expect(await refusal(c1.subscribe({ topic: 'a' }))).toBe('NOT_ENTITLED');
    await c1.publish('a', 1, { ack: true }); // write has no lists: allowed

    const open = await accessBroker({});
    const c2 = await res.client(open.url, { user: 'u', password: 'x' });
    await c2.subscribe({ topic: 'anything/at/all' });
    await c2.publish('anything/at/all', 1, { ack: true });
  });

  it('re: patterns match the whole topic (anchored)', async () => {
    const tb = await accessBroker({ read: { allow: ['re:prices/[a-z]{3}'] } });
    const c = await res.client(tb.url, { user: 'u', password: 'x' });
    await c.subscribe({ topic: 'prices/eur' });
    expect(await refusal(c.subscribe({ topic: 'prices/euro' }))).toBe('NOT_ENTITLED');
    expect(await refusal(c.subscribe({ topic: 'xprices/eur' }))).toBe('NOT_ENTITLED');
    expect(await refusal(c.subscribe({ topic: 'prices/EUR' }))).toBe('NOT_ENTITLED');
  });

  it('a pattern starting with a wildcard covers topics starting with $ too', async () => {
    const tb = await accessBroker({ read: { deny: ['+/secret'] } });
    const c = await res.client(tb.url, { user: 'u', password: 'x' });
    expect(await refusal(c.subscribe({ topic: '$sys/secret' }))).toBe('NOT_ENTITLED');
    await c.subscribe({ topic: '$sys/public' });
  });

  it('a wildcard subscription is accepted but only receives the topics the user may read', async () => {
    const tb = await accessBroker({
      read: { allow: ['prices/#'], deny: ['prices/internal/#', 're:prices/.*/hidden'] },
    });
    const reader = await res.client(tb.url, { user: 'reader', password: 'x' });
    const writer = await res.client(tb.url, { user: 'writer', password: 'x' });
    const log = new TopicLog();
    await reader.subscribe({ topic: '#' }, log.handler);
    const regexLog = new TopicLog();
    await reader.subscribe({ regex: '^prices/' }, regexLog.handler);
    for (const topic of [
      'prices/internal/cost',
      'prices/eur',
      'orders/1',
      'prices/eu/hidden',
      'prices/internal',
      'news/1',
      'prices/usd',
      'prices/end',
    ]) {
      await writer.publish(topic, topic, { ack: true });
    }
    await Promise.all([log.until('prices/end'), regexLog.until('prices/end')]);
    expect(log.topics).toEqual(['prices/eur', 'prices/usd', 'prices/end']);
    expect(regexLog.topics).toEqual(['prices/eur', 'prices/usd', 'prices/end']);
    // Each message matched both subscriptions of the same connection: one delivery frame each.
    expect(log.messages.items.every((m) => m.subscriptionIds.length === 2)).toBe(true);
  });
});

describe('simple-access: publishes (write)', () => {
  it('refuses a publish outside write.allow or in write.deny (re:) with NOT_ENTITLED', async () => {
    const tb = await accessBroker(DOC_EXAMPLE);
    const c = await res.client(tb.url, { user: 'u', password: 'x' });
    await c.publish('orders/eu', 1, { ack: true });
    await c.publish('orders/eu/audit-log', 1, { ack: true }); // the regex is anchored
    expect(await refusal(c.publish('orders/eu/audit', 1, { ack: true }))).toBe('NOT_ENTITLED');
    expect(await refusal(c.publish('orders/a/b/audit', 1, { ack: true }))).toBe('NOT_ENTITLED');
    expect(await refusal(c.publish('prices/eur', 1, { ack: true }))).toBe('NOT_ENTITLED');
    expect(tb.broker.stats().publishesDenied).toBe(3);
  });

  it('a refused publish is delivered to no one', async () => {
    const tb = await accessBroker({ write: { deny: ['secret/#'] } });
    const subscriber = await res.client(tb.url, { user: 'sub', password: 'x' });
    const publisher = await res.client(tb.url, { user: 'pub', password: 'x' });
    const log = new TopicLog();
    await subscriber.subscribe({ topic: 'secret/a' }, log.handler);
    await subscriber.subscribe({ topic: 'open/a' }, log.handler);
    expect(await refusal(publisher.publish('secret/a', 'leak', { ack: true }))).toBe('NOT_ENTITLED');
    // Without an ack the refusal comes as an 'error' event.
    const errorEvent = new Promise<{ code: string; cmd?: string | undefined }>((resolve) =>
      publisher.once('error', resolve),
    );
    await publisher.publish('secret/a', 'leak2');
    expect(await errorEvent).toMatchObject({ code: 'NOT_ENTITLED', cmd: 'publish' });
    // Both refusals are done; a later allowed message is the only one the subscriber gets.
    await publisher.publish('open/a', 'ok', { ack: true });
    await log.until('open/a');
    expect(log.messages.items.map((m) => m.data)).toEqual(['ok']);
  });
});

describe('simple-access: admin option', () => {
  it('admin: deny (the default) refuses admin requests with 403; admin: allow lets them through', async () => {
    const denied = await accessBroker({}, {});
    expect(await adminStatus(denied.broker.adminUrl!, 'ops', 'pw')).toBe(403);
    const allowed = await accessBroker({ admin: 'allow' }, {});
    expect(await adminStatus(allowed.broker.adminUrl!, 'ops', 'pw')).toBe(200);
  });
});
