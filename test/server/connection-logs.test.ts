// Connections are logged for people: a logon and a disconnect at info, for both protocols, with
// who, from where, on which listener, and why the connection ended.
import { afterEach, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { TEST_TRANSPORT } from '../helpers/broker.js';
import { LogSink } from '../tls/tls-fixture.js';
import { MqttClients } from '../mqtt/mqtt-helpers.js';

let broker: BrokerHandle | undefined;
const mqtt = new MqttClients();

afterEach(async () => {
  await mqtt.teardown();
  await broker?.close();
  broker = undefined;
});

it('logs each disconnect at info with its reason, native and MQTT', async () => {
  const sink = new LogSink('info');
  broker = await startBroker(
    {
      admin: { enabled: false },
      persistence: 'none',
      listeners: [
        { name: 'native', protocol: 'native', host: '127.0.0.1', port: 0, transport: TEST_TRANSPORT },
        { name: 'mqtt', protocol: 'mqtt', host: '127.0.0.1', port: 0 },
      ],
    },
    { logger: sink.logger },
  );
  const [native, mqttListener] = broker.listeners;

  const client = await connect(native!.url, { user: 'alice', password: 'pw', reconnect: false });
  await client.close();
  const nativeGone = await sink.waitFor('disconnect', (e) => e.user === 'alice');
  expect(nativeGone).toMatchObject({ listener: 'native', remote: '127.0.0.1', code: 1000 });

  const device = await mqtt.connect(mqttListener!.url, 5, { username: 'bob', clientId: 'pump-7' });
  await device.endAsync();
  expect(await sink.waitFor('MQTT disconnect', (e) => e.user === 'bob')).toMatchObject({
    clientId: 'pump-7',
    listener: 'mqtt',
    remote: '127.0.0.1',
    reason: 'client disconnected',
  });

  // Closed by the broker: the reason says so.
  const other = await mqtt.connect(mqttListener!.url, 5, { username: 'carol', clientId: 'pump-8' });
  other.on('error', () => {});
  await mqtt.connect(mqttListener!.url, 5, { username: 'carol', clientId: 'pump-8' });
  expect(await sink.waitFor('MQTT disconnect', (e) => e.user === 'carol')).toMatchObject({
    clientId: 'pump-8',
    reason: 'client id taken over',
  });
});
