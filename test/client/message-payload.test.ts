// message.json() and message.text() read a payload whichever protocol published it: an MQTT
// client's bytes (JSON text or not) and a native publish's value or bytes, on both encodings,
// through a real broker. `data` keeps its meaning: the value, or the bytes themselves.
import { afterEach, describe, expect, it } from 'vitest';
import { ClientErrorCodes, WardenError, type Encoding, type Message } from '../../client/index.js';
import { MqttClients } from '../mqtt/mqtt-helpers.js';
import { Fixture, Inbox } from './helpers.js';

const fixture = new Fixture();
const mqttClients = new MqttClients();
afterEach(async () => {
  await mqttClients.teardown();
  await fixture.teardown();
});

/** A broker with an MQTT listener, an SDK subscriber on `payload/#`, and an MQTT 5 publisher. */
async function setup(encoding: Encoding) {
  const { url, mqttUrl } = await fixture.broker({ mqtt: { transports: ['tcp'] } });
  const client = await fixture.client(url, { user: 'reader', encoding });
  const inbox = new Inbox();
  await client.subscribe({ topic: 'payload/#' }, inbox.handler);
  const mqtt = await mqttClients.connect(mqttUrl!, 5, { username: 'mqtt-writer' });
  /** The message as the subscriber got it; `publish` has resolved once the broker took it (QoS 1's PUBACK, an acked publish). */
  const received = async (topic: string, publish: Promise<unknown>): Promise<Message> => {
    await publish;
    return inbox.waitFor((message) => message.topic === topic);
  };
  return {
    fromMqtt: (topic: string, payload: string | Buffer) =>
      received(topic, mqtt.publishAsync(topic, payload, { qos: 1 })),
    fromSdk: (topic: string, data: unknown) => received(topic, client.publish(topic, data, { ack: true })),
  };
}

/** The WardenError `read` throws. */
function thrown(read: () => unknown): WardenError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(WardenError);
    return error as WardenError;
  }
  throw new Error('expected a WardenError');
}

describe.each<Encoding>(['msgpack', 'json'])('message payloads over %s', (encoding) => {
  it('reads JSON an MQTT client published with json() and text(); data is still the bytes', async () => {
    const { fromMqtt } = await setup(encoding);
    const message = await fromMqtt('payload/mqtt', '{"via":"mqtt"}');
    expect(message.bytes).toEqual(new TextEncoder().encode('{"via":"mqtt"}'));
    expect(message.data).toBe(message.bytes);
    expect(message.json()).toEqual({ via: 'mqtt' });
    expect(message.text()).toBe('{"via":"mqtt"}');
    // Parsed anew on every call: handlers sharing the message never share a parsed object.
    expect(message.json()).not.toBe(message.json());
  });

  it('reads MQTT text that is not JSON with text(), and json() says it is not JSON', async () => {
    const { fromMqtt } = await setup(encoding);
    const message = await fromMqtt('payload/text', 'plain text');
    expect(message.text()).toBe('plain text');
    const error = thrown(() => message.json());
    expect(error.code).toBe(ClientErrorCodes.PAYLOAD_NOT_JSON);
    expect(error.message).toMatch(/^the message on "payload\/text" is not JSON: .+$/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses bytes that are not UTF-8 in json(), and shows them as U+FFFD in text()', async () => {
    const { fromMqtt } = await setup(encoding);
    const message = await fromMqtt('payload/binary', Buffer.from([0x7b, 0xff, 0x7d]));
    expect(message.text()).toBe('{\uFFFD}');
    const error = thrown(() => message.json());
    expect(error.code).toBe(ClientErrorCodes.PAYLOAD_NOT_JSON);
    expect(error.message).toBe('the message on "payload/binary" is not JSON: its bytes are not UTF-8 text');
  });

  it('reads what the SDK published: a value, a string, and JSON sent as raw bytes', async () => {
    const { fromSdk } = await setup(encoding);
    const value = await fromSdk('payload/value', { via: 'sdk', n: [1, 2] });
    expect(value.bytes).toBeUndefined();
    expect(value.json()).toBe(value.data);
    expect(value.json()).toEqual({ via: 'sdk', n: [1, 2] });
    expect(value.text()).toBe('{"via":"sdk","n":[1,2]}');

    const text = await fromSdk('payload/string', 'hello');
    expect(text.json()).toBe('hello');
    expect(text.text()).toBe('hello');

    const bytes = await fromSdk('payload/bytes', new TextEncoder().encode('[true,null]'));
    expect(bytes.data).toBe(bytes.bytes);
    expect(bytes.json()).toEqual([true, null]);
    expect(bytes.text()).toBe('[true,null]');
  });
});

it('an SDK value reaches an MQTT subscriber as the JSON text text() gives', async () => {
  const { url, mqttUrl } = await fixture.broker({ mqtt: { transports: ['tcp'] } });
  const client = await fixture.client(url, { user: 'writer' });
  const inbox = new Inbox();
  await client.subscribe({ topic: 'payload/#' }, inbox.handler);
  const mqtt = await mqttClients.connect(mqttUrl!, 5, { username: 'mqtt-reader' });
  const mqttReceived = new Promise<string>((resolve) => mqtt.on('message', (_topic, payload) => resolve(`${payload}`)));
  await mqtt.subscribeAsync('payload/#', { qos: 1 });
  await client.publish('payload/both', { px: 1.5, tags: ['a'] }, { ack: true });
  const [message] = await inbox.waitForCount(1);
  expect(await mqttReceived).toBe(message!.text());
});
