// Two tenants on one broker: the vhost is chosen by the WebSocket Host header, the MQTT listener's
// vhost, or a `user@vhost` user name; each is its own topic namespace (`#`, regex, retained and
// shared subscriptions never cross), with its own policy and connection limits (docs/vhosts.md).
import { expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { Frame } from '../helpers/raw-client.js';
import { TEST_TRANSPORT } from '../helpers/broker.js';
import { ALL, useVhostBroker } from './vhost-fixture.js';

const vh = useVhostBroker();

async function start(extra: { maxConnectionsPerUser?: number } = {}): Promise<{ ws: string; mqttUrl: string }> {
  const broker = await vh.start({
    vhosts: {
      enabled: true,
      policies: [
        {
          hostname: 'a.example',
          ...extra,
          groups: {
            traders: { users: ['alice', 'amy'], ...ALL },
            readers: { users: ['ann'], remoteHosts: '*', sources: 'x/#' },
          },
        },
        { hostname: 'b.example', groups: { traders: { users: ['bob', 'bea'], ...ALL } } },
      ],
    },
    listeners: [
      { name: 'native', protocol: 'native', transport: TEST_TRANSPORT, host: '127.0.0.1', port: 0 },
      {
        name: 'mqtt',
        protocol: 'mqtt',
        transport: 'tcp',
        host: '127.0.0.1',
        port: 0,
        vhost: 'b.example',
        vhostFromUserName: true,
      },
    ],
  });
  return { ws: broker.listeners[0]!.url, mqttUrl: broker.listeners[1]!.url };
}

async function mqttClient(url: string, username: string, clientId: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    username,
    password: 'pw',
    clientId,
    reconnectPeriod: 0,
    protocolVersion: 5,
  });
  vh.closeAfter(() => client.endAsync());
  return client;
}

/** A delivery's payload as text: MQTT publishers' payloads arrive as bytes. */
const text = (f: Frame): unknown => (typeof f.bytes === 'string' ? Buffer.from(f.bytes, 'base64').toString() : f.data);

it('keeps two vhosts on one port apart: `#`, regex and exact subscriptions see only their own vhost', async () => {
  await start();
  const alice = await vh.logon('a.example', 'alice');
  const amy = await vh.logon('A.Example:443', 'amy'); // a host name is compared without case or port
  const bob = await vh.logon('b.example', 'bob');
  for (const c of [alice, bob]) {
    expect(await c.request({ op: 'subscribe', rid: 1, sid: 1, topic: '#' })).toMatchObject({ op: 'ack' });
    expect(await c.request({ op: 'subscribe', rid: 2, sid: 2, regex: '.*' })).toMatchObject({ op: 'ack' });
    expect(await c.request({ op: 'subscribe', rid: 3, sid: 3, topic: 'x/1' })).toMatchObject({ op: 'ack' });
  }
  // Routed when acknowledged: the later markers prove what would have arrived before them.
  expect(await bob.request({ op: 'publish', rid: 4, topic: 'x/1', data: 'from b', ack: true })).toMatchObject({
    op: 'ack',
  });
  expect(await amy.request({ op: 'publish', rid: 4, topic: 'x/1', data: 'from a', ack: true })).toMatchObject({
    op: 'ack',
  });
  expect(await amy.request({ op: 'publish', rid: 5, topic: 'end', data: 'a done', ack: true })).toMatchObject({
    op: 'ack',
  });
  expect(await bob.request({ op: 'publish', rid: 5, topic: 'end', data: 'b done', ack: true })).toMatchObject({
    op: 'ack',
  });
  // In the order routed: a message of the other vhost would come before the vhost's own.
  const [aliceGot, bobGot] = [await alice.messages(2), await bob.messages(2)];
  // One delivery per message, with every matching subscription id, and the topic as published.
  expect(aliceGot.map((f) => [f.topic, f.data, [...(f.sids as number[])].sort()])).toEqual([
    ['x/1', 'from a', [1, 2, 3]],
    ['end', 'a done', [1, 2]],
  ]);
  expect(bobGot.map((f) => [f.topic, f.data, [...(f.sids as number[])].sort()])).toEqual([
    ['x/1', 'from b', [1, 2, 3]],
    ['end', 'b done', [1, 2]],
  ]);
});

