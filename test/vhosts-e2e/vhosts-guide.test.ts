// The AMQ Interconnect security guide's vhost examples, translated to Warden's syntax and tried
// against a real broker as the guide documents them (docs/vhosts.md), and the vhost chosen by the
// TLS server name (SNI) on native and MQTT listeners, and by the Host header of MQTT over WebSocket.
import { expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { BrokerHandle, WardenConfigInput } from '../../server/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { MQTT_WS_TRANSPORT, TEST_TRANSPORT } from '../helpers/broker.js';
import { useVhostBroker } from './vhost-fixture.js';
import { GROUPS_EXAMPLE } from '../vhosts/guide-examples.js';
import { pem, serverProfile, useDevCertificates } from '../tls/tls-fixture.js';

const certs = useDevCertificates();
const vh = useVhostBroker();

// Example 7.5 (the same groups as Example 7.6's JSON file), with topics for the router's addresses.
const EXAMPLE_COM = GROUPS_EXAMPLE;

// Example 7.12's traders.com: what carries over is who is in which group; maxMessageSize stands
// for the router's frame limits and maxSubscriptions for its sessions and links.
const TRADERS_COM = {
  hostname: 'traders.com',
  groups: {
    traders: {
      users: ['trader1', 'trader2'],
      remoteHosts: '*',
      sources: '#',
      targets: '#',
      maxMessageSize: 10000,
      maxSubscriptions: 1,
    },
    feeds: {
      users: ['nyse-feed', 'nasdaq-feed'],
      remoteHosts: '*',
      sources: '#',
      targets: '#',
      maxMessageSize: 60000,
      maxSubscriptions: 3,
    },
  },
};

function start(extra: Partial<WardenConfigInput> = {}): Promise<BrokerHandle> {
  return vh.start({
    vhosts: { enabled: true, policies: [EXAMPLE_COM, TRADERS_COM] },
    listeners: [{ name: 'native', protocol: 'native', transport: TEST_TRANSPORT, host: '127.0.0.1', port: 0 }],
    ...extra,
  });
}

it('example.com: admins everywhere from localhost, developers on their queues, unknown users in $default', async () => {
  await start();
  const admin1 = await vh.logon('example.com', 'admin1');
  expect(await admin1.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'anything/at/all' })).toMatchObject({
    op: 'ack',
  });
  const dev1 = await vh.logon('example.com', 'dev1');
  expect(await dev1.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'myqueue1' })).toMatchObject({ op: 'ack' });
  expect(await dev1.request({ op: 'subscribe', rid: 2, sid: 2, topic: 'myqueue3' })).toMatchObject({
    code: 'NOT_ENTITLED',
  });
  // Someone in no group logs on (allowUnknownUser) with $default's rights.
  const stranger = await vh.logon('example.com', 'stranger');
  expect(await stranger.request({ op: 'publish', rid: 1, topic: 'myqueue1', data: 'hello', ack: true })).toMatchObject({
    op: 'ack',
  });
  expect(await stranger.request({ op: 'publish', rid: 2, topic: 'secret', data: 'x', ack: true })).toMatchObject({
    code: 'NOT_ENTITLED',
  });
  expect((await dev1.messages(1))[0]).toMatchObject({ topic: 'myqueue1', data: 'hello' });
});

it('traders.com: each group with its message size and subscriptions; others are refused', async () => {
  await start();
  const trader = await vh.logon('traders.com', 'trader1');
  expect(await trader.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'orders/#' })).toMatchObject({ op: 'ack' });
  expect(await trader.request({ op: 'subscribe', rid: 2, sid: 2, topic: 'prices/#' })).toMatchObject({
    op: 'error',
    code: 'TOO_MANY_SUBSCRIPTIONS',
  });
  const big = 'x'.repeat(20_000);
  expect(await trader.request({ op: 'publish', rid: 3, topic: 'orders/1', data: big, ack: true })).toMatchObject({
    code: 'MESSAGE_TOO_LARGE',
  });
  const feed = await vh.logon('traders.com', 'nyse-feed');
  expect(await feed.request({ op: 'publish', rid: 1, topic: 'orders/1', data: big, ack: true })).toMatchObject({
    op: 'ack',
  });
  const [, ack] = await vh.attempt('traders.com', 'admin1');
  expect(ack).toMatchObject({ op: 'error', code: 'LOGON_FAILED' });
});

