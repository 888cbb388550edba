// Re-evaluation instead of disconnection, through a real broker and a policy file that the test
// rewrites: a reset in `reevaluate` mode closes only a user whose logon is now denied, ends a
// native subscription whose read is denied (the SDK is told, ENTITLEMENT_REVOKED) while MQTT
// deliveries just stop, applies a changed filter from the next message and re-decides writes at
// their next use. A targeted invalidation does the same for one user only, and so does a
// module's own ModuleContext.invalidate().
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WardenError, type Client, type Message } from '../../../client/index.js';
import { ErrorCodes } from '../../../protocol/native.js';
import { Inbox } from '../../client/helpers.js';
import { inbox, MqttClients } from '../../mqtt/mqtt-helpers.js';
import { useResources } from './helpers.js';

const r = useResources();
const mqtt = new MqttClients();
afterEach(() => mqtt.teardown());

const BEFORE = `
groups:
  admins: { users: [ops], grants: [{ actions: [admin] }] }
  traders:
    users: [alice, bob, carol, pub]
    grants:
      - { actions: [read, write], topics: ['prices/#', 'orders/#'] }
`;

/** alice may no longer read prices/eu, her orders are filtered, bob may no longer log on. */
const AFTER = `
groups:
  admins: { users: [ops], grants: [{ actions: [admin] }] }
  traders:
    users: [alice, carol, pub]
    grants:
      - { actions: [read, write], topics: ['prices/#'] }
      - { actions: [read], topics: ['orders/#'], filter: 'qty > 10' }
      - { actions: [write], topics: ['orders/#'] }
deny:
  - { users: [alice, carol], actions: [read, write], topics: ['prices/eu'] }
`;

