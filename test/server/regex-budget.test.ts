// The regex-subscription budget (docs/protocol.md) through a real broker and the SDK: the broker's
// and each user's share of regex subscriptions and of their compiled size, refused with
// RESOURCE_LIMIT (the connection stays up), given back on unsubscribe and on close, and shared by
// subscribers to the same regex, which is then tested once per new topic. Deliveries stay entitled
// per subscriber and per concrete topic (as in AMPS).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WardenError, type Client } from '../../client/index.js';
import { ErrorCodes } from '../../protocol/native.js';
import { Fixture, Inbox } from '../client/helpers.js';
import type { TestBroker } from '../helpers/broker.js';

const fx = new Fixture();
afterEach(() => fx.teardown());

/** The pattern of `bench:abuse` attack 2: 906 instructions, and a lazy DFA that explodes on a/b topics. */
const ATTACK = '[ab]*a[ab]{900}c';
const attackVariant = (n: number): string => `[ab]*a[ab]{${900 - n}}c`;

async function regexBroker(regex: Record<string, number>, security?: Record<string, unknown>): Promise<TestBroker> {
  return fx.broker({ topics: { regex }, ...(security === undefined ? {} : { security }) });
}

const logOn = (tb: TestBroker, user: string): Promise<Client> =>
  fx.client(tb.url, { user, password: 'pw', reconnect: false });

async function refusalOf(attempt: Promise<unknown>): Promise<WardenError> {
  const error = await attempt.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(WardenError);
  return error as WardenError;
}

