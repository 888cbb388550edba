// An entitlement module whose answer throws when read (a getter, a Proxy), synchronously or from a
// promise: reading it is the module's code running, so it fails closed like a
// module that throws. It once escaped: synchronously from a socket 'close' handler (a will's write
// check) and as an unhandled rejection on the delivery path (DeliveryPlan.resolve).
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';
import { moduleDir } from '../helpers/module-files.js';
import { inbox, MqttClients, RawMqttClients } from '../mqtt/mqtt-helpers.js';

const modules = moduleDir();
afterAll(() => modules.remove());

// "victim" reads trap/sync and trap/async, and "dying" writes trap/will, with answers that throw
// when read; everything else is allowed.
const trapModule = modules.write(
  'trap.mjs',
  `const trap = () => ({ get allow() { throw new Error('answer exploded'); } });
  export default function () {
    return {
      name: 'trap',
      check({ user, action, resource }) {
        if (user === 'victim' && action === 'read' && resource === 'trap/sync') return trap();
        if (user === 'victim' && action === 'read' && resource === 'trap/async') return Promise.resolve(trap());
        if (user === 'dying' && action === 'write' && resource === 'trap/will') return trap();
        return { allow: true };
      },
    };
  }`,
);

const escaped: unknown[] = [];
const record = (err: unknown): void => void escaped.push(err);
beforeEach(() => {
  escaped.length = 0;
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
});

let tb: TestBroker | null = null;
const natives: Client[] = [];
const mqttClients = new MqttClients();
const raws = new RawMqttClients();
afterEach(async () => {
  process.off('uncaughtException', record);
  process.off('unhandledRejection', record);
  raws.teardown();
  await mqttClients.teardown();
  await Promise.all(natives.splice(0).map((c) => c.close()));
  await tb?.close();
  tb = null;
});

async function native(user: string): Promise<Client> {
  const c = await connect(tb!.url, { user, password: 'pw', reconnect: false });
  natives.push(c);
  return c;
}

it('a read answer that throws when read denies that reader (fail closed); the others get the message', async () => {
  tb = await startTestBroker({ security: { entitlement: { module: trapModule } } });
  const victimGot = new Collector<string>();
  const controlGot = new Collector<string>();
  await (await native('victim')).subscribe({ topic: 'trap/#' }, (m) => victimGot.push(m.topic));
  await (await native('control')).subscribe({ topic: 'trap/#' }, (m) => controlGot.push(m.topic));
  const feed = await native('feed');
  for (const topic of ['trap/sync', 'trap/async', 'trap/ok']) await feed.publish(topic, { n: 1 }, { ack: true });
  await controlGot.count(3);
  await victimGot.until((items) => items.includes('trap/ok'));
  expect(controlGot.items).toEqual(['trap/sync', 'trap/async', 'trap/ok']);
  expect(victimGot.items).toEqual(['trap/ok']);
  expect(tb.broker.admin.entitlementStatus().failures).toBe(2);
  expect(escaped).toEqual([]);
});

it('a will whose write answer throws when read is not published; the broker keeps serving', async () => {
  tb = await startTestBroker({ security: { entitlement: { module: trapModule } }, mqtt: { transports: ['tcp'] } });
  const control = await mqttClients.connect(tb.mqttUrl!, 5, { username: 'control' });
  const got = inbox(control);
  await control.subscribeAsync('trap/#', { qos: 1 });
  const dying = await raws.connect(tb.mqttUrl!, 5, {
    clientId: 'dying',
    clean: true,
    username: 'dying',
    will: { topic: 'trap/will', payload: Buffer.from('gone'), qos: 0, retain: false },
  });
  dying.socket.destroy();
  await dying.closed;
  await control.publishAsync('trap/after', 'still here', { qos: 1 });
  await got.until((items) => items.some((m) => m.topic === 'trap/after'));
  expect(got.items.map((m) => m.topic)).toEqual(['trap/after']);
  expect(tb.broker.stats().mqttWillsPublished).toBe(0);
  expect(escaped).toEqual([]);
});
