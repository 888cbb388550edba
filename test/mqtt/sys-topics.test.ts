// $SYS topics: Mosquitto-compatible values, retained, published at sys.intervalSec; read only by
// whom the entitlements allow (the example policy: admins), and never matched by `#`.
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { inbox, MqttClients } from './mqtt-helpers.js';

const EXAMPLE_POLICY = join(import.meta.dirname, '../../config/examples/policy.yaml');

let broker: TestBroker | undefined;
const mqtt = new MqttClients();

afterEach(async () => {
  await mqtt.teardown();
  await broker?.close();
  broker = undefined;
});

it('publishes retained $SYS values that admins can read and traders cannot', async () => {
  broker = await startTestBroker({
    mqtt: { transports: ['tcp'] },
    sys: { intervalSec: 1 },
    security: { entitlement: { module: 'policy', options: { file: EXAMPLE_POLICY } } },
  });
  const url = broker.mqttUrl!;
  const trader = await mqtt.connect(url, 5, { username: 'alice' });
  const everything = inbox(trader);
  // `#` never matches $SYS [MQTT-4.7.2-1]; an explicit $SYS subscription is made, but each
  // delivery is entitled like any other, and the example policy gives $SYS to admins only.
  await trader.subscribeAsync('#', { qos: 0 });
  await trader.subscribeAsync('$SYS/#', { qos: 0 });

  const admin = await mqtt.connect(url, 5, { username: 'admin' });
  const got = inbox(admin);
  await admin.subscribeAsync('$SYS/broker/#', { qos: 0 });
  // Retained: a new subscriber gets the current values at once.
  await got.until((items) => items.some((m) => m.topic === '$SYS/broker/clients/connected'));
  const value = (topic: string): string | undefined => got.items.filter((m) => m.topic === topic).pop()?.text;
  expect(value('$SYS/broker/version')).toMatch(/^warden version \d+\.\d+\.\d+/);
  expect(value('$SYS/broker/uptime')).toMatch(/^\d+ seconds$/);
  expect(got.items.find((m) => m.topic === '$SYS/broker/version')!.retain).toBe(true);
  // And again at the next interval, with what changed: two clients are connected by then.
  await got.until((items) => items.some((m) => m.topic === '$SYS/broker/clients/connected' && m.text === '2'));
  await got.until((items) => items.some((m) => m.topic === '$SYS/broker/load/connections/1min'));
  expect(Number(value('$SYS/broker/subscriptions/count'))).toBeGreaterThanOrEqual(2);
  // The same publishes went to the trader's subscriptions in the same turns: none was delivered.
  expect(everything.items.filter((m) => m.topic.startsWith('$SYS'))).toEqual([]);
  expect(broker.broker.stats().deliveriesNotEntitled).toBeGreaterThan(0);
});
