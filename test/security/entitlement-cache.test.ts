// The entitlement cache through real connections (AMPS, "Entitlement Caching" and "Regular
// Expression Subscriptions"): one module call per (user, action, resource) however many
// messages, subscribers and connections need it, wildcard/regex subscriptions entitled per
// concrete topic at delivery, denials on subscribe and publish.
import { afterAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../client/index.js';
import { useBrokerClients } from '../helpers/broker-clients.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { moduleDir } from '../helpers/module-files.js';
import { Collector } from '../helpers/collector.js';

const modules = moduleDir();
afterAll(() => modules.remove());

// A user module that answers asynchronously after a delay and records every call on globalThis,
// so the test (same process) can count them.
const countingModule = modules.write(
  'counting.mjs',
  `export default function (options) {
    const calls = (globalThis.__wardenCalls = []);
    return {
      name: 'counting',
      check(request) {
        calls.push(request);
        const { user, action, resource } = request;
        const allow = action === 'logon' || (action === 'write' && user === 'publisher') ||
          (action === 'read' && !resource.startsWith('secret/'));
        return new Promise((resolve) => setTimeout(() => resolve({ allow }), options.delayMs));
      },
    };
  }`,
);

type Call = { user: string; action: string; resource: string };
const calls = (): Call[] => (globalThis as unknown as { __wardenCalls: Call[] }).__wardenCalls;

let tb: TestBroker;
const client = useBrokerClients(() => tb);

describe('entitlement cache', () => {
  it('asks the module once per (user, action, topic) across thousands of messages and hundreds of subscribers', async () => {
    tb = await startTestBroker({ security: { entitlement: { module: countingModule, options: { delayMs: 20 } } } });
    const users = Array.from({ length: 10 }, (_, i) => `user${i}`);
    const topics = Array.from({ length: 10 }, (_, i) => `feed/${i}`);
    const perUser = 20; // 200 subscribers
    const messagesPerTopic = 200; // 2,000 messages
    const expected = topics.length * messagesPerTopic;
    const collectors: Collector<number>[] = [];
    for (const user of users) {
      for (let k = 0; k < perUser; k++) {
        const c = await client(user);
        const seen = new Collector<number>();
        await c.subscribe({ topic: 'feed/#' }, (msg) => seen.push((msg.data as { seq: number }).seq));
        collectors.push(seen);
      }
    }
    const publisher = await client('publisher');
    let seq = 0;
    const acks: Promise<void>[] = [];
    for (let m = 0; m < messagesPerTopic; m++) {
      for (const topic of topics)
        acks.push(publisher.publish(topic, { seq: seq++ }, { ack: m === messagesPerTopic - 1 }));
    }
    await Promise.all(acks);
    await Promise.all(collectors.map((c) => c.count(expected)));
    // Every subscriber got every message, in publish order, despite the checks pending at first.
    for (const seen of collectors) expect(seen.items).toEqual(Array.from({ length: expected }, (_, i) => i));

    const byKey = new Map<string, number>();
    for (const c of calls())
      byKey.set(`${c.user} ${c.action} ${c.resource}`, (byKey.get(`${c.user} ${c.action} ${c.resource}`) ?? 0) + 1);
    expect([...byKey.values()].every((n) => n === 1)).toBe(true);
    // logon per user (10 + publisher), read per user per topic, write per topic for the publisher.
    expect(calls().length).toBe(users.length + 1 + users.length * topics.length + topics.length);
    expect(tb.broker.admin.entitlementStatus().moduleCalls).toBe(calls().length);
  }, 60_000);

  it('entitles wildcard and regex subscriptions per concrete topic, skipping what the user may not read', async () => {
    tb = await startTestBroker({ security: { entitlement: { module: countingModule, options: { delayMs: 0 } } } });
    const reader = await client('reader');
    const got = new Collector<string>();
    await reader.subscribe({ regex: '^(open|secret)/' }, (msg) => got.push(`regex ${msg.topic}`));
    await reader.subscribe({ topic: '+/x' }, (msg) => got.push(`wild ${msg.topic}`));
    const publisher = await client('publisher');
    for (const topic of ['secret/x', 'open/x', 'secret/y', 'open/y']) await publisher.publish(topic, 1, { ack: true });
    await publisher.publish('open/end', 1, { ack: true });
    await got.until((items) => items.includes('regex open/end'));
    // (One frame carries open/x for both subscriptions; the order between those two is the SDK's.)
    expect([...got.items].sort()).toEqual(['regex open/end', 'regex open/x', 'regex open/y', 'wild open/x']);
    expect(tb.broker.stats().deliveriesNotEntitled).toBe(2);
    const readChecks = calls()
      .filter((c) => c.action === 'read')
      .map((c) => c.resource)
      .sort();
    expect(readChecks).toEqual(['open/end', 'open/x', 'open/y', 'secret/x', 'secret/y']);
  });

  it('refuses a literal subscription and a publish the user is not entitled to', async () => {
    tb = await startTestBroker({ security: { entitlement: { module: countingModule, options: { delayMs: 5 } } } });
    const user = await client('someone');
    const err = await user.subscribe({ topic: 'secret/plans' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('NOT_ENTITLED');
    const listener = await client('listener');
    const heard = new Collector<unknown>();
    await listener.subscribe({ topic: 'open/#' }, (msg) => heard.push(msg.data));
    const denied = await user.publish('open/news', 'forged', { ack: true }).catch((e: unknown) => e);
    expect((denied as WardenError).code).toBe('NOT_ENTITLED');
    const publisher = await client('publisher');
    await publisher.publish('open/news', 'real', { ack: true });
    await heard.count(1);
    // The forged message went nowhere: the one delivery is the real one, which came after it.
    expect(heard.items).toEqual(['real']);
    expect(tb.broker.stats().publishesDenied).toBe(1);
  });
});
