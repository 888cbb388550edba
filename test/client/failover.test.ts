// Failover between broker URLs (the nodes of a cluster): the first connect tries the list in order,
// a dropped connection is re-established on the next URL round the list, subscriptions follow it.
// Real in-process brokers on port 0; a "dead" URL is a port bound and released, or a closed broker.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Client,
  ClientErrorCodes,
  CloseCodes,
  ErrorCodes,
  WardenError,
  connect,
  type ClientEvents,
  type ConnectedEvent,
  type ReconnectingEvent,
} from '../../client/index.js';
import { failoverStep } from '../../client/failover.js';
import { hashPassword } from '../../server/security/authentication/password-hash.js';
import type { TestBroker } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';
import { Fixture, Inbox, nextEvent, rejectionOf, unusedPort } from './helpers.js';

const fixture = new Fixture();
afterEach(() => fixture.teardown());

const options = { user: 'alice', password: 'pw' } as const;
const fastReconnect = { initialDelayMs: 20, maxDelayMs: 200 };

/** A broker whose `users` module knows alice with another password: it refuses `options` with LOGON_FAILED. */
let refusingSecurity: Record<string, unknown>;
beforeAll(async () => {
  // Cheap scrypt parameters: the test is about the refusal, not the hash's cost.
  const hash = await hashPassword('not pw', { N: 1024, r: 8, p: 1 });
  refusingSecurity = { authentication: { module: 'users', options: { users: [{ name: 'alice', hash }] } } };
});

async function deadUrl(): Promise<string> {
  return `ws://127.0.0.1:${await unusedPort()}/`;
}

/** Collects a client's events of one kind, for event-driven waits. */
function collect<K extends keyof ClientEvents>(client: Client, event: K): Collector<ClientEvents[K]> {
  const collector = new Collector<ClientEvents[K]>();
  client.on(event, collector.push);
  return collector;
}