async function brokerWithPolicy(mqttToo = false) {
  const dir = r.tempDir();
  dir.write('policy.yaml', BEFORE);
  const tb = await r.broker({
    baseDir: dir.path,
    security: { entitlement: { module: 'policy', options: { file: 'policy.yaml' } } },
    admin: { credentialCache: { ttlMs: 0 } },
    ...(mqttToo ? { mqtt: { transports: ['tcp'] } } : {}),
  });
  const admin = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${tb.broker.adminUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  return { tb, dir, admin, rewrite: () => dir.write('policy.yaml', AFTER) };
}

function ended(subscription: { once(e: 'end', l: (p: { error: WardenError | undefined }) => void): unknown }) {
  return new Promise<WardenError | undefined>((resolve) => subscription.once('end', ({ error }) => resolve(error)));
}

async function logOn(url: string, user: string): Promise<Client> {
  return r.client(url, { user, password: 'pw' });
}

describe('POST /admin/entitlements/reset with mode reevaluate', () => {
  it('acts only on what is now denied: one disconnect, one revoked subscription, a new filter, a denied write', async () => {
    const { tb, admin, rewrite } = await brokerWithPolicy(true);
    const alice = await logOn(tb.url, 'alice');
    const bob = await logOn(tb.url, 'bob');
    const pub = await logOn(tb.url, 'pub');
    const prices = new Inbox();
    const orders = new Inbox();
    const eu = await alice.subscribe({ topic: 'prices/eu' }, prices.handler);
    await alice.subscribe({ topic: 'orders/#' }, orders.handler);
    const carol = await mqtt.connect(tb.mqttUrl!, 5, { username: 'carol', password: 'pw', clientId: 'carol' });
    const carolGot = inbox(carol);
    await carol.subscribeAsync('prices/eu', { qos: 1 });
    await carol.subscribeAsync('prices/us', { qos: 1 });
    await pub.publish('prices/eu', { n: 1 }, { ack: true });
    await prices.waitForCount(1);
    await carolGot.count(1);

    rewrite();
    const euEnded = ended(eu);
    const bobClosed = new Promise<number>((resolve) => bob.once('disconnected', ({ code }) => resolve(code)));
    const answer = await admin('/admin/entitlements/reset', { mode: 'reevaluate' });
    expect(answer).toMatchObject({ reset: 'all', mode: 'reevaluate', disconnected: 1, subscriptionsRevoked: 1 });
    expect(answer.reevaluation).toMatchObject({
      connections: 4,
      disconnected: 1,
      subscriptionsRevoked: 1,
      failures: 0,
    });

    expect(await bobClosed).toBe(4004);
    const revoked = await euEnded;
    expect(revoked).toBeInstanceOf(WardenError);
    expect(revoked!.code).toBe(ErrorCodes.ENTITLEMENT_REVOKED);
    expect(eu.active).toBe(false);
    expect(alice.state).toBe('connected');

    // The filter applies from the next message; alice's write to prices/eu is decided again.
    await pub.publish('orders/1', { qty: 5 }, { ack: true });
    await pub.publish('orders/2', { qty: 50 }, { ack: true });
    expect((await orders.waitForCount(1)).map((m: Message) => m.topic)).toEqual(['orders/2']);
    await expect(alice.publish('prices/eu', { n: 2 }, { ack: true })).rejects.toMatchObject({
      code: ErrorCodes.NOT_ENTITLED,
    });

    // MQTT: no per-subscription revoke; carol's deliveries on prices/eu just stop (and prices/us goes on).
    await pub.publish('prices/eu', { n: 3 }, { ack: true });
    await pub.publish('prices/us', { n: 4 }, { ack: true });
    await carolGot.count(2);
    expect(carolGot.items.map((m) => m.topic)).toEqual(['prices/eu', 'prices/us']);
    expect(carol.connected).toBe(true);
  });

  it('disconnect stays the default, as in AMPS', async () => {
    const { tb, admin } = await brokerWithPolicy();
    const alice = await logOn(tb.url, 'alice');
    const closed = new Promise<number>((resolve) => alice.once('disconnected', ({ code }) => resolve(code)));
    expect(await admin('/admin/entitlements/reset', {})).toMatchObject({ mode: 'disconnect', disconnected: 1 });
    expect(await closed).toBe(4004);
  });
});

/**
 * A broker whose module answers from a file it re-reads on every check (so a changed file shows
 * only where answers are asked again), and which hands the test its context.invalidate, as a
 * policy service pushing a revocation would use it.
 */
async function brokerReadingRules(rules: Record<string, string[]>) {
  const dir = r.tempDir();
  const file = join(dir.path, 'rules.json');
  writeFileSync(file, JSON.stringify(rules));
  dir.write(
    'rules-module.mjs',
    `import { readFileSync } from 'node:fs';
     export default (options, context) => {
       globalThis.__reevaluationTestPush = (target) => context.invalidate(target);
       return {
         name: 'rules',
         check(request) {
           if (request.action === 'logon' || request.resourceType === 'admin') return { allow: true };
           const rules = JSON.parse(readFileSync(${JSON.stringify(file)}, 'utf8'));
           return { allow: (rules[request.user] ?? []).includes(request.resource) };
         },
       };
     };`,
  );
  const tb = await r.broker({
    baseDir: dir.path,
    security: { entitlement: { module: './rules-module.mjs' } },
    admin: { credentialCache: { ttlMs: 0 } },
  });
  return {
    tb,
    rewrite: (next: Record<string, string[]>) => writeFileSync(file, JSON.stringify(next)),
    push: (target: { user: string }) =>
      (globalThis as { __reevaluationTestPush?: (t: { user: string }) => void }).__reevaluationTestPush!(target),
  };
}

describe('targeted invalidation', () => {
  it('POST /admin/entitlements/invalidate re-asks only that user: others keep their cached answers', async () => {
    const { tb, rewrite } = await brokerReadingRules({ alice: ['prices/eu'], carol: ['prices/eu'] });
    const alice = await logOn(tb.url, 'alice');
    const carol = await logOn(tb.url, 'carol');
    const aliceSub = await alice.subscribe({ topic: 'prices/eu' }, () => {});
    const carolGot = new Inbox();
    await carol.subscribe({ topic: 'prices/eu' }, carolGot.handler);
    rewrite({ alice: [], carol: [], pub: ['prices/eu'] });
    const aliceEnded = ended(aliceSub);
    const response = await fetch(`${tb.broker.adminUrl}/admin/entitlements/invalidate`, {
      method: 'POST',
      body: JSON.stringify({ user: 'alice', action: 'read', resource: 'prices/eu' }),
      headers: { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` },
    });
    expect(await response.json()).toMatchObject({
      invalidated: { user: 'alice', action: 'read', resource: 'prices/eu' },
      disconnected: 0,
      subscriptionsRevoked: 1,
    });
    expect((await aliceEnded)!.code).toBe(ErrorCodes.ENTITLEMENT_REVOKED);
    // carol's answer was not invalidated: still cached as allowed, so she still receives.
    const pub = await logOn(tb.url, 'pub');
    await pub.publish('prices/eu', { n: 1 }, { ack: true });
    await carolGot.waitForCount(1);
  });

  it("a module's context.invalidate() re-evaluates that user's connections", async () => {
    const { tb, rewrite, push } = await brokerReadingRules({ alice: ['news'] });
    const alice = await logOn(tb.url, 'alice');
    const news = await alice.subscribe({ topic: 'news' }, () => {});
    const newsEnded = ended(news);
    rewrite({ alice: [] });
    push({ user: 'alice' });
    expect((await newsEnded)!.code).toBe(ErrorCodes.ENTITLEMENT_REVOKED);
    expect(alice.state).toBe('connected');
  });
});
