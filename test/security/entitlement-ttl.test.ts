// security.entitlementCache.ttlMs on live connections: once a cached answer has expired, the
// next publish and the next delivery on an already open connection ask the module again, so a
// revoked user is refused and stops receiving without a reset or a reconnect (native and MQTT v5).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WardenError } from '../../client/index.js';
import { useBrokerClients } from '../helpers/broker-clients.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';
import { moduleDir } from '../helpers/module-files.js';
import { inbox, MqttClients } from '../mqtt/mqtt-helpers.js';

const modules = moduleDir();
afterAll(() => modules.remove());

// Answers from a set the test changes (same process): a revoked user may log on but neither read
// nor write. The module itself keeps nothing, so only the broker's caches can keep an old answer.
const revocable = modules.write(
  'revocable.mjs',
  `export default function () {
    const revoked = (globalThis.__wardenRevoked = new Set());
    return {
      name: 'revocable',
      check({ user, action }) {
        return { allow: action === 'logon' || !revoked.has(user) };
      },
    };
  }`,
);
const revoke = (user: string): void => {
  (globalThis as unknown as { __wardenRevoked: Set<string> }).__wardenRevoked.add(user);
};

const TTL_MS = 200;
/** An upper bound only: with a 200 ms TTL the change shows within about 300 ms. */
const DEADLINE_MS = 10_000;

/** Runs `attempt` until it reports true, pausing between tries; fails past the deadline. */
async function eventually(what: string, attempt: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!(await attempt())) {
    if (Date.now() > deadline)
      throw new Error(`${what}: still the case ${DEADLINE_MS} ms after the revocation (ttlMs ${TTL_MS})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let tb: TestBroker | undefined;
const client = useBrokerClients(() => tb);
const security = { entitlement: { module: revocable }, entitlementCache: { ttlMs: TTL_MS } };

describe('entitlementCache.ttlMs on open connections', () => {
  it('native: a revoked user is refused on publish and stops receiving once the answer expires', async () => {
    tb = await startTestBroker({ security });
    const alice = await client('alice');
    const bob = await client('bob');
    const publisher = await client('publisher');
    const aliceGot = new Collector<number>();
    const bobGot = new Collector<number>();
    await alice.subscribe({ topic: 'feed/#' }, (msg) => aliceGot.push(msg.data as number));
    await bob.subscribe({ topic: 'feed/#' }, (msg) => bobGot.push(msg.data as number));
    await publisher.publish('feed/x', 0, { ack: true });
    await aliceGot.count(1);
    await alice.publish('out/a', 'allowed', { ack: true });
    const callsBefore = tb.broker.admin.entitlementStatus().moduleCalls;

    revoke('alice');
    let seq = 0;
    /** Publishes the next number; true when bob got it and alice did not. */
    const aliceMissesNext = async (): Promise<boolean> => {
      const n = ++seq;
      await publisher.publish('feed/x', n, { ack: true });
      await bobGot.until((items) => items.includes(n));
      // A round trip on alice's connection: a delivery sent before the reply has arrived by now.
      await refusalOf(alice.publish('out/a', 'x', { ack: true }));
      return !aliceGot.items.includes(n);
    };
    await eventually('alice still receives', aliceMissesNext);
    // And it stays so.
    expect(await aliceMissesNext()).toBe(true);
    await eventually(
      'alice may still publish',
      async () => (await refusalOf(alice.publish('out/a', 'x', { ack: true }))) === 'NOT_ENTITLED',
    );
    expect(tb.broker.stats().deliveriesNotEntitled).toBeGreaterThanOrEqual(2);
    expect(tb.broker.admin.entitlementStatus().moduleCalls).toBeGreaterThan(callsBefore);
  });

  describe('MQTT v5', () => {
    const clients = new MqttClients();
    afterEach(async () => {
      await clients.teardown();
      await tb?.close();
      tb = undefined;
    });

    it('a revoked user is refused on publish (PUBACK 0x87) and stops receiving once the answer expires', async () => {
      tb = await startTestBroker({ security, mqtt: { transports: ['tcp'] } });
      const url = tb.mqttUrl!;
      const alice = await clients.connect(url, 5, { username: 'alice', password: 'pw' });
      const bob = await clients.connect(url, 5, { username: 'bob', password: 'pw' });
      const publisher = await clients.connect(url, 5, { username: 'publisher', password: 'pw' });
      const aliceGot = inbox(alice);
      const bobGot = inbox(bob);
      await alice.subscribeAsync('feed/#', { qos: 1 });
      await bob.subscribeAsync('feed/#', { qos: 1 });
      await publisher.publishAsync('feed/x', '0', { qos: 1 });
      await aliceGot.count(1);
      await alice.publishAsync('out/a', 'allowed', { qos: 1 });

      revoke('alice');
      const alicePublish = (): Promise<number> =>
        alice.publishAsync('out/a', 'x', { qos: 1 }).then(
          () => 0,
          (err: { code?: number }) => err.code ?? -1,
        );
      let seq = 0;
      const aliceMissesNext = async (): Promise<boolean> => {
        const n = String(++seq);
        await publisher.publishAsync('feed/x', n, { qos: 1 });
        await bobGot.until((items) => items.some((m) => m.text === n));
        await alicePublish(); // round trip on alice's connection
        return !aliceGot.items.some((m) => m.text === n);
      };
      await eventually('alice still receives', aliceMissesNext);
      expect(await aliceMissesNext()).toBe(true);
      await eventually('alice may still publish', async () => (await alicePublish()) === 0x87);
    });
  });
});

async function refusalOf(pending: Promise<unknown>): Promise<string | null> {
  try {
    await pending;
    return null;
  } catch (err) {
    if (err instanceof WardenError) return err.code;
    throw err;
  }
}
