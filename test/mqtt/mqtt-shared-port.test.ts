// The native protocol and MQTT over WebSocket on one host:port, told apart by path, as the
// example configs have them (ws://127.0.0.1:8800/ and ws://127.0.0.1:8800/mqtt).
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { connect, type Client } from '../../client/index.js';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { Collector } from '../helpers/collector.js';
import { assertTestTransport, MQTT_WS_TRANSPORT, TEST_TRANSPORT } from '../helpers/broker.js';

let broker: BrokerHandle | null = null;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await broker?.close();
  broker = null;
});

/** A port the OS just handed out and released (both listeners must name the same one). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

it('serves the native protocol at / and MQTT at /mqtt on the same port, and they exchange messages', async () => {
  const port = await freePort();
  broker = await startBroker({
    log: { level: 'silent' },
    persistence: 'none',
    admin: { enabled: false },
    listeners: [
      { name: 'native', protocol: 'native', transport: TEST_TRANSPORT, host: '127.0.0.1', port },
      { name: 'mqtt-ws', protocol: 'mqtt', transport: MQTT_WS_TRANSPORT, host: '127.0.0.1', port, path: '/mqtt' },
    ],
  });
  assertTestTransport(broker);
  expect(broker.listeners.map((l) => l.url)).toEqual([`ws://127.0.0.1:${port}/`, `ws://127.0.0.1:${port}/mqtt`]);

  const sdk: Client = await connect(`ws://127.0.0.1:${port}/`, {
    user: 'native-user',
    password: 'pw',
    reconnect: false,
  });
  closers.push(() => sdk.close());
  const fromMqtt = new Collector<Uint8Array>();
  await sdk.subscribe({ topic: 'shared/port' }, (m) => fromMqtt.push(m.bytes!));

  const device = await mqtt.connectAsync(`ws://127.0.0.1:${port}/mqtt`, {
    protocolVersion: 5,
    username: 'device',
    password: 'pw',
    reconnectPeriod: 0,
  });
  closers.push(() => device.endAsync());
  const fromSdk = new Collector<string>();
  device.on('message', (_topic, payload) => fromSdk.push(payload.toString('utf8')));
  await device.subscribeAsync('shared/reply', { qos: 1 });

  await device.publishAsync('shared/port', 'hello from mqtt', { qos: 1 });
  await fromMqtt.count(1);
  expect(Buffer.from(fromMqtt.items[0]!).toString('utf8')).toBe('hello from mqtt');

  await sdk.publish('shared/reply', { ok: true }, { ack: true });
  await fromSdk.count(1);
  expect(JSON.parse(fromSdk.items[0]!)).toEqual({ ok: true });
});
