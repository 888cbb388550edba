// Admission test fixture: a real broker on 127.0.0.1 port 0 with one listener per protocol and
// transport (native, MQTT over TCP, MQTT over WebSocket), the given `admission` and `limits`
// sections, and a clock the test moves by hand, so rate limits are counted, never timed. Clients
// (native raw and SDK, npm `mqtt`, raw MQTT sockets) are tracked and torn down after each test.
import { afterEach } from 'vitest';
import { connect as connectSdk, type Client, type ConnectOptions } from '../../client/index.js';
import { startBroker, type BrokerHandle, type WardenConfigInput } from '../../server/index.js';
import { MQTT_WS_TRANSPORT, TEST_TRANSPORT, assertTestTransport } from '../helpers/broker.js';
import { RawClient, type Frame } from '../helpers/raw-client.js';
import { MqttClients, RawMqttClients } from '../mqtt/mqtt-helpers.js';

/** A clock standing still until the test moves it. */
export class ManualClock {
  now = 1_700_000_000_000;
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface AdmissionBroker {
  readonly broker: BrokerHandle;
  readonly clock: ManualClock;
  /** ws://127.0.0.1:PORT/ (native protocol). */
  readonly url: string;
  /** mqtt://127.0.0.1:PORT */
  readonly mqttUrl: string;
  /** ws://127.0.0.1:PORT/mqtt */
  readonly mqttWsUrl: string;
}

type ListenerInput = NonNullable<WardenConfigInput['listeners']>[number];

export interface BrokerSections {
  admission?: WardenConfigInput['admission'];
  limits?: WardenConfigInput['limits'];
  security?: WardenConfigInput['security'];
  /** Options for every MQTT listener. */
  mqttOptions?: Extract<ListenerInput, { protocol: 'mqtt' }>['options'];
  /** Options for the native listener. */
  nativeOptions?: Extract<ListenerInput, { protocol?: 'native' }>['options'];
}

export interface AdmissionFixture {
  start(sections?: BrokerSections): Promise<AdmissionBroker>;
  /** A native logon with a bare `ws` client: the ack or error frame, and the client. */
  logon(user: string, url?: string): Promise<{ client: RawClient; answer: Frame }>;
  /** A native logon that must succeed. */
  admitted(user: string, url?: string): Promise<RawClient>;
  /** An SDK client (reconnect off). */
  sdk(user: string, options?: Partial<ConnectOptions>): Promise<Client>;
  readonly mqtt: MqttClients;
  readonly raws: RawMqttClients;
  /** The broker the current test started. */
  readonly current: AdmissionBroker;
}

export function useAdmissionFixture(): AdmissionFixture {
  let current: AdmissionBroker | null = null;
  const brokers: BrokerHandle[] = [];
  const raws: RawClient[] = [];
  const sdks: Client[] = [];
  const mqtt = new MqttClients();
  const rawMqtt = new RawMqttClients();
  afterEach(async () => {
    rawMqtt.teardown();
    await mqtt.teardown();
    await Promise.all(sdks.splice(0).map((c) => c.close()));
    for (const c of raws.splice(0)) c.ws.terminate();
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    current = null;
  });
  const fixture: AdmissionFixture = {
    async start(sections = {}) {
      const clock = new ManualClock();
      const broker = await startBroker(
        {
          log: { level: 'silent' },
          persistence: 'none',
          shutdown: { graceMs: 2000 },
          admin: { enabled: false },
          security: sections.security ?? {},
          admission: sections.admission ?? {},
          limits: sections.limits ?? {},
          listeners: [
            {
              name: 'native',
              protocol: 'native',
              transport: TEST_TRANSPORT,
              host: '127.0.0.1',
              port: 0,
              options: sections.nativeOptions ?? {},
            },
            {
              name: 'mqtt',
              protocol: 'mqtt',
              transport: 'tcp',
              host: '127.0.0.1',
              port: 0,
              options: sections.mqttOptions ?? {},
            },
            {
              name: 'mqtt-ws',
              protocol: 'mqtt',
              transport: MQTT_WS_TRANSPORT,
              host: '127.0.0.1',
              port: 0,
              path: '/mqtt',
              options: sections.mqttOptions ?? {},
            },
          ],
        },
        { clock: clock.read },
      );
      brokers.push(broker);
      assertTestTransport(broker);
      const url = (name: string): string => broker.listeners.find((l) => l.name === name)!.url;
      current = { broker, clock, url: url('native'), mqttUrl: url('mqtt'), mqttWsUrl: url('mqtt-ws') };
      return current;
    },
    async logon(user, url) {
      const client = await RawClient.open(url ?? fixture.current.url, 'json');
      raws.push(client);
      const answer = await client.request({ op: 'logon', rid: 1, user, password: 'pw' });
      return { client, answer };
    },
    async admitted(user, url) {
      const { client, answer } = await fixture.logon(user, url);
      if (answer.op !== 'ack') throw new Error(`${user} was not admitted: ${JSON.stringify(answer)}`);
      return client;
    },
    async sdk(user, options = {}) {
      const client = await connectSdk(fixture.current.url, { user, password: 'pw', reconnect: false, ...options });
      sdks.push(client);
      return client;
    },
    mqtt,
    raws: rawMqtt,
    get current() {
      if (current === null) throw new Error('no broker started in this test');
      return current;
    },
  };
  return fixture;
}

/** The error frame and close of a refused native logon. */
export async function refusedLogon(
  fixture: AdmissionFixture,
  user: string,
): Promise<{ error: Frame; close: { code: number; reason: string } }> {
  const { client, answer } = await fixture.logon(user);
  return { error: answer, close: await client.closed };
}

/** Drop a native client's socket without a close handshake (the broker sees an abnormal close). */
export function destroy(client: RawClient): void {
  client.ws.terminate();
}
