// An entitlement reset for a user also reaches that user's persistent sessions whose clients are
// away: their cached read decisions are dropped, so messages are queued (or not) under the new
// rules, exactly as a live connection of the user is disconnected and entitled afresh.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { inbox, MqttClients, type Version } from './mqtt-helpers.js';

const temp = useTempDirs();
let tb: TestBroker | null = null;
const clients = new MqttClients();
afterEach(async () => {
  await clients.teardown();
  await tb?.close();
  tb = null;
});

const policy = (uReads: string): string => `
allowUnknownUser: false
groups:
  readers:
    users: [u]
    grants:
      - { actions: [read], topics: ['${uReads}'] }
  others:
    users: [other, pub]
    grants:
      - { actions: [read, write], topics: ['#'] }
`;

describe.each<Version>([4, 5])('MQTT %i entitlement reset and stored sessions', (version) => {
  const v5 = version === 5;
  const persistent = {
    clientId: 'away',
    clean: false,
    username: 'u',
    ...(v5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
  };

  it('a reset for the user re-entitles their stored session: a read revoked meanwhile stops queueing', async () => {
    const dir = temp();
    const file = dir.write('policy.yaml', policy('t/#'));
    tb = await startTestBroker({
      security: { authentication: { module: 'allow-any' }, entitlement: { module: 'policy', options: { file } } },
      baseDir: dir.path,
      mqtt: { transports: ['tcp'] },
    });
    const first = await clients.connect(tb.mqttUrl!, version, persistent);
    await first.subscribeAsync('t/#', { qos: 1 });
    await first.endAsync();
    const pub = await clients.connect(tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('t/1', 'before', { qos: 1 }); // queued: u may read t/#
    dir.write('policy.yaml', policy('other/#'));
    await tb.broker.admin.resetEntitlements('u');
    await pub.publishAsync('t/1', 'after', { qos: 1 }); // u may no longer read it
    await pub.publishAsync('t/1', 'after again', { qos: 1 });
    const back = clients.start(tb.mqttUrl!, version, persistent);
    const got = inbox(back.client);
    expect((await back.connack).sessionPresent).toBe(true);
    await got.count(1);
    // A marker through another client's subscription proves the queued ones were all sent first.
    await back.client.subscribeAsync('other/#', { qos: 1 });
    await pub.publishAsync('other/m', 'marker', { qos: 1 });
    await got.until((items) => items.some((m) => m.text === 'marker'));
    expect(got.items.map((m) => m.text)).toEqual(['before', 'marker']);
  });

  it('a reset for another user leaves the stored session as it was', async () => {
    const dir = temp();
    const file = dir.write('policy.yaml', policy('t/#'));
    tb = await startTestBroker({
      security: { authentication: { module: 'allow-any' }, entitlement: { module: 'policy', options: { file } } },
      baseDir: dir.path,
      mqtt: { transports: ['tcp'] },
    });
    const first = await clients.connect(tb.mqttUrl!, version, persistent);
    await first.subscribeAsync('t/#', { qos: 1 });
    await first.endAsync();
    const pub = await clients.connect(tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('t/1', 'before', { qos: 1 });
    await tb.broker.admin.resetEntitlements('other');
    await pub.publishAsync('t/1', 'after', { qos: 1 });
    const back = clients.start(tb.mqttUrl!, version, persistent);
    const got = inbox(back.client);
    expect((await back.connack).sessionPresent).toBe(true);
    await got.count(2);
    expect(got.items.map((m) => m.text)).toEqual(['before', 'after']);
  });
});