describe('regex subscription budget', () => {
  it('refuses a regex subscription beyond topics.regex.maxSubscriptions with RESOURCE_LIMIT, counted; the connection stays up', async () => {
    const tb = await regexBroker({ maxSubscriptions: 3 });
    const alice = await logOn(tb, 'alice');
    const bob = await logOn(tb, 'bob');
    const first = await alice.subscribe({ regex: '^a/' });
    await alice.subscribe({ regex: '^b/' });
    await bob.subscribe({ regex: '^a/' });

    const refused = await refusalOf(bob.subscribe({ regex: '^c/' }));
    expect(refused.code).toBe(ErrorCodes.RESOURCE_LIMIT);
    expect(refused.message).toBe('the broker already holds 3 regex subscriptions, its limit');
    // Other kinds of subscription are not part of the budget.
    await bob.subscribe({ topic: 'c/+' });
    expect(tb.broker.stats()).toMatchObject({ regexSubscriptions: 3, regexPatterns: 2, regexSubscriptionsRefused: 1 });

    await first.unsubscribe();
    await bob.subscribe({ regex: '^c/' });
    expect(tb.broker.stats()).toMatchObject({ regexSubscriptions: 3, regexPatterns: 3, regexSubscriptionsRefused: 1 });
  });

  it('gives each user a share (topics.regex.maxSubscriptionsPerUser) over all their connections', async () => {
    const tb = await regexBroker({ maxSubscriptionsPerUser: 2 });
    const m1 = await logOn(tb, 'mallory');
    const m2 = await logOn(tb, 'mallory');
    await m1.subscribe({ regex: 'x' });
    await m2.subscribe({ regex: 'y' });
    const refused = await refusalOf(m2.subscribe({ regex: 'z' }));
    expect(refused.code).toBe(ErrorCodes.RESOURCE_LIMIT);
    expect(refused.message).toBe('this user already holds 2 regex subscriptions, the per-user limit');
    // Another user is not affected; and mallory's share comes back when a connection ends.
    const alice = await logOn(tb, 'alice');
    await alice.subscribe({ regex: 'z' });
    await m1.close();
    await vi.waitFor(() => expect(tb.broker.stats().regexSubscriptions).toBe(2), { timeout: 5000, interval: 20 });
    await m2.subscribe({ regex: 'z' });
    expect(tb.broker.stats().regexSubscriptionsRefused).toBe(1);
  });

  it('bounds the compiled size at default limits: the attack pattern fits once per user, and the broker-wide sum', async () => {
    const tb = await fx.broker();
    const users = await Promise.all(['u1', 'u2', 'u3', 'u4'].map((u) => logOn(tb, u)));
    await users[0].subscribe({ regex: ATTACK });
    // Per user, 906 + 905 instructions is over maxProgramSizePerUser (1000).
    const perUser = await refusalOf(users[0].subscribe({ regex: attackVariant(1) }));
    expect(perUser.code).toBe(ErrorCodes.RESOURCE_LIMIT);
    expect(perUser.message).toBe(
      "this regex compiles to 905 instructions; this user's regex subscriptions would total 1811, over the per-user limit of 1000",
    );

    // The same regex again costs the broker nothing: it is compiled and counted once.
    await users[1].subscribe({ regex: ATTACK });
    expect(tb.broker.stats()).toMatchObject({ regexSubscriptions: 2, regexPatterns: 1, regexProgramSize: 906 });

    // Distinct ones add up to the broker-wide maxTotalProgramSize (2000).
    await users[2].subscribe({ regex: attackVariant(1) });
    expect(tb.broker.stats().regexProgramSize).toBe(906 + 905);
    const broker = await refusalOf(users[3].subscribe({ regex: attackVariant(2) }));
    expect(broker.code).toBe(ErrorCodes.RESOURCE_LIMIT);
    expect(broker.message).toBe(
      "this regex compiles to 904 instructions; the broker's distinct regexes would total 2715, over its limit of 2000",
    );
    // A small one still fits, and a user's own refusal is reported as theirs.
    await users[3].subscribe({ regex: '^a/' });
    const own = await refusalOf(users[1].subscribe({ regex: '^[a-z]+/[0-9]{100}$' }));
    expect(own.message).toBe(
      "this regex compiles to 107 instructions; this user's regex subscriptions would total 1013, over the per-user limit of 1000",
    );
    expect(tb.broker.stats().regexSubscriptionsRefused).toBe(3);
  });

  it('tests a regex shared by many subscribers once per new topic, and still entitles each delivery per subscriber and topic', async () => {
    const policy = {
      groups: {
        readers: { users: ['alice', 'bob'], grants: [{ actions: ['read'], topics: ['inbox/$${user}/#'] }] },
        writers: { users: ['pub'], grants: [{ actions: ['write'], topics: ['#'] }] },
      },
    };
    const tb = await regexBroker({}, { entitlement: { module: 'policy', options: { policy } } });
    const inboxes = { alice: new Inbox(), bob: new Inbox() };
    for (const user of ['alice', 'bob'] as const) {
      const client = await logOn(tb, user);
      for (let i = 0; i < 3; i++) await client.subscribe({ regex: '^inbox/' }, inboxes[user].handler);
    }
    const pub = await logOn(tb, 'pub');
    const before = tb.broker.stats().regexEvaluations;
    await pub.publish('inbox/alice/1', { n: 1 }, { ack: true });
    await pub.publish('inbox/bob/1', { n: 2 }, { ack: true });
    await pub.publish('elsewhere/1', { n: 3 }, { ack: true });
    expect(tb.broker.stats().regexEvaluations - before).toBe(3); // 3 new topics, 1 distinct regex
    expect((await inboxes.alice.waitForCount(3)).map((m) => m.topic)).toEqual([
      'inbox/alice/1',
      'inbox/alice/1',
      'inbox/alice/1',
    ]);
    expect((await inboxes.bob.waitForCount(3)).map((m) => m.topic)).toEqual([
      'inbox/bob/1',
      'inbox/bob/1',
      'inbox/bob/1',
    ]);
    expect(tb.broker.stats().deliveriesNotEntitled).toBeGreaterThanOrEqual(2);
    expect(tb.broker.stats()).toMatchObject({ regexSubscriptions: 6, regexPatterns: 1 });
  });

  it('tests no cached route when a regex subscription is made', async () => {
    const tb = await fx.broker();
    const pub = await logOn(tb, 'pub');
    for (let i = 0; i < 200; i++) await pub.publish(`t/${i}`, i, { ack: i === 199 });
    const sub = await logOn(tb, 'sub');
    const inbox = new Inbox();
    const before = tb.broker.stats().regexEvaluations;
    await sub.subscribe({ regex: '^t/7$' }, inbox.handler);
    expect(tb.broker.stats().regexEvaluations).toBe(before);
    await pub.publish('t/7', 'hit', { ack: true });
    expect((await inbox.waitForCount(1))[0].data).toBe('hit');
    expect(tb.broker.stats().regexEvaluations).toBe(before + 1);
  });
});