it("applies each vhost's policy: groups, sources and unknown users; an unknown host is refused", async () => {
  await start();
  const ann = await vh.logon('a.example', 'ann');
  expect(await ann.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'x/#' })).toMatchObject({ op: 'ack' });
  expect(await ann.request({ op: 'subscribe', rid: 2, sid: 2, topic: 'y/1' })).toMatchObject({
    op: 'error',
    code: 'NOT_ENTITLED',
  });
  expect(await ann.request({ op: 'publish', rid: 3, topic: 'x/1', data: 1, ack: true })).toMatchObject({
    op: 'error',
    code: 'NOT_ENTITLED',
  });
  // bob is a user of b.example only: a.example does not know him (allowUnknownUser is false).
  const [stranger, refused] = await vh.attempt('a.example', 'bob');
  expect(refused).toMatchObject({ op: 'error', code: 'LOGON_FAILED' });
  expect((await stranger.closed).code).toBe(4003);
  // No policy for c.example and no default vhost.
  const [lost, unknown] = await vh.attempt('c.example', 'alice');
  expect(unknown).toMatchObject({ op: 'error', code: 'LOGON_FAILED' });
  expect((await lost.closed).code).toBe(4003);
});

it("counts connections per vhost under the broker's limits", async () => {
  await start({ maxConnectionsPerUser: 1 });
  const first = await vh.logon('a.example', 'alice');
  const [second, limited] = await vh.attempt('a.example', 'alice');
  expect(limited).toMatchObject({ op: 'error', code: 'CONNECTION_LIMIT' });
  await second.closed;
  // Another user of the vhost, and the other vhost, are not limited by alice's count.
  await vh.logon('a.example', 'amy');
  await vh.logon('b.example', 'bob');
  // Her place comes back when she leaves.
  await first.close();
  await first.closed;
  await vh.logon('a.example', 'alice');
});

it('MQTT over TCP: the listener names the vhost, `user@vhost` another; retained and shared subscriptions stay inside', async () => {
  const { mqttUrl } = await start();
  const alice = await vh.logon('a.example', 'alice');
  expect(await alice.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'r/#' })).toMatchObject({ op: 'ack' });
  // amy@a.example names a.example; bob has no suffix: the listener's b.example. Same client id in both.
  const amy = await mqttClient(mqttUrl, 'amy@a.example', 'same-id');
  const bob = await mqttClient(mqttUrl, 'bob', 'same-id');
  await amy.publishAsync('r/1', 'kept in a', { qos: 1, retain: true });
  expect(text((await alice.messages(1))[0]!)).toBe('kept in a');
  // A client id is one per vhost: bob's connection was not taken over by amy's.
  expect(bob.connected).toBe(true);
  const got: string[] = [];
  bob.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`));
  await bob.subscribeAsync(['r/#', '$share/g/r/#'], { qos: 1 });
  const bea = await mqttClient(mqttUrl, 'bea', 'bea');
  const beaGot: string[] = [];
  bea.on('message', (topic, payload) => beaGot.push(`${topic}=${payload.toString()}`));
  await bea.subscribeAsync('$share/g/r/#', { qos: 1 });
  // Alice's shared group of the same name and filter is another group: it gets a's messages only.
  await amy.subscribeAsync('$share/g/r/#', { qos: 1 });
  await amy.publishAsync('r/2', 'live in a', { qos: 1 });
  await bea.publishAsync('r/3', 'live in b', { qos: 1 });
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (got.filter((m) => m === 'r/3=live in b').length === 2 || (got.includes('r/3=live in b') && beaGot.length > 0))
        resolve();
    };
    bob.on('message', check);
    bea.on('message', check);
    check();
  });
  // No retained message of a.example and nothing live from it reached b.example's clients.
  expect([...got, ...beaGot].filter((m) => m.includes('in a'))).toEqual([]);
  expect(got).toContain('r/3=live in b');
  expect(text((await alice.messages(1))[0]!)).toBe('live in a');
});