it('chooses the vhost by SNI for TLS (native and MQTT), and refuses a Host header that names another', async () => {
  // The dev certificate names localhost: the chain is checked, the name is not (the SNI is a vhost's).
  const tlsClient = { ca: pem(certs().ca), checkServerIdentity: () => undefined };
  // `ws` passes these on to tls.connect; its ClientOptions type lists neither servername nor
  // tls's checkServerIdentity (which returns an Error or undefined).
  const wssOptions = (servername: string, host: string) =>
    ({ ...tlsClient, servername, headers: { host } }) as unknown as Parameters<typeof RawClient.open>[2];
  const handle = await start({
    tls: { profiles: { main: serverProfile(certs()) } },
    listeners: [
      { name: 'wss', protocol: 'native', host: '127.0.0.1', port: 0, tls: { profile: 'main' } },
      { name: 'mqtts', protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port: 0, tls: { profile: 'main' } },
    ],
  });
  const [wss, mqtts] = [handle.listeners[0]!.url, handle.listeners[1]!.url];
  // A browser sends the name it connected to in both.
  const sni = await RawClient.open(wss, 'json', wssOptions('traders.com', 'traders.com'));
  vh.closeAfter(() => sni.close());
  expect(await sni.request({ op: 'logon', rid: 0, user: 'trader1', password: 'pw' })).toMatchObject({ op: 'ack' });
  const mismatch = await RawClient.open(wss, 'json', wssOptions('traders.com', 'example.com'));
  expect(await mismatch.request({ op: 'logon', rid: 0, user: 'admin1', password: 'pw' })).toMatchObject({
    code: 'LOGON_FAILED',
  });
  // MQTT over TLS: the SNI names the vhost; a user of the other vhost is refused (not authorized).
  const feed = await mqtt.connectAsync(mqtts, {
    ...tlsClient,
    servername: 'traders.com',
    username: 'nyse-feed',
    password: 'pw',
    reconnectPeriod: 0,
  });
  vh.closeAfter(() => feed.endAsync());
  expect(await sni.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'ticks/#' })).toMatchObject({ op: 'ack' });
  await feed.publishAsync('ticks/1', 'tick', { qos: 1 });
  expect((await sni.messages(1))[0]).toMatchObject({ topic: 'ticks/1' });
  await expect(
    mqtt.connectAsync(mqtts, {
      ...tlsClient,
      servername: 'traders.com',
      username: 'dev1',
      password: 'pw',
      reconnectPeriod: 0,
    }),
  ).rejects.toThrow(/Not authorized|Bad User Name or Password|5/);
});

it('MQTT over WebSocket takes the vhost from the Host header', async () => {
  const handle = await start({
    listeners: [
      { name: 'mqtt-ws', protocol: 'mqtt', transport: MQTT_WS_TRANSPORT, host: '127.0.0.1', port: 0, path: '/mqtt' },
    ],
  });
  const url = handle.listeners[0]!.url;
  const connectAs = (host: string, username: string): Promise<MqttClient> =>
    mqtt.connectAsync(url, { username, password: 'pw', reconnectPeriod: 0, wsOptions: { headers: { host } } });
  const trader = await connectAs('traders.com', 'trader2');
  vh.closeAfter(() => trader.endAsync());
  // No vhost for that host and no default vhost.
  await expect(connectAs('nowhere.example', 'trader2')).rejects.toThrow(/Not authorized|5/);
});
