// Authentication and entitlements over MQTT, with the reason codes of each refusal: the users of
// config/examples/secure.yaml (alice, bob, eve, admin) and the content rules of content.yaml.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../server/config/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { inbox, MqttClients, type Version } from './mqtt-helpers.js';

const EXAMPLES = join(import.meta.dirname, '../../config/examples');
let tb: TestBroker | null = null;
const clients = new MqttClients();
afterEach(async () => {
  await clients.teardown();
  await tb?.close();
  tb = null;
});

async function exampleBroker(file: string, mqttOptions: Record<string, unknown> = {}): Promise<TestBroker> {
  const security = loadConfigFile(join(EXAMPLES, file)).security;
  tb = await startTestBroker({ security, baseDir: EXAMPLES, mqtt: { transports: ['tcp'], options: mqttOptions } });
  return tb;
}

describe.each<Version>([4, 5])('MQTT %i security', (version) => {
  const v5 = version === 5;

  it('accepts a known user and refuses a bad password (0x86 / 4) and an unknown user', async () => {
    const b = await exampleBroker('secure.yaml');
    await clients.connect(b.mqttUrl!, version, { username: 'alice', password: 'alice-pw' });
    expect((await clients.refusal(b.mqttUrl!, version, { username: 'alice', password: 'wrong' })).code).toBe(
      v5 ? 0x86 : 4,
    );
    expect((await clients.refusal(b.mqttUrl!, version, { username: 'mallory', password: 'x' })).code).toBe(
      v5 ? 0x86 : 4,
    );
    expect(b.broker.stats().logonFailures).toBe(2);
  });

  it('refuses a logon the entitlement module denies (0x87 / 5)', async () => {
    // Any credentials authenticate, but the policy knows no "mallory": the logon entitlement denies.
    const security = {
      ...loadConfigFile(join(EXAMPLES, 'secure.yaml')).security,
      authentication: { module: 'allow-any' },
    };
    tb = await startTestBroker({ security, baseDir: EXAMPLES, mqtt: { transports: ['tcp'] } });
    expect((await clients.refusal(tb.mqttUrl!, version, { username: 'mallory', password: 'x' })).code).toBe(
      v5 ? 0x87 : 5,
    );
  });

  it('refuses everyone with deny-all', async () => {
    tb = await startTestBroker({ security: { authentication: { module: 'deny-all' } }, mqtt: { transports: ['tcp'] } });
    expect((await clients.refusal(tb.mqttUrl!, version, { username: 'alice', password: 'x' })).code).toBe(
      v5 ? 0x86 : 4,
    );
  });

  it('refuses a subscription to a topic the user cannot read (SUBACK 0x87 / 0x80) and grants the others', async () => {
    const b = await exampleBroker('secure.yaml');
    const eve = await clients.connect(b.mqttUrl!, version, { username: 'eve', password: 'eve-pw' });
    const suback = new Promise<unknown>((resolve) =>
      eve.on('packetreceive', (p) => p.cmd === 'suback' && resolve(p.granted)),
    );
    eve.subscribe({ 'orders/alice/1': { qos: 1 }, 'prices/public/x': { qos: 1 } }, () => {}); // the client reports the refusal as an error
    expect(await suback).toEqual([v5 ? 0x87 : 0x80, 1]);
    expect(b.broker.stats().subscriptionsDenied).toBe(1);
  });

  it('a wildcard subscription receives only topics the user may read', async () => {
    const b = await exampleBroker('secure.yaml');
    const eve = await clients.connect(b.mqttUrl!, version, { username: 'eve', password: 'eve-pw' });
    const got = inbox(eve);
    await eve.subscribeAsync('prices/#', { qos: 1 });
    const admin = await clients.connect(b.mqttUrl!, version, { username: 'admin', password: 'admin-secret' });
    await admin.publishAsync('prices/private/x', 'secret', { qos: 1 });
    await admin.publishAsync('prices/public/x', 'open', { qos: 1 });
    await got.count(1);
    expect(got.items.map((m) => [m.topic, m.text])).toEqual([['prices/public/x', 'open']]);
  });

  it('a denied QoS 1 publish is refused (v5 PUBACK 0x87), a denied QoS 0 publish dropped and counted; neither delivered', async () => {
    const b = await exampleBroker('secure.yaml');
    const admin = await clients.connect(b.mqttUrl!, version, { username: 'admin', password: 'admin-secret' });
    const got = inbox(admin);
    await admin.subscribeAsync('orders/#', { qos: 1 });
    const bob = await clients.connect(b.mqttUrl!, version, { username: 'bob', password: 'bob-pw' });
    let pubackReason: number | undefined;
    bob.on('packetreceive', (p) => {
      if (p.cmd === 'puback') pubackReason = p.reasonCode;
    });
    await bob.publishAsync('orders/alice/1', 'forged-0', { qos: 0 });
    const denied = bob.publishAsync('orders/alice/1', 'forged-1', { qos: 1 });
    if (v5) await expect(denied).rejects.toMatchObject({ code: 0x87 });
    else await denied;
    await bob.publishAsync('orders/bob/1', 'mine', { qos: 1 });
    await got.count(1);
    expect(got.items.map((m) => m.text)).toEqual(['mine']);
    expect(pubackReason ?? 0).toBe(0); // the last PUBACK (orders/bob/1) succeeded
    expect(b.broker.stats().publishesDenied).toBe(2);
    expect(b.broker.stats().mqttPublishesDropped).toBe(v5 ? 1 : 2);
  });

  it('disconnects instead of dropping when disconnectOnDeniedPublish is set', async () => {
    const b = await exampleBroker('secure.yaml', { disconnectOnDeniedPublish: true });
    const bob = await clients.connect(b.mqttUrl!, version, { username: 'bob', password: 'bob-pw' });
    const closed = new Promise<void>((resolve) => bob.once('close', () => resolve()));
    bob.publish('orders/alice/1', 'forged', { qos: 0 });
    await closed;
  });

  it('applies the read filter and select list to JSON payloads; a non-JSON payload is not delivered where a rule applies', async () => {
    const b = await exampleBroker('content.yaml');
    const analyst = await clients.connect(b.mqttUrl!, version, { username: 'analyst', password: 'analyst-pw' });
    const got = inbox(analyst);
    await analyst.subscribeAsync('trades/#', { qos: 1 });
    const admin = await clients.connect(b.mqttUrl!, version, { username: 'admin', password: 'admin-secret' });
    await admin.publishAsync('trades/1', 'not json', { qos: 1 });
    await admin.publishAsync('trades/1', JSON.stringify({ sym: 'A', px: 1, region: 'US', qty: 5 }), { qos: 1 });
    await admin.publishAsync('trades/1', JSON.stringify({ sym: 'B', px: 2, region: 'EU', qty: 5 }), { qos: 1 });
    await got.count(1);
    expect(got.items.map((m) => JSON.parse(m.text))).toEqual([{ sym: 'B', px: 2 }]);
    expect(b.broker.stats().deliveriesNotFilterable).toBe(1);
  });

  it('refuses a publish that fails the write filter', async () => {
    const b = await exampleBroker('content.yaml');
    const auditor = await clients.connect(b.mqttUrl!, version, { username: 'auditor', password: 'auditor-pw' });
    const got = inbox(auditor);
    await auditor.subscribeAsync('trades/#', { qos: 1 });
    const feed = await clients.connect(b.mqttUrl!, version, { username: 'feed', password: 'feed-pw' });
    const bad = feed.publishAsync('trades/1', JSON.stringify({ px: -1 }), { qos: 1 });
    if (v5) await expect(bad).rejects.toMatchObject({ code: 0x87 });
    else await bad;
    await feed.publishAsync('trades/1', JSON.stringify({ px: 3 }), { qos: 1 });
    await got.count(1);
    expect(got.items.map((m) => m.text)).toEqual(['{"px":3}']);
    expect(b.broker.stats().publishesFiltered).toBe(1);
  });
});
