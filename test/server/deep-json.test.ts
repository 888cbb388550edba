// Deeply nested JSON on the delivery path: an MQTT will of ~40 KB of
// `{"a":[[[[…]]]]}` reaching a subscriber with a select list, sent when the socket closes, from the
// keepalive timer and from the v5 Will Delay timer; and a native JSON publish of the same while the
// entitlement module answers asynchronously. Each once killed the process (RangeError from
// JSON.stringify in a 'close' handler, a timer, or an unhandled rejection). Now a JSON payload
// deeper than 64 levels is not filterable (fail closed, counted), a native JSON frame that deep is
// refused with BAD_FRAME, and the broker keeps delivering to everyone else.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, WardenError, type Client, type Encoding } from '../../client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';
import { moduleDir } from '../helpers/module-files.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { RawClient } from '../helpers/raw-client.js';
import { RawMqttClients, inbox, MqttClients } from '../mqtt/mqtt-helpers.js';

/** `{"a":[[[…]]]}` about 40 KB long: 20,000 levels. */
const DEEP = `{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;

const modules = moduleDir();
afterAll(() => modules.remove());

// Answers every check asynchronously; user "sel" reads with an entitlement select list.
const asyncModule = modules.write(
  'async-select.mjs',
  `export default function () {
    return {
      name: 'async-select',
      check(request) {
        const answer = request.user === 'sel' && request.action === 'read' ? { allow: true, select: '-/,+/a' } : { allow: true };
        return new Promise((resolve) => setImmediate(() => resolve(answer)));
      },
    };
  }`,
);

/** Errors that escaped every handler in this process while a test ran: the broker would have died. */
const escaped: unknown[] = [];
const record = (err: unknown): void => {
  escaped.push(err);
};
beforeEach(() => {
  escaped.length = 0;
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
});

let tb: TestBroker | null = null;
const natives: Client[] = [];
const raws: RawClient[] = [];
const mqttRaws = new RawMqttClients();
const mqttClients = new MqttClients();
afterEach(async () => {
  process.off('uncaughtException', record);
  process.off('unhandledRejection', record);
  mqttRaws.teardown();
  await mqttClients.teardown();
  await Promise.all(natives.splice(0).map((c) => c.close()));
  await Promise.all(raws.splice(0).map((c) => c.close().catch(() => {})));
  await tb?.close();
  tb = null;
});

async function native(user: string, encoding: Encoding = 'json'): Promise<Client> {
  const c = await connect(tb!.url, { user, password: 'pw', encoding, reconnect: false });
  natives.push(c);
  return c;
}

/**
 * Subscribers on `deep/t`: with a subscriber select list (JSON and msgpack), one whose entitlement
 * carries a select list (user "sel", when the async module is on), and a plain control; returns
 * what each got. A will or publish on `deep/t` must reach only the plain one.
 */
async function subscribers(entitled: boolean): Promise<{ selected: Collector<unknown>; plain: Collector<unknown> }> {
  const selected = new Collector<unknown>();
  const plain = new Collector<unknown>();
  for (const encoding of ['json', 'msgpack'] as const) {
    const c = await native(`sub-${encoding}`, encoding);
    await c.subscribe({ topic: 'deep/#', select: '-/,+/a' }, (m) => selected.push(m.data ?? m.bytes));
  }
  if (entitled) {
    const c = await native('sel', 'msgpack');
    await c.subscribe({ topic: 'deep/#' }, (m) => selected.push(m.data ?? m.bytes));
  }
  const control = await native('control');
  await control.subscribe({ topic: 'deep/#' }, (m) => plain.push(m.topic));
  return { selected, plain };
}

/** The broker is alive and still delivers: a marker reaches the control subscriber after the deep message. */
async function stillDelivers(plain: Collector<unknown>, selected: Collector<unknown>): Promise<void> {
  const feed = await native('feed', 'msgpack');
  await feed.publish('deep/marker', { a: 1 }, { ack: true });
  await plain.until((items) => items.includes('deep/marker'));
  // The selected subscribers got the marker (projected) and nothing of the deep message.
  await selected.until((items) => items.length >= 2);
  expect(selected.items.every((d) => JSON.stringify(d) === '{"a":1}')).toBe(true);
  expect(escaped).toEqual([]);
}

describe.each([false, true])('deep JSON payloads (async entitlement module: %s)', (entitled) => {
  const security = (): Record<string, unknown> => (entitled ? { entitlement: { module: asyncModule } } : {});

  it('an MQTT will sent when the socket closes: not filterable, counted; others still served', async () => {
    tb = await startTestBroker({ security: security(), mqtt: { transports: ['tcp'] } });
    const { selected, plain } = await subscribers(entitled);
    const dying = await mqttRaws.connect(tb.mqttUrl!, 5, {
      clientId: 'dying',
      clean: true,
      username: 'dying',
      will: { topic: 'deep/will', payload: Buffer.from(DEEP), qos: 0, retain: false },
    });
    dying.socket.destroy();
    await plain.until((items) => items.includes('deep/will'));
    await stillDelivers(plain, selected);
    expect(tb.broker.stats()).toMatchObject({ mqttWillsPublished: 1, payloadsTooDeep: 1 });
    expect(tb.broker.stats().deliveriesNotFilterable).toBe(entitled ? 3 : 2);
  });

  it('an MQTT will sent by the keepalive timer', async () => {
    tb = await startTestBroker({ security: security(), mqtt: { transports: ['tcp'] } });
    const { selected, plain } = await subscribers(entitled);
    const silent = await mqttRaws.connect(tb.mqttUrl!, 5, {
      clientId: 'silent',
      clean: true,
      username: 'silent',
      keepalive: 1,
      will: { topic: 'deep/will', payload: Buffer.from(DEEP), qos: 0, retain: false },
    });
    await silent.closed; // 1.5 s without a packet: the broker closes it and sends the will
    await plain.until((items) => items.includes('deep/will'));
    await stillDelivers(plain, selected);
    expect(tb.broker.stats().payloadsTooDeep).toBe(1);
  });

  it('an MQTT will sent by the v5 Will Delay timer', async () => {
    const timers = new ManualTimers();
    tb = await startTestBroker({ security: security(), mqtt: { transports: ['tcp'] }, timers });
    const { selected, plain } = await subscribers(entitled);
    const late = await mqttRaws.connect(tb.mqttUrl!, 5, {
      clientId: 'late',
      clean: true,
      username: 'late',
      properties: { sessionExpiryInterval: 30 },
      will: {
        topic: 'deep/will',
        payload: Buffer.from(DEEP),
        qos: 0,
        retain: false,
        properties: { willDelayInterval: 1 },
      },
    });
    late.socket.destroy();
    await late.closed;
    await timers.armed(1000);
    timers.advance(1000);
    await plain.until((items) => items.includes('deep/will'));
    await stillDelivers(plain, selected);
    expect(tb.broker.stats().payloadsTooDeep).toBe(1);
  });

  it('an MQTT publish of deep JSON: MQTT subscribers with a select list are skipped, others get the bytes', async () => {
    tb = await startTestBroker({ security: security(), mqtt: { transports: ['tcp'] } });
    const { selected, plain } = await subscribers(entitled);
    const watcher = await mqttClients.connect(tb.mqttUrl!, 5, { username: 'watcher' });
    const got = inbox(watcher);
    await watcher.subscribeAsync('deep/#', { qos: 0 });
    const publisher = await mqttClients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    await publisher.publishAsync('deep/mqtt', Buffer.from(DEEP), { qos: 1 });
    await got.until((items) => items.some((m) => m.topic === 'deep/mqtt'));
    expect(got.items.find((m) => m.topic === 'deep/mqtt')!.text).toBe(DEEP);
    await plain.until((items) => items.includes('deep/mqtt'));
    await stillDelivers(plain, selected);
    expect(tb.broker.stats().payloadsTooDeep).toBe(1);
  });

  it('a native JSON publish nesting deeper than 64 levels is refused with BAD_FRAME; the connection stays up', async () => {
    tb = await startTestBroker({ security: security() });
    const { selected, plain } = await subscribers(entitled);
    const publisher = await RawClient.logon(tb.url, 'json', 'deep-publisher');
    raws.push(publisher);
    publisher.sendRaw(`{"op":"publish","rid":7,"ack":true,"topic":"deep/native","data":${DEEP}}`, false);
    const refusal = await publisher.next((f) => f.op === 'error');
    expect(refusal).toMatchObject({
      op: 'error',
      code: 'BAD_FRAME',
      rid: 7,
      message: 'invalid JSON: nesting deeper than 64 levels',
    });
    // 64 levels of data (65 with the frame) are accepted, and delivered through the select lists.
    const ok64 = `{"a":${'['.repeat(63)}${']'.repeat(63)}}`;
    expect(
      await publisher.request({
        op: 'publish',
        rid: 8,
        ack: true,
        topic: 'deep/ok',
        data: JSON.parse(ok64) as unknown,
      }),
    ).toMatchObject({ op: 'ack', rid: 8 });
    await plain.until((items) => items.includes('deep/ok'));
    await selected.until((items) => items.length >= (entitled ? 3 : 2));
    expect(plain.items).not.toContain('deep/native');
    selected.items.length = 0;
    await stillDelivers(plain, selected);
  });
});

it('the SDK reports BAD_FRAME for a JSON publish too deep for the broker', async () => {
  tb = await startTestBroker();
  const c = await native('sdk');
  let value: unknown = 1;
  for (let i = 0; i < 70; i++) value = [value];
  const err = await c.publish('deep/sdk', { a: value }, { ack: true }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WardenError);
  expect((err as WardenError).code).toBe('BAD_FRAME');
});
