// Vhosts and what outlives a connection: policies read from a directory, a group's filter and
// select list on what its members read, and a persistent MQTT session that comes back after a
// restart in its own vhost (its subscriptions in that vhost's namespace, its client id there).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { BrokerHandle } from '../../server/index.js';
import { TEST_TRANSPORT } from '../helpers/broker.js';
import { useVhostBroker } from './vhost-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const temp = useTempDirs();
const vh = useVhostBroker();

function writePolicies(dir: string): void {
  writeFileSync(
    join(dir, 'a.yaml'),
    [
      'hostname: a.example',
      'groups:',
      '  traders:',
      '    users: [alice, amy]',
      "    remoteHosts: '*'",
      "    sources: '#'",
      "    targets: '#'",
      '  eu:',
      '    users: [erin]',
      "    remoteHosts: '*'",
      "    sources: 'prices/#'",
      '    filter: region = "EU"',
      "    select: '-/trader'",
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'b.json'),
    JSON.stringify({
      hostname: 'b.example',
      groups: { traders: { users: ['bob'], remoteHosts: '*', sources: '#', targets: '#' } },
    }),
  );
}

function start(dataDir: string, policyDir: string): Promise<BrokerHandle> {
  return vh.start(
    {
      persistence: { path: dataDir, sync: 'always' },
      vhosts: { enabled: true, dir: policyDir },
      listeners: [
        { name: 'native', protocol: 'native', transport: TEST_TRANSPORT, host: '127.0.0.1', port: 0 },
        { name: 'mqtt', protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port: 0, vhostFromUserName: true },
      ],
    },
    { baseDir: dataDir },
  );
}

it("loads policies from a directory and applies a group's filter and select list", async () => {
  const policies = temp().path;
  writePolicies(policies);
  await start(temp().path, policies);
  const erin = await vh.logon('a.example', 'erin');
  const alice = await vh.logon('a.example', 'alice');
  expect(await erin.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'prices/#' })).toMatchObject({ op: 'ack' });
  for (const [rid, region] of [
    [1, 'US'],
    [2, 'EU'],
  ] as const)
    expect(
      await alice.request({
        op: 'publish',
        rid,
        topic: 'prices/x',
        data: { region, px: rid, trader: 'al' },
        ack: true,
      }),
    ).toMatchObject({ op: 'ack' });
  // The US price is filtered out; the EU one arrives without the trader.
  const [delivered] = await erin.messages(1);
  expect(delivered).toMatchObject({ topic: 'prices/x' });
  expect(delivered!.data).toEqual({ region: 'EU', px: 2 });
});

it('brings a persistent MQTT session back in its own vhost after a restart', async () => {
  const policies = temp().path;
  writePolicies(policies);
  const data = temp().path;
  let handle = await start(data, policies);
  const connect = (username: string, clientId: string): Promise<MqttClient> =>
    mqtt.connectAsync(handle.listeners[1]!.url, {
      username,
      password: 'pw',
      clientId,
      clean: false,
      reconnectPeriod: 0,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3600 },
    });
  const kept = await connect('amy@a.example', 'keeper');
  await kept.subscribeAsync('orders/#', { qos: 1 });
  await kept.endAsync();
  await handle.close();

  handle = await start(data, policies);
  // Published while the client is away, in each vhost: only a.example's is queued for it.
  const bob = await mqtt.connectAsync(handle.listeners[1]!.url, {
    username: 'bob@b.example',
    password: 'pw',
    reconnectPeriod: 0,
  });
  vh.closeAfter(() => bob.endAsync());
  await bob.publishAsync('orders/1', 'from b', { qos: 1 });
  const alice = await mqtt.connectAsync(handle.listeners[1]!.url, {
    username: 'alice@a.example',
    password: 'pw',
    reconnectPeriod: 0,
  });
  vh.closeAfter(() => alice.endAsync());
  await alice.publishAsync('orders/2', 'from a', { qos: 1 });

  const got: string[] = [];
  const resumed = await new Promise<MqttClient>((resolve, reject) => {
    const client = mqtt.connect(handle.listeners[1]!.url, {
      username: 'amy@a.example',
      password: 'pw',
      clientId: 'keeper',
      clean: false,
      reconnectPeriod: 0,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3600 },
    });
    client.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`));
    client.once('connect', (connack) => {
      expect(connack.sessionPresent).toBe(true);
      resolve(client);
    });
    client.once('error', reject);
  });
  vh.closeAfter(() => resumed.endAsync());
  // A marker published after the resume: the queued message of a.example came first, b's never.
  await alice.publishAsync('orders/3', 'marker', { qos: 1 });
  await new Promise<void>((resolve) => {
    const check = (): void => (got.includes('orders/3=marker') ? resolve() : undefined);
    resumed.on('message', check);
    check();
  });
  expect(got).toEqual(['orders/2=from a', 'orders/3=marker']);
});
