// The `http` entitlement module end to end: a real broker asking a real local HTTP service about
// logons, subscriptions, publishes and wildcard deliveries; failures fail closed and are not
// cached; answers are cached so the service is asked once per (user, action, topic).
import { describe, expect, it } from 'vitest';
import { Collector } from '../../helpers/collector.js';
import { refusal, sendJson, TopicLog, useResources, type SeenRequest, type ServiceHandler } from './helpers.js';

const res = useResources();

interface CheckBody {
  user: string;
  action: string;
  resourceType: string;
  resource: string;
}

const bodyOf = (seen: SeenRequest): CheckBody => seen.body as CheckBody;

/** logon: allow; topics under ok/: allow; boom/: 500; slow/: never answered; anything else: deny. */
const rules: ServiceHandler = (seen, response) => {
  const { resourceType, resource } = bodyOf(seen);
  if (resourceType === 'logon' || resource.startsWith('ok/')) return sendJson(response, 200, { allow: true });
  if (resource.startsWith('boom/')) return sendJson(response, 500, { allow: true });
  if (resource.startsWith('bad/')) return sendJson(response, 200, { allow: true, filters: 'typo' });
  if (resource.startsWith('slow/')) return; // never answers
  sendJson(response, 200, { allow: false, reason: 'not on the list' });
};

async function serviceBroker(
  handler: ServiceHandler,
  options: Record<string, unknown> = {},
  security: Record<string, unknown> = {},
) {
  const service = await res.service(handler);
  const tb = await res.broker({
    security: { entitlement: { module: 'http', options: { url: service.url, ...options } }, ...security },
  });
  return { tb, service };
}

/** How many requests the service saw for (user, action, resource). */
const countOf = (seen: readonly SeenRequest[], user: string, action: string, resource: string): number =>
  seen.map(bodyOf).filter((b) => b.user === user && b.action === action && b.resource === resource).length;