/** What `fn` throws (fails the test if it returns). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function accepted(broker: TestBroker): number | undefined {
  return broker.broker.stats().connectionsAccepted;
}

describe('failoverStep: the reconnect schedule', () => {
  const backoff = { initialDelayMs: 100, maxDelayMs: 10_000 };
  const highest = (): number => 1 - Number.EPSILON / 2; // Math.random's largest value: the ceiling itself

  it('goes round the list from the URL after the one that dropped, waiting only before each round', () => {
    const steps = [1, 2, 3, 4, 5, 6, 7].map((attempt) => failoverStep(attempt, 1, 3, backoff, highest));
    expect(steps).toEqual([
      { index: 2, delayMs: 100 }, // round 1: backoff ceiling 100
      { index: 0, delayMs: 0 },
      { index: 1, delayMs: 0 }, // the URL that dropped comes last
      { index: 2, delayMs: 200 }, // round 2: doubled
      { index: 0, delayMs: 0 },
      { index: 1, delayMs: 0 },
      { index: 2, delayMs: 400 },
    ]);
  });

  it('with one URL is the per-attempt backoff', () => {
    expect([1, 2, 3, 4].map((attempt) => failoverStep(attempt, 0, 1, backoff, highest))).toEqual([
      { index: 0, delayMs: 100 },
      { index: 0, delayMs: 200 },
      { index: 0, delayMs: 400 },
      { index: 0, delayMs: 800 },
    ]);
  });
});

describe('broker URL list validation', () => {
  it('throws a TypeError synchronously for an empty list or a URL that is not ws: or wss:', () => {
    expect(thrownBy(() => new Client([], options))).toEqual(
      new TypeError('the list of broker URLs is empty: give at least one ws:// or wss:// URL'),
    );
    expect(thrownBy(() => new Client(['ws://127.0.0.1:1/', 'http://127.0.0.1:2/'], options))).toEqual(
      new TypeError('broker URL #2 must be a ws:// or wss:// URL, not http://'),
    );
    expect(thrownBy(() => new Client('tcp://127.0.0.1:1', options))).toEqual(
      new TypeError('the broker URL must be a ws:// or wss:// URL, not tcp://'),
    );
    expect(thrownBy(() => new Client(['ws://127.0.0.1:1/', 'ws://bob:s3cret@[::1'], options))).toEqual(
      new TypeError('broker URL #2 is not a valid URL (expected ws://host:port/path or wss://...)'),
    );
    expect(thrownBy(() => new Client('ws://127.0.0.1:1/#part', options))).toEqual(
      new TypeError('the broker URL must not have a fragment (#...)'),
    );
    expect(thrownBy(() => new Client([42 as unknown as string], options))).toEqual(
      new TypeError('broker URL #1 must be a string'),
    );
    // Both forms are accepted and kept in order.
    expect(new Client('wss://a.example/', options).urls).toEqual(['wss://a.example/']);
    expect(new Client(['ws://a.example/', 'WSS://b.example:8443/x'], options).urls).toEqual([
      'ws://a.example/',
      'WSS://b.example:8443/x',
    ]);
  });

  it('makes connect() reject with that TypeError before any socket is opened', async () => {
    const { url, broker } = await fixture.broker();
    const error = await rejectionOf(connect([url, 'https://127.0.0.1:1/'], options));
    expect(error).toEqual(new TypeError('broker URL #2 must be a ws:// or wss:// URL, not https://'));
    expect(broker.stats().connectionsAccepted).toBe(0);
  });

  it('checks options.tls against every URL of the list', () => {
    expect(
      thrownBy(() => new Client(['wss://a.example/', 'ws://b.example/'], { ...options, tls: { ca: 'pem' } })),
    ).toEqual(new TypeError('options.tls applies to wss: URLs only, not "ws:"'));
  });
});

describe('first connect over a list of URLs', () => {
  it('skips a URL nothing listens on and connects to the next', async () => {
    const live = await fixture.broker();
    const dead = await deadUrl();
    const client = fixture.track(await connect([dead, live.url], options));
    expect(client.url).toBe(live.url);
    expect(client.urls).toEqual([dead, live.url]);
    expect(client.state).toBe('connected');
    await client.ping();
  });

  it('skips a closed broker and a broker that refuses the logon', async () => {
    const closed = await fixture.broker();
    await closed.close();
    const refusing = await fixture.broker({ security: refusingSecurity });
    const live = await fixture.broker();
    const client = fixture.track(await connect([closed.url, refusing.url, live.url], options));
    expect(client.url).toBe(live.url);
    expect(accepted(refusing)).toBe(1);
    expect(accepted(live)).toBe(1);
  });

  it('stops at the first URL that accepts', async () => {
    const first = await fixture.broker();
    const second = await fixture.broker();
    const client = fixture.track(await connect([first.url, second.url], options));
    expect(client.url).toBe(first.url);
    expect(accepted(second)).toBe(0);
  });

  it('rejects when every URL failed, naming each URL and why, without secrets', async () => {
    const first = await unusedPort();
    const second = await unusedPort();
    const error = await rejectionOf(
      connect([`ws://127.0.0.1:${first}/`, `ws://bob:s3cret@127.0.0.1:${second}/feed?token=t0ken`], options),
    );
    expect(error).toBeInstanceOf(WardenError);
    const { code, message, cause } = error as WardenError;
    expect(code).toBe(ClientErrorCodes.CONNECTION_FAILED);
    expect(message).toMatch(
      new RegExp(
        `^could not connect to any of 2 broker URLs: ws://127\\.0\\.0\\.1:${first}/: CONNECTION_FAILED \\(.+\\); ` +
          `ws://<redacted>@127\\.0\\.0\\.1:${second}/feed\\?<redacted>: CONNECTION_FAILED \\(.+\\)$`,
      ),
    );
    expect(message).not.toMatch(/s3cret|t0ken|bob/);
    expect(cause).toBeInstanceOf(AggregateError);
    const causes = (cause as AggregateError).errors;
    expect(causes).toHaveLength(2);
    for (const each of causes) expect(each).toMatchObject({ code: ClientErrorCodes.CONNECTION_FAILED });
  });

  it('reports a broker refusal among the failures with its code', async () => {
    const dead = await deadUrl();
    const refusing = await fixture.broker({ security: refusingSecurity });
    const error = await rejectionOf(connect([dead, refusing.url], options));
    expect(error).toBeInstanceOf(WardenError);
    expect(error).toMatchObject({ code: ErrorCodes.LOGON_FAILED, cmd: 'logon' });
    const { message } = error as WardenError;
    expect(message).toContain(`${dead}: CONNECTION_FAILED (`);
    expect(message).toContain(`${refusing.url}: LOGON_FAILED (`);
  });

  it('with one URL rejects with that URL’s own error, as before', async () => {
    const dead = await deadUrl();
    const error = await rejectionOf(connect([dead], options));
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe(ClientErrorCodes.CONNECTION_FAILED);
    expect((error as WardenError).message).toMatch(new RegExp(`^cannot connect to ${dead}: `));
  });
});

describe('failover after a drop', () => {
  it('reconnects to the next broker when its broker closes, and re-sends the subscriptions there', async () => {
    const a = await fixture.broker();
    const b = await fixture.broker();
    const client = fixture.track(await connect([a.url, b.url], { ...options, reconnect: fastReconnect }));
    expect(client.url).toBe(a.url);
    const inbox = new Inbox();
    const sub = await client.subscribe({ topic: 'orders/+' }, inbox.handler);
    await client.publish('orders/na', 'on a', { ack: true });
    await inbox.waitForCount(1);

    const connected = collect(client, 'connected');
    const disconnected = nextEvent(client, 'disconnected');
    const closing = a.close(); // closes our connection with 1001; then nothing listens on a
    expect(await disconnected).toMatchObject({ code: CloseCodes.GOING_AWAY, willReconnect: true });
    await connected.count(1);
    await closing;
    expect(connected.items).toEqual([
      { reconnected: true, url: b.url, user: 'alice', session: expect.any(String) } satisfies ConnectedEvent,
    ]);
    expect(client.url).toBe(b.url);
    expect(client.state).toBe('connected');

    // The subscription (same id) now lives on b: a message published there reaches it.
    const publisher = await fixture.client(b.url, { ...options, user: 'bob' });
    await publisher.publish('orders/eu', 'on b', { ack: true });
    const message = await inbox.waitFor((m) => m.data === 'on b');
    expect(message).toMatchObject({ topic: 'orders/eu', subscriptionIds: [sub.id] });
    expect(sub.active).toBe(true);
  });

  it('goes round the list starting after the URL that dropped, even when that one is still up', async () => {
    const brokers = [await fixture.broker(), await fixture.broker(), await fixture.broker()];
    const [a, b, c] = brokers as [TestBroker, TestBroker, TestBroker];
    const client = fixture.track(await connect([a.url, b.url, c.url], { ...options, reconnect: fastReconnect }));
    const reconnecting = collect(client, 'reconnecting');
    const connected = collect(client, 'connected');
    expect(client.url).toBe(a.url);

    expect(a.broker.dropConnections()).toBe(1);
    await connected.count(1);
    expect(client.url).toBe(b.url);
    // a, alive, was not tried: the brokers' own counts say so, not only the SDK's events.
    expect(brokers.map(accepted)).toEqual([1, 1, 0]);

    expect(b.broker.dropConnections()).toBe(1);
    await connected.count(2);
    expect(client.url).toBe(c.url);

    expect(c.broker.dropConnections()).toBe(1);
    await connected.count(3);
    expect(client.url).toBe(a.url); // wrapped round
    expect(brokers.map(accepted)).toEqual([2, 1, 1]);

    expect(connected.items.map((event) => event.url)).toEqual([b.url, c.url, a.url]);
    expect(reconnecting.items.map(({ attempt, url }) => ({ attempt, url }))).toEqual([
      { attempt: 1, url: b.url },
      { attempt: 1, url: c.url },
      { attempt: 1, url: a.url },
    ]);
  });

  it('backs off per round: the attempts after the first of a round go at once', async () => {
    const a = await fixture.broker();
    const dead1 = await deadUrl();
    const dead2 = await deadUrl();
    const client = fixture.track(
      await connect([a.url, dead1, dead2], { ...options, reconnect: { ...fastReconnect, maxAttempts: 2 } }),
    );
    const reconnecting = collect(client, 'reconnecting');
    const errors = collect(client, 'error');
    const final = nextEvent(client, 'disconnected', (event) => !event.willReconnect);
    a.broker.dropConnections(); // a stays up, but comes last in the round: maxAttempts ends it first
    expect(await final).toMatchObject({ code: 1006, willReconnect: false });
    expect(reconnecting.items).toEqual([
      { attempt: 1, url: dead1, delayMs: expect.any(Number) },
      { attempt: 2, url: dead2, delayMs: 0 },
    ] satisfies ReconnectingEvent[]);
    expect(reconnecting.items[0]!.delayMs).toBeLessThanOrEqual(fastReconnect.initialDelayMs);
    expect(errors.items).toEqual([expect.objectContaining({ code: ClientErrorCodes.CONNECTION_FAILED })]);
    expect(client.state).toBe('closed');
    expect(accepted(a)).toBe(1);
  });

  it('moves past a node that refuses the re-logon to one that accepts in the same round', async () => {
    const a = await fixture.broker();
    const refusing = await fixture.broker({ security: refusingSecurity });
    const client = fixture.track(await connect([a.url, refusing.url], { ...options, reconnect: fastReconnect }));
    const reconnecting = collect(client, 'reconnecting');
    const connected = collect(client, 'connected');
    const errors = collect(client, 'error');
    a.broker.dropConnections();
    await connected.count(1);
    expect(reconnecting.items.map((event) => event.url)).toEqual([refusing.url, a.url]);
    expect(connected.items[0]).toMatchObject({ reconnected: true, url: a.url });
    expect(accepted(refusing)).toBe(1);
    expect(errors.items).toEqual([]);
  });

  it('gives up with the refusal when no URL of the round accepts', async () => {
    const a = await fixture.broker();
    const refusing = await fixture.broker({ security: refusingSecurity });
    const client = fixture.track(await connect([a.url, refusing.url], { ...options, reconnect: fastReconnect }));
    const reconnecting = collect(client, 'reconnecting');
    const errors = collect(client, 'error');
    const final = nextEvent(client, 'disconnected', (event) => !event.willReconnect);
    await a.close();
    expect(await final).toMatchObject({ code: CloseCodes.LOGON_FAILED, willReconnect: false });
    expect(reconnecting.items.map((event) => event.url)).toEqual([refusing.url, a.url]);
    expect(errors.items).toHaveLength(1);
    expect(errors.items[0]).toMatchObject({ code: ErrorCodes.LOGON_FAILED });
    expect(client.state).toBe('closed');
  });
});
