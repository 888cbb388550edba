// The client SDK against a real in-process broker over real sockets, on both encodings.
import { afterEach, describe, expect, it } from 'vitest';
import { ClientErrorCodes, ErrorCodes, WardenError, type Encoding, type Message } from '../../client/index.js';
import { Fixture, Inbox, nextEvent, recordEvents, rejectionOf, unusedPort } from './helpers.js';

const fixture = new Fixture();
afterEach(() => fixture.teardown());

describe.each<Encoding>(['msgpack', 'json'])('client SDK over %s', (encoding) => {
  const options = { user: 'alice', password: 'pw', encoding } as const;

  it('connects and logs on', async () => {
    const { url } = await fixture.broker();
    const client = await fixture.client(url, options);
    expect(client.state).toBe('connected');
    expect(client.encoding).toBe(encoding);
    expect(client.user).toBe('alice');
    expect(typeof client.session).toBe('string');
    expect(client.session).not.toBe('');
    const rtt = await client.ping();
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it('refuses a logon the broker rejects with its error code', async () => {
    const { url } = await fixture.broker();
    // Over the broker's 256-character limit for user names.
    const error = await rejectionOf(fixture.client(url, { ...options, user: 'x'.repeat(257) }));
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe(ErrorCodes.INVALID_FIELD);
    expect((error as WardenError).cmd).toBe('logon');
  });

  it('delivers to exact-topic, wildcard and regex subscriptions', async () => {
    const { url } = await fixture.broker();
    const client = await fixture.client(url, options);
    const exact = new Inbox();
    const plus = new Inbox();
    const hash = new Inbox();
    const regex = new Inbox();
    const subExact = await client.subscribe({ topic: 'orders/na' }, exact.handler);
    const subPlus = await client.subscribe({ topic: 'orders/+' }, plus.handler);
    const subHash = await client.subscribe({ topic: 'orders/#' }, hash.handler);
    const subRegex = await client.subscribe({ regex: '^orders/(na|eu)$' }, regex.handler);
    expect(new Set([subExact.id, subPlus.id, subHash.id, subRegex.id]).size).toBe(4);

    await client.publish('orders/na', { px: 101 }, { ack: true });
    await client.publish('orders/eu', { px: 102 }, { ack: true });
    await client.publish('orders/ap/x', { px: 103 }, { ack: true });

    const [first] = await exact.waitForCount(1);
    expect(first).toMatchObject({ topic: 'orders/na', data: { px: 101 } });
    expect(first!.bytes).toBeUndefined();
    // One delivery per message, naming every matching subscription of this connection.
    expect([...first!.subscriptionIds].sort()).toEqual([subExact.id, subPlus.id, subHash.id, subRegex.id].sort());

    expect((await plus.waitForCount(2)).map((m) => m.topic)).toEqual(['orders/na', 'orders/eu']);
    expect((await regex.waitForCount(2)).map((m) => m.data)).toEqual([{ px: 101 }, { px: 102 }]);
    expect((await hash.waitForCount(3)).map((m) => m.topic)).toEqual(['orders/na', 'orders/eu', 'orders/ap/x']);
    expect(exact.messages).toHaveLength(1);
    expect(plus.messages).toHaveLength(2);
  });

  it('delivers between two clients', async () => {
    const { url } = await fixture.broker();
    const subscriber = await fixture.client(url, { ...options, user: 'sub' });
    const publisher = await fixture.client(url, { ...options, user: 'pub' });
    const inbox = new Inbox();
    await subscriber.subscribe({ topic: 'prices/#' }, inbox.handler);
    await publisher.publish('prices/eur', { bid: 1.1, tags: ['a', 'b'], nested: { ok: true, n: null } });
    const [message] = await inbox.waitForCount(1);
    expect(message).toEqual({
      topic: 'prices/eur',
      data: { bid: 1.1, tags: ['a', 'b'], nested: { ok: true, n: null } },
      subscriptionIds: [expect.any(Number)],
    });
  });

  it('iterates a subscription without a handler', async () => {
    const { url } = await fixture.broker();
    const client = await fixture.client(url, options);
    const sub = await client.subscribe({ topic: 'feed' });
    for (let i = 0; i < 3; i++) await client.publish('feed', i, { ack: true });
    const seen: unknown[] = [];
    for await (const message of sub) {
      seen.push(message.data);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    // Leaving the loop unsubscribed.
    expect(sub.active).toBe(false);
  });

  it('ends an overflowing iterator with BUFFER_OVERFLOW after yielding what it buffered', async () => {
    const { url } = await fixture.broker();
    const client = await fixture.client(url, options);
    const sub = await client.subscribe({ topic: 'burst', bufferSize: 5 });
    // Deliveries to this connection precede the publish's ack, so all 8 have arrived after the loop.
    for (let i = 0; i < 8; i++) await client.publish('burst', i, { ack: true });
    expect(sub.active).toBe(false);
    const seen: unknown[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const message of sub) seen.push(message.data);
      })(),
    );
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe(ClientErrorCodes.BUFFER_OVERFLOW);
  });

  it('publishes with ack, and surfaces refusals with the broker code', async () => {
    const { url } = await fixture.broker();
    const client = await fixture.client(url, options);
    await expect(client.publish('a/b', { ok: 1 }, { ack: true })).resolves.toBeUndefined();

    const refused = await rejectionOf(client.publish('a/+', 1, { ack: true }));
    expect(refused).toBeInstanceOf(WardenError);
    expect((refused as WardenError).code).toBe(ErrorCodes.INVALID_TOPIC);
    expect((refused as WardenError).cmd).toBe('publish');

    // Without ack the refusal has no rid: it arrives as an 'error' event.
    const errorEvent = nextEvent(client, 'error');
    await client.publish('a/+', 1);
    const error = await errorEvent;
    expect(error).toBeInstanceOf(WardenError);
    expect(error.code).toBe(ErrorCodes.INVALID_TOPIC);
  });

  it('round-trips raw bytes as a Uint8Array', async () => {
    const { url } = await fixture.broker();
    const client = await fixture.client(url, options);
    const inbox = new Inbox();
    await client.subscribe({ topic: 'blobs' }, inbox.handler);
    const payload = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    await client.publish('blobs', payload, { ack: true });
    const large = new Uint8Array(100_000).map((_, i) => (i * 31) % 256);
    await client.publish('blobs', large, { ack: true });
    const [small, big] = await inbox.waitForCount(2);
    expect(small!.bytes).toBeInstanceOf(Uint8Array);
    expect(small!.bytes!.constructor).toBe(Uint8Array);
    expect(small!.bytes).toEqual(payload);
    expect(small!.data).toBe(small!.bytes);
    expect(big!.bytes!.byteLength).toBe(large.byteLength);
    expect(Buffer.from(big!.bytes!).equals(Buffer.from(large))).toBe(true); // toEqual over 100k elements is slow
  });

  it('rejects a bad regex with INVALID_REGEX', async () => {
    const { url } = await fixture.broker();
    const client = await fixture.client(url, options);
    const error = await rejectionOf(client.subscribe({ regex: '(unclosed' }, () => {}));
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe(ErrorCodes.INVALID_REGEX);
    expect((error as WardenError).cmd).toBe('subscribe');
    // A backreference is outside the linear-time engine too.
    const backref = await rejectionOf(client.subscribe({ regex: '^(a)\\1$' }, () => {}));
    expect((backref as WardenError).code).toBe(ErrorCodes.INVALID_REGEX);
    // The connection is still usable.
    await client.ping();
  });

  it('passes a content filter and select list to the broker, which applies them or refuses them with a code', async () => {
    const { url } = await fixture.broker();
    const client = await fixture.client(url, options);
    const error = await rejectionOf(client.subscribe({ topic: 'orders/+', filter: '$sum(px) > 100' }, () => {}));
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe(ErrorCodes.INVALID_FILTER);
    const select = await rejectionOf(client.subscribe({ topic: 'orders/+', select: 'px' }, () => {}));
    expect((select as WardenError).code).toBe(ErrorCodes.INVALID_SELECT);
    const inbox = new Inbox();
    await client.subscribe({ topic: 'orders/+', filter: 'px > 100', select: '-/,+/px' }, inbox.handler);
    await client.publish('orders/na', { px: 99, qty: 1 }, { ack: true });
    await client.publish('orders/na', { px: 101, qty: 2 }, { ack: true });
    const [only] = await inbox.waitForCount(1);
    expect(only!.data).toEqual({ px: 101 });
    await client.ping();
    expect(inbox.messages).toHaveLength(1);
  });

  it('stops delivering after unsubscribe', async () => {
    const { url } = await fixture.broker();
    const subscriber = await fixture.client(url, { ...options, user: 'sub' });
    const publisher = await fixture.client(url, { ...options, user: 'pub' });
    const first = new Inbox();
    const marker = new Inbox();
    const sub = await subscriber.subscribe({ topic: 'news' }, first.handler);
    await subscriber.subscribe({ topic: 'news' }, marker.handler);

    await publisher.publish('news', 'before');
    await first.waitForCount(1);
    await sub.unsubscribe();
    expect(sub.active).toBe(false);
    await sub.unsubscribe(); // idempotent

    await publisher.publish('news', 'after');
    // The marker subscription shares the connection (and the delivery frame) with the first one:
    // once it has 'after', the first would have had it too.
    const after = await marker.waitFor((m) => m.data === 'after');
    expect(after.subscriptionIds).not.toContain(sub.id);
    expect(first.messages.map((m) => m.data)).toEqual(['before']);
  });

  it('keeps per-publisher order over 1000 messages', async () => {
    const { url } = await fixture.broker();
    const subscriber = await fixture.client(url, { ...options, user: 'sub' });
    const publisher = await fixture.client(url, { ...options, user: 'pub' });
    const inbox = new Inbox();
    await subscriber.subscribe({ topic: 'seq/+' }, inbox.handler);
    const count = 1000;
    for (let i = 0; i < count; i++) void publisher.publish(`seq/${i % 3}`, { i });
    const messages = await inbox.waitForCount(count, 10_000);
    expect(messages.map((m) => (m.data as { i: number }).i)).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('close() rejects pending requests, ends iterators and stops the client', async () => {
    const { url } = await fixture.broker();
    const client = await fixture.client(url, options);
    const sub = await client.subscribe({ topic: 'x' });
    const iteration = (async () => {
      const seen: Message[] = [];
      for await (const message of sub) seen.push(message);
      return seen;
    })();
    const events = recordEvents(client, ['disconnected', 'reconnecting', 'state']);

    const pending = client.ping(); // sent, not answered yet: close() comes first
    const closed = client.close();
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe(ClientErrorCodes.CLOSED);
    await closed;
    await expect(iteration).resolves.toEqual([]);

    expect(client.state).toBe('closed');
    expect(sub.active).toBe(false);
    expect(events).toEqual([
      ['state', { state: 'closed', previous: 'connected' }],
      ['disconnected', { code: 1000, reason: expect.any(String), willReconnect: false }],
    ]);
    const afterClose = await rejectionOf(client.publish('x', 1));
    expect((afterClose as WardenError).code).toBe(ClientErrorCodes.NOT_CONNECTED);
    await client.close(); // idempotent
  });

  it('fails to connect to a port with nothing listening with CONNECTION_FAILED', async () => {
    const port = await unusedPort();
    const error = await rejectionOf(fixture.client(`ws://127.0.0.1:${port}/`, options));
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe(ClientErrorCodes.CONNECTION_FAILED);
  });

  it('fails to connect to a path the broker does not serve with CONNECTION_FAILED', async () => {
    const { url } = await fixture.broker();
    const error = await rejectionOf(fixture.client(`${url}elsewhere`, options));
    expect((error as WardenError).code).toBe(ClientErrorCodes.CONNECTION_FAILED);
  });

  it('rejects requests with NOT_CONNECTED while reconnecting (nothing is buffered)', async () => {
    const { url, broker } = await fixture.broker();
    const client = await fixture.client(url, { ...options, reconnect: { initialDelayMs: 20 } });
    const duringOutage = new Promise<unknown[]>((resolve) => {
      client.once('disconnected', () => {
        // Still inside the outage: nothing is buffered for later.
        void Promise.all([
          rejectionOf(client.publish('t', 1)),
          rejectionOf(client.subscribe({ topic: 't' }, () => {})),
          rejectionOf(client.ping()),
        ]).then(resolve);
      });
    });
    broker.dropConnections();
    const errors = await duringOutage;
    for (const error of errors) expect((error as WardenError).code).toBe(ClientErrorCodes.NOT_CONNECTED);
    await nextEvent(client, 'connected');
  });

  it('reconnects after the broker drops the connection and resumes subscriptions', async () => {
    const { url, broker } = await fixture.broker();
    const client = await fixture.client(url, { ...options, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
    const topicInbox = new Inbox();
    const regexInbox = new Inbox();
    const sub = await client.subscribe({ topic: 'resume/+' }, topicInbox.handler);
    const regexSub = await client.subscribe({ regex: '^resume/b$' }, regexInbox.handler);
    const iterated = await client.subscribe({ topic: 'resume/a' });
    await client.publish('resume/a', 'before', { ack: true });
    await topicInbox.waitForCount(1);

    const events = recordEvents(client, ['disconnected', 'reconnecting', 'connected']);
    const pending = client.ping();
    const disconnected = nextEvent(client, 'disconnected');
    const connected = nextEvent(client, 'connected');
    expect(broker.dropConnections()).toBe(1);

    const lost = await rejectionOf(pending);
    expect((lost as WardenError).code).toBe(ClientErrorCodes.CONNECTION_LOST);
    const drop = await disconnected;
    expect(drop.willReconnect).toBe(true);
    expect(drop.code).toBe(1006);
    const back = await connected;
    expect(back).toMatchObject({ reconnected: true, user: 'alice' });
    expect(client.state).toBe('connected');

    expect(events.map(([name]) => name)).toEqual(['disconnected', 'reconnecting', 'connected']);
    const [, reconnecting] = events[1]!;
    expect(reconnecting).toMatchObject({ attempt: 1 });
    expect((reconnecting as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(0);
    expect((reconnecting as { delayMs: number }).delayMs).toBeLessThanOrEqual(20);

    // Same subscriptions (same ids) are live again on the new connection.
    await client.publish('resume/a', 'after', { ack: true });
    await client.publish('resume/b', 'regex-after', { ack: true });
    const after = await topicInbox.waitFor((m) => m.data === 'after');
    expect(after.subscriptionIds).toContain(sub.id);
    expect(after.subscriptionIds).toContain(iterated.id);
    const regexAfter = await regexInbox.waitForCount(1);
    expect(regexAfter[0]!.subscriptionIds).toContain(regexSub.id);
    const iterator = iterated[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ data: 'before' });
    expect((await iterator.next()).value).toMatchObject({ data: 'after' });
  });

  it('does not resubscribe what was unsubscribed during the outage', async () => {
    const { url, broker } = await fixture.broker();
    const client = await fixture.client(url, { ...options, reconnect: { initialDelayMs: 20 } });
    const gone = new Inbox();
    const kept = new Inbox();
    const sub = await client.subscribe({ topic: 'churn' }, gone.handler);
    await client.subscribe({ topic: 'churn' }, kept.handler);
    const unsubscribed = new Promise<void>((resolve) => {
      client.once('disconnected', () => void sub.unsubscribe().then(resolve));
    });
    const connected = nextEvent(client, 'connected');
    broker.dropConnections();
    await unsubscribed;
    await connected;
    await client.publish('churn', 'marker', { ack: true });
    await kept.waitFor((m) => m.data === 'marker');
    expect(gone.messages).toHaveLength(0);
    expect(sub.active).toBe(false);
  });

  it('with { reconnect: false } does not reconnect', async () => {
    const { url, broker } = await fixture.broker();
    const client = await fixture.client(url, { ...options, reconnect: false });
    const sub = await client.subscribe({ topic: 'once' });
    const iteration = (async () => {
      for await (const _ of sub) void _;
      return 'ended';
    })();
    const events = recordEvents(client, ['disconnected', 'reconnecting', 'connected']);
    const disconnected = nextEvent(client, 'disconnected');
    broker.dropConnections();
    expect(await disconnected).toMatchObject({ willReconnect: false });
    expect(client.state).toBe('closed');
    await expect(iteration).resolves.toBe('ended');
    // The decision not to reconnect is made at the drop, synchronously: nothing is scheduled.
    await client.close();
    expect(broker.connectionCount).toBe(0);
    expect(events.map(([name]) => name)).toEqual(['disconnected']);
    expect((await rejectionOf(client.publish('once', 1))) as WardenError).toMatchObject({
      code: ClientErrorCodes.NOT_CONNECTED,
    });
  });

  it('gives up after maxAttempts when the broker is gone', async () => {
    const { url, broker } = await fixture.broker();
    const client = await fixture.client(url, {
      ...options,
      reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 3 },
    });
    const events = recordEvents(client, ['disconnected', 'reconnecting', 'error']);
    const finalDisconnect = nextEvent(client, 'disconnected', (event) => !event.willReconnect);
    await broker.close(); // closes our connection with 1001, then nothing listens any more
    const final = await finalDisconnect;
    expect(final.code).toBe(1006);
    expect(client.state).toBe('closed');
    const names = events.map(([name]) => name);
    expect(names).toEqual(['disconnected', 'reconnecting', 'reconnecting', 'reconnecting', 'error', 'disconnected']);
    expect(events[0]![1]).toMatchObject({ code: 1001, willReconnect: true });
    const error = events[4]![1] as WardenError;
    expect(error).toBeInstanceOf(WardenError);
    expect(error.code).toBe(ClientErrorCodes.CONNECTION_FAILED);
    expect(events.slice(1, 4).map(([, payload]) => (payload as { attempt: number }).attempt)).toEqual([1, 2, 3]);
  });
});