describe('http entitlement', () => {
  it('allows and denies subscriptions and publishes as the service answers; the service gets JSON requests', async () => {
    const { tb, service } = await serviceBroker(rules, { headers: { authorization: 'Bearer svc-key' } });
    const c = await res.client(tb.url, { user: 'alice', password: 'x' });
    await c.subscribe({ topic: 'ok/1' });
    await c.publish('ok/1', 1, { ack: true });
    expect(await refusal(c.subscribe({ topic: 'no/1' }))).toBe('NOT_ENTITLED');
    expect(await refusal(c.publish('no/1', 1, { ack: true }))).toBe('NOT_ENTITLED');

    expect(service.seen.map(bodyOf)).toEqual([
      { user: 'alice', action: 'logon', resourceType: 'logon', resource: '' },
      { user: 'alice', action: 'read', resourceType: 'topic', resource: 'ok/1' },
      { user: 'alice', action: 'write', resourceType: 'topic', resource: 'ok/1' },
      { user: 'alice', action: 'read', resourceType: 'topic', resource: 'no/1' },
      { user: 'alice', action: 'write', resourceType: 'topic', resource: 'no/1' },
    ]);
    for (const seen of service.seen) {
      expect(seen.method).toBe('POST');
      expect(seen.headers['content-type']).toBe('application/json');
      expect(seen.headers.authorization).toBe('Bearer svc-key');
    }
  });

  it('a denied publish is delivered to no one; a wildcard subscription gets only the topics allowed for reading', async () => {
    // writer: may write anything but topics containing "locked"; reader: may read ok/... only.
    const { tb, service } = await serviceBroker((seen, response) => {
      const { user, action, resource } = bodyOf(seen);
      if (action === 'logon') return sendJson(response, 200, { allow: true });
      const allow =
        user === 'writer'
          ? action === 'write' && !resource.includes('locked')
          : action === 'read' && resource.startsWith('ok/');
      sendJson(response, 200, { allow });
    });
    const reader = await res.client(tb.url, { user: 'reader', password: 'x' });
    const writer = await res.client(tb.url, { user: 'writer', password: 'x' });
    const exact = new TopicLog();
    await reader.subscribe({ topic: 'ok/locked' }, exact.handler);
    const all = new TopicLog();
    await reader.subscribe({ topic: '#' }, all.handler);
    expect(await refusal(writer.publish('ok/locked', 'x', { ack: true }))).toBe('NOT_ENTITLED');
    for (const topic of ['no/1', 'ok/1', 'other', 'ok/2/deep', 'ok/end'])
      await writer.publish(topic, topic, { ack: true });
    await all.until('ok/end');
    expect(all.topics).toEqual(['ok/1', 'ok/2/deep', 'ok/end']);
    expect(exact.topics).toEqual([]);
    expect(tb.broker.stats().deliveriesNotEntitled).toBe(2);
    // The reader's checks for the skipped topics were asked (and denied) once each.
    expect(countOf(service.seen, 'reader', 'read', 'no/1')).toBe(1);
    expect(countOf(service.seen, 'reader', 'read', 'other')).toBe(1);
  });

  it('wildcard deliveries waiting for the service keep the publish order, and skip the denied and failing topics', async () => {
    const { tb } = await serviceBroker(rules);
    const reader = await res.client(tb.url, { user: 'reader', password: 'x' });
    const writer = await res.client(tb.url, { user: 'writer', password: 'x' });
    const got = new Collector<string>();
    await reader.subscribe({ topic: '#' }, (msg) => got.push(`${msg.topic}=${String(msg.data)}`));
    // Unacked publishes on three new topics: the first delivery of each waits for the service,
    // and everything behind it waits too, so order must survive the asynchronous checks.
    const topics = ['ok/a', 'ok/b', 'ok/c'];
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      const topic = topics[i % 3]!;
      expected.push(`${topic}=${i}`);
      void writer.publish(topic, i);
    }
    await writer.publish('ok/end', 'end', { ack: true });
    await got.until((items) => items.includes('ok/end=end'));
    expect(got.items).toEqual([...expected, 'ok/end=end']);

    // Now a subscriber whose reads of some topics are denied (no/) or fail (boom/): the service
    // decides by the reader's name here, and the writer may write all of them. Its 500s for one
    // topic would open the circuit (5 in a row), refusing the rest: this test is about order.
    const mixed = await serviceBroker(
      (seen, response) => {
        const { user, action, resource } = bodyOf(seen);
        if (action === 'logon' || user === 'writer') return sendJson(response, 200, { allow: true });
        if (resource.startsWith('boom/')) return sendJson(response, 500, {});
        sendJson(response, 200, { allow: resource.startsWith('ok/') });
      },
      { circuit: false },
    );
    const reader2 = await res.client(mixed.tb.url, { user: 'reader', password: 'x' });
    const writer2 = await res.client(mixed.tb.url, { user: 'writer', password: 'x' });
    const got2 = new Collector<string>();
    await reader2.subscribe({ topic: '#' }, (msg) => got2.push(`${msg.topic}=${String(msg.data)}`));
    const mixedTopics = ['ok/a', 'no/a', 'boom/a', 'ok/b', 'no/b'];
    const expected2: string[] = [];
    for (let i = 0; i < 25; i++) {
      const topic = mixedTopics[i % mixedTopics.length]!;
      if (topic.startsWith('ok/')) expected2.push(`${topic}=${i}`);
      void writer2.publish(topic, i);
    }
    await writer2.publish('ok/end', 'end', { ack: true });
    await got2.until((items) => items.includes('ok/end=end'));
    expect(got2.items).toEqual([...expected2, 'ok/end=end']);
  });

  it('a 500 answer is ENTITLEMENT_UNAVAILABLE, for subscribe and publish, and is not cached', async () => {
    const { tb, service } = await serviceBroker(rules);
    const c = await res.client(tb.url, { user: 'alice', password: 'x' });
    expect(await refusal(c.subscribe({ topic: 'boom/1' }))).toBe('ENTITLEMENT_UNAVAILABLE');
    expect(await refusal(c.subscribe({ topic: 'boom/1' }))).toBe('ENTITLEMENT_UNAVAILABLE');
    expect(await refusal(c.publish('boom/1', 1, { ack: true }))).toBe('ENTITLEMENT_UNAVAILABLE');
    expect(await refusal(c.publish('boom/1', 1, { ack: true }))).toBe('ENTITLEMENT_UNAVAILABLE');
    expect(countOf(service.seen, 'alice', 'read', 'boom/1')).toBe(2);
    expect(countOf(service.seen, 'alice', 'write', 'boom/1')).toBe(2);
    expect(tb.broker.admin.entitlementStatus().failures).toBe(4);
    // The connection is fine.
    await c.subscribe({ topic: 'ok/1' });
  });

  it('an answer that is not exactly the documented shape is ENTITLEMENT_UNAVAILABLE', async () => {
    const { tb } = await serviceBroker(rules);
    const c = await res.client(tb.url, { user: 'alice', password: 'x' });
    expect(await refusal(c.subscribe({ topic: 'bad/1' }))).toBe('ENTITLEMENT_UNAVAILABLE');
  });

  it('a service that never answers is ENTITLEMENT_UNAVAILABLE after the module timeout', async () => {
    // Generous: the logon check goes to the same service and must answer within it.
    const { tb, service } = await serviceBroker(rules, { timeoutMs: 1000 });
    const c = await res.client(tb.url, { user: 'alice', password: 'x' });
    expect(await refusal(c.subscribe({ topic: 'slow/1' }))).toBe('ENTITLEMENT_UNAVAILABLE');
    expect(await refusal(c.publish('slow/1', 1, { ack: true }))).toBe('ENTITLEMENT_UNAVAILABLE');
    await service.received(3);
    // Commands behind the stalled one ran afterwards, in order.
    await c.subscribe({ topic: 'ok/1' });
  });

  it('a service slower than security.moduleTimeoutMs is ENTITLEMENT_UNAVAILABLE too', async () => {
    const { tb } = await serviceBroker(rules, { timeoutMs: 60_000 }, { moduleTimeoutMs: 1000 });
    const c = await res.client(tb.url, { user: 'alice', password: 'x' });
    expect(await refusal(c.subscribe({ topic: 'slow/1' }))).toBe('ENTITLEMENT_UNAVAILABLE');
  });

  it('a failing logon check refuses the logon and closes the connection (4003)', async () => {
    const { tb } = await serviceBroker((_seen, response) => sendJson(response, 500, {}));
    const raw = await res.raw(tb.url);
    expect(await raw.request({ op: 'logon', rid: 1, user: 'alice', password: 'x' })).toMatchObject({
      op: 'error',
      rid: 1,
      code: 'ENTITLEMENT_UNAVAILABLE',
    });
    expect((await raw.closed).code).toBe(4003);
    // A denied logon is LOGON_FAILED.
    const denying = await serviceBroker((_seen, response) => sendJson(response, 200, { allow: false }));
    expect(await refusal(res.client(denying.tb.url, { user: 'alice', password: 'x' }))).toBe('LOGON_FAILED');
  });

  it('is asked once per (user, action, topic), however many messages and connections', async () => {
    const { tb, service } = await serviceBroker(rules);
    const readers = [
      await res.client(tb.url, { user: 'bob', password: 'x' }),
      await res.client(tb.url, { user: 'bob', password: 'x' }),
    ];
    const received = new Collector<string>();
    for (const r of readers) {
      await r.subscribe({ topic: 'ok/#' }, (msg) => received.push(msg.topic));
      await r.subscribe({ topic: 'ok/a' }, () => undefined);
    }
    const writers = [
      await res.client(tb.url, { user: 'alice', password: 'x' }),
      await res.client(tb.url, { user: 'alice', password: 'x' }),
    ];
    const PER_WRITER = 50;
    // Both writers publish concurrently, without acks, on two topics; the last of each is acked.
    await Promise.all(
      writers.map(async (w) => {
        for (let i = 0; i < PER_WRITER - 1; i++) void w.publish(i % 2 === 0 ? 'ok/a' : 'ok/b', i);
        await w.publish('ok/b', 'last', { ack: true });
      }),
    );
    await received.count(2 * 2 * PER_WRITER); // every message reached both readers
    // Denied publishes are cached too.
    for (let i = 0; i < 5; i++)
      expect(await refusal(writers[0]!.publish('no/x', i, { ack: true }))).toBe('NOT_ENTITLED');

    const seen = service.seen;
    expect(countOf(seen, 'alice', 'logon', '')).toBe(1);
    expect(countOf(seen, 'bob', 'logon', '')).toBe(1);
    expect(countOf(seen, 'alice', 'write', 'ok/a')).toBe(1);
    expect(countOf(seen, 'alice', 'write', 'ok/b')).toBe(1);
    expect(countOf(seen, 'alice', 'write', 'no/x')).toBe(1);
    expect(countOf(seen, 'bob', 'read', 'ok/a')).toBe(1); // the exact subscription's check, reused for deliveries
    expect(countOf(seen, 'bob', 'read', 'ok/b')).toBe(1);
    expect(seen).toHaveLength(7);

    // After a reset the service is asked again.
    await tb.broker.admin.resetEntitlements('alice');
    const again = await res.client(tb.url, { user: 'alice', password: 'x' });
    await again.publish('ok/a', 'again', { ack: true });
    expect(countOf(service.seen, 'alice', 'write', 'ok/a')).toBe(2);
    expect(countOf(service.seen, 'alice', 'logon', '')).toBe(2);
  });
});
