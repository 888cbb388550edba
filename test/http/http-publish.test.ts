// HTTP publish end to end (docs/http.md): POST /api/publish on a real broker on 127.0.0.1 port 0,
// delivered to native SDK and MQTT subscribers, refused with the native protocol's codes.
import { Agent } from 'node:http';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client, type Message } from '../../client/index.js';
import { loadConfigFile } from '../../server/config/index.js';
import { Collector } from '../helpers/collector.js';
import { startTestBroker, type TestBroker, type TestBrokerOverrides } from '../helpers/broker.js';
import { inbox, MqttClients } from '../mqtt/mqtt-helpers.js';
import { basic, errorOf, send } from './http-client.js';

const EXAMPLES = join(import.meta.dirname, '../../config/examples');
/** config/examples/secure.yaml: alice (alice-pw) may write orders/alice/#, eve (eve-pw) may only read prices/public/#. */
const SECURE = loadConfigFile(join(EXAMPLES, 'secure.yaml')).security;
const ALICE = basic('alice', 'alice-pw');

let tb: TestBroker | null = null;
const sdkClients: Client[] = [];
const mqtt = new MqttClients();
const agents: Agent[] = [];

afterEach(async () => {
  await Promise.all(sdkClients.splice(0).map((c) => c.close()));
  await mqtt.teardown();
  for (const agent of agents.splice(0)) agent.destroy();
  await tb?.close();
  tb = null;
});

async function start(overrides: TestBrokerOverrides = {}): Promise<TestBroker> {
  tb = await startTestBroker({ http: {}, ...overrides });
  return tb;
}

async function secureBroker(overrides: TestBrokerOverrides = {}): Promise<TestBroker> {
  return start({ security: SECURE, baseDir: EXAMPLES, mqtt: { transports: ['tcp'] }, ...overrides });
}

async function sdk(user: string, password: string): Promise<Client> {
  const client = await connect(tb!.url, { user, password, reconnect: false });
  sdkClients.push(client);
  return client;
}

async function sdkInbox(client: Client, topic: string): Promise<Collector<Message>> {
  const got = new Collector<Message>();
  await client.subscribe({ topic }, got.push);
  return got;
}

function keepAlive(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return agent;
}

describe('HTTP publish delivers', () => {
  it('a JSON `data` to native subscribers as the value and to MQTT subscribers as its JSON text', async () => {
    const b = await secureBroker();
    const native = await sdkInbox(await sdk('alice', 'alice-pw'), 'orders/alice/#');
    const subscriber = await mqtt.connect(b.mqttUrl!, 5, { username: 'alice', password: 'alice-pw' });
    const mqttGot = inbox(subscriber);
    await subscriber.subscribeAsync('orders/alice/#');

    const data = { sym: 'EURUSD', px: 1.0825, tags: ['fx', 'é'], nested: { ok: true, none: null } };
    const answer = await send(b.httpUrl!, { topic: 'orders/alice/1', data }, { authorization: ALICE });
    expect(answer.status).toBe(204);
    expect(answer.json).toBeUndefined();

    await native.count(1);
    expect(native.items[0]).toMatchObject({ topic: 'orders/alice/1', data });
    await mqttGot.count(1);
    expect(mqttGot.items[0]!.text).toBe(JSON.stringify(data));
    const stats = b.broker.stats();
    expect(stats.messagesPublished).toBe(1);
    expect(stats.httpRequests).toBe(1);
    expect(stats.httpRequestsRefused).toBe(0);
    expect(stats.deliveries).toBe(2);
  });

  it('`bytes` (base64) as raw bytes to both protocols', async () => {
    const b = await secureBroker();
    const native = await sdkInbox(await sdk('alice', 'alice-pw'), 'orders/alice/raw');
    const subscriber: MqttClient = await mqtt.connect(b.mqttUrl!, 4, { username: 'alice', password: 'alice-pw' });
    const raw = new Collector<Buffer>();
    subscriber.on('message', (_topic, payload) => raw.push(payload));
    await subscriber.subscribeAsync('orders/alice/raw');

    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80]);
    const answer = await send(
      b.httpUrl!,
      { topic: 'orders/alice/raw', bytes: bytes.toString('base64') },
      { authorization: ALICE },
    );
    expect(answer.status).toBe(204);
    await native.count(1);
    expect(Buffer.from(native.items[0]!.bytes!)).toEqual(bytes);
    await raw.count(1);
    expect(raw.items[0]).toEqual(bytes);
  });

  it('`retain: true` as the topic’s MQTT retained message; an empty `bytes` clears it', async () => {
    const b = await start({ mqtt: { transports: ['tcp'] } });
    const answer = await send(
      b.httpUrl!,
      { topic: 'status/db', data: { up: true }, retain: true },
      {
        authorization: basic('svc', 'x'),
      },
    );
    expect(answer.status).toBe(204);
    const late = await mqtt.connect(b.mqttUrl!, 5);
    const got = inbox(late);
    await late.subscribeAsync('status/#');
    await got.count(1);
    expect(got.items[0]).toMatchObject({ topic: 'status/db', text: '{"up":true}', retain: true });

    const cleared = await send(
      b.httpUrl!,
      { topic: 'status/db', bytes: '', retain: true },
      {
        authorization: basic('svc', 'x'),
      },
    );
    expect(cleared.status).toBe(204);
    const later = await mqtt.connect(b.mqttUrl!, 5);
    const none = inbox(later);
    await later.subscribeAsync('status/#');
    await late.publishAsync('status/ping', 'x');
    await none.count(1);
    expect(none.items.map((m) => m.topic)).toEqual(['status/ping']);
  });
});

describe('HTTP publish authenticates', () => {
  it('refuses bad credentials with 401 LOGON_FAILED, counted, and closes the connection', async () => {
    const b = await secureBroker();
    const answer = await send(
      b.httpUrl!,
      { topic: 'orders/alice/1', data: 1 },
      { authorization: basic('alice', 'no') },
    );
    expect(answer.status).toBe(401);
    expect(errorOf(answer)).toEqual({ code: 'LOGON_FAILED', message: 'logon refused' });
    expect(answer.headers['www-authenticate']).toContain('Basic realm="warden", charset="UTF-8"');
    expect(answer.headers.connection).toBe('close');
    expect(b.broker.stats().logonFailures).toBe(1);
    expect(b.broker.stats().messagesPublished).toBe(0);
  });

  it.each([
    ['no Authorization header', undefined, 'NOT_LOGGED_ON', /^missing Authorization header/],
    ['an unsupported scheme', 'Digest abc', 'LOGON_FAILED', /^unsupported Authorization scheme/],
    ['Basic that is not base64', 'Basic !!!', 'LOGON_FAILED', /^malformed Basic credentials: not base64$/],
  ])('refuses %s with 401', async (_what, authorization, code, message) => {
    const b = await secureBroker();
    const answer = await send(b.httpUrl!, { topic: 'orders/alice/1', data: 1 }, { authorization });
    expect(answer.status).toBe(401);
    expect(errorOf(answer).code).toBe(code);
    expect(errorOf(answer).message).toMatch(message);
  });

  it('logs a keep-alive connection on once, and again when its credentials change', async () => {
    const b = await secureBroker();
    const agent = keepAlive();
    for (let i = 0; i < 3; i++)
      expect(
        (await send(b.httpUrl!, { topic: 'orders/alice/k', data: i }, { authorization: ALICE, agent })).status,
      ).toBe(204);
    expect(b.broker.stats().logons).toBe(1);
    const bob = await send(
      b.httpUrl!,
      { topic: 'orders/bob/k', data: 0 },
      { authorization: basic('bob', 'bob-pw'), agent },
    );
    expect(bob.status).toBe(204);
    // Bob's logon replaced Alice's on the same connection: Alice's topic is not Bob's.
    const denied = await send(
      b.httpUrl!,
      { topic: 'orders/alice/k', data: 0 },
      { authorization: basic('bob', 'bob-pw'), agent },
    );
    expect(errorOf(denied).code).toBe('NOT_ENTITLED');
    expect(b.broker.stats().logons).toBe(2);
    expect(b.broker.admission.counts().connections).toBe(1);
  });

  it('takes a Bearer token through the jwt module', async () => {
    const secret = 'http-publish-test-secret-that-is-long-enough-0123';
    const b = await start({ security: { authentication: { module: 'jwt', options: { secret } } } });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('svc-orders')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(secret));
    expect((await send(b.httpUrl!, { topic: 'a/b', data: 1 }, { authorization: `Bearer ${token}` })).status).toBe(204);
    const bad = await send(b.httpUrl!, { topic: 'a/b', data: 1 }, { authorization: `Bearer ${token}x` });
    expect(bad.status).toBe(401);
    expect(errorOf(bad).code).toBe('LOGON_FAILED');
  });

  it('logs on implicitly without a header where the module allows it', async () => {
    const b = await start({ security: { authentication: { module: 'implicit' } } });
    expect((await send(b.httpUrl!, { topic: 'a/b', data: 1 })).status).toBe(204);
  });

  it('uses the listener’s own authentication module', async () => {
    const b = await start({ http: { listenerSecurity: { authentication: { module: 'deny-all' } } } });
    const answer = await send(b.httpUrl!, { topic: 'a/b', data: 1 }, { authorization: basic('svc', 'x') });
    expect(errorOf(answer).code).toBe('LOGON_FAILED');
  });

  it('applies admission: a user not allowed gets 403 USER_NOT_ALLOWED', async () => {
    const b = await start({ admission: { allowedUsers: ['svc'] } });
    expect((await send(b.httpUrl!, { topic: 'a/b', data: 1 }, { authorization: basic('svc', 'x') })).status).toBe(204);
    const other = await send(b.httpUrl!, { topic: 'a/b', data: 1 }, { authorization: basic('mallory', 'x') });
    expect(other.status).toBe(403);
    expect(errorOf(other)).toEqual({ code: 'USER_NOT_ALLOWED', message: 'this user may not connect to this broker' });
  });
});

describe('HTTP publish entitles', () => {
  it('refuses a topic the user may not write with 403 NOT_ENTITLED, counted', async () => {
    const b = await secureBroker();
    const agent = keepAlive();
    const answer = await send(
      b.httpUrl!,
      { topic: 'prices/public/x', data: 1 },
      { authorization: basic('eve', 'eve-pw'), agent },
    );
    expect(answer.status).toBe(403);
    expect(errorOf(answer)).toEqual({ code: 'NOT_ENTITLED', message: 'not entitled to publish to "prices/public/x"' });
    // A refused publish leaves the connection up (a refused logon closes it).
    expect(answer.headers.connection).toBe('keep-alive');
    expect(b.broker.stats().publishesDenied).toBe(1);
    expect(b.broker.stats().httpRequestsRefused).toBe(1);
  });

  it('refuses content the write filter does not match with 403 CONTENT_NOT_ENTITLED', async () => {
    const policy = {
      groups: {
        traders: { users: ['svc'], grants: [{ actions: ['read', 'write'], topics: ['trades/#'], filter: 'px > 0' }] },
      },
    };
    const b = await start({ security: { entitlement: { module: 'policy', options: { policy } } } });
    const auth = { authorization: basic('svc', 'x') };
    expect((await send(b.httpUrl!, { topic: 'trades/1', data: { px: 5 } }, auth)).status).toBe(204);
    const refused = await send(b.httpUrl!, { topic: 'trades/1', data: { px: -1 } }, auth);
    expect(refused.status).toBe(403);
    expect(errorOf(refused)).toEqual({
      code: 'CONTENT_NOT_ENTITLED',
      message: 'not entitled to publish this content to "trades/1": the message does not match your write filter',
    });
    const notObject = await send(b.httpUrl!, { topic: 'trades/1', data: [1] }, auth);
    expect(errorOf(notObject).code).toBe('CONTENT_NOT_ENTITLED');
    expect(b.broker.stats().publishesFiltered).toBe(2);
    expect(b.broker.stats().messagesPublished).toBe(1);
  });

  it('writes the logon and the denial to the audit log, as protocol http', async () => {
    const { LogSink } = await import('../tls/tls-fixture.js');
    const { startBroker } = await import('../../server/index.js');
    const sink = new LogSink('info');
    const broker = await startBroker(
      {
        persistence: 'none',
        sys: { enabled: false },
        admin: { enabled: false },
        security: SECURE,
        listeners: [{ name: 'http', protocol: 'http', host: '127.0.0.1', port: 0 }],
      },
      { logger: sink.logger, baseDir: EXAMPLES },
    );
    try {
      const url = broker.listeners[0]!.url;
      await send(url, { topic: 'prices/x', data: 1 }, { authorization: basic('eve', 'eve-pw') });
      const audit = sink.entries.items.filter((e) => e.audit === true);
      expect(audit.map((e) => [e.event, e.protocol, e.user])).toEqual([
        ['logon', 'http', 'eve'],
        ['denial', 'http', 'eve'],
      ]);
      expect(audit[1]).toMatchObject({ action: 'write', resource: 'prices/x', reason: 'not-entitled' });
    } finally {
      await broker.close();
    }
  });
});

describe('HTTP publish refuses malformed requests', () => {
  const auth = { authorization: basic('svc', 'x') };

  it.each([
    ['malformed JSON', '{"topic": "a/b", "data": ', 'BAD_FRAME', /^invalid JSON: Unexpected end of JSON input$/],
    ['an empty body', '', 'BAD_FRAME', /^the request body is empty/],
    ['a JSON array', '[1]', 'BAD_FRAME', /^the request body must be a JSON object/],
    ['no topic', '{"data": 1}', 'INVALID_FIELD', /^"topic" must be a string$/],
    [
      'both data and bytes',
      '{"topic": "a", "data": 1, "bytes": "AA=="}',
      'INVALID_FIELD',
      /^exactly one of "data" or "bytes"/,
    ],
    ['neither data nor bytes', '{"topic": "a"}', 'INVALID_FIELD', /^exactly one of "data" or "bytes"/],
    ['bytes that are not base64', '{"topic": "a", "bytes": "%%%"}', 'INVALID_FIELD', /^"bytes" must be base64 text$/],
    [
      'a retain that is not a boolean',
      '{"topic": "a", "data": 1, "retain": 1}',
      'INVALID_FIELD',
      /^"retain" must be a boolean$/,
    ],
    ['an unknown field', '{"topic": "a", "data": 1, "retian": true}', 'INVALID_FIELD', /^unknown field "retian"/],
    [
      'a wildcard topic',
      '{"topic": "a/+", "data": 1}',
      'INVALID_TOPIC',
      /^'\+' is not allowed in a publish topic: "a\/\+"$/,
    ],
    ['an empty topic', '{"topic": "", "data": 1}', 'INVALID_TOPIC', /./],
    [
      'JSON nested too deep',
      `{"topic": "a", "data": ${'['.repeat(70)}${']'.repeat(70)}}`,
      'BAD_FRAME',
      /nesting deeper than 64 levels/,
    ],
  ])('%s: 400 with a specific message', async (_what, body, code, message) => {
    const b = await start();
    const answer = await send(b.httpUrl!, body, auth);
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe(code);
    expect(errorOf(answer).message).toMatch(message);
    expect(b.broker.stats().messagesPublished).toBe(0);
  });

  it('answers a wrong method 405 with Allow, a wrong path 404, a body that is not JSON 415', async () => {
    const b = await start();
    const get = await send(b.httpUrl!, undefined, { ...auth, method: 'GET', contentType: null });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(errorOf(get)).toEqual({ code: 'UNKNOWN_COMMAND', message: '/api/publish takes POST, not GET' });
    const other = await send(b.httpUrl!.replace('/api/publish', '/api/other'), { topic: 'a', data: 1 }, auth);
    expect(other.status).toBe(404);
    expect(errorOf(other)).toEqual({
      code: 'UNKNOWN_COMMAND',
      message: 'no endpoint at /api/other; this listener serves POST /api/publish',
    });
    const form = await send(b.httpUrl!, 'topic=a', { ...auth, contentType: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(errorOf(form).code).toBe('BAD_FRAME');
    const latin1 = await send(
      b.httpUrl!,
      { topic: 'a', data: 1 },
      { ...auth, contentType: 'application/json; charset=latin1' },
    );
    expect(latin1.status).toBe(415);
    const utf8 = await send(
      b.httpUrl!,
      { topic: 'a', data: 1 },
      { ...auth, contentType: 'application/json; charset=UTF-8' },
    );
    expect(utf8.status).toBe(204);
  });
});

describe('HTTP publish limits', () => {
  const auth = { authorization: basic('svc', 'x') };
  const options = { maxMessageBytes: 1024, maxBufferedBytes: 64 * 1024 + 3 * 1024 };

  it('refuses a body over 3 x maxMessageBytes + 64 KiB with 413 FRAME_TOO_LARGE before reading it', async () => {
    const b = await start({ http: { options } });
    const big = JSON.stringify({ topic: 'a', data: 'x'.repeat(70 * 1024) });
    const declared = await send(b.httpUrl!, big, auth);
    expect(declared.status).toBe(413);
    expect(errorOf(declared)).toEqual({
      code: 'FRAME_TOO_LARGE',
      message: 'the request body is larger than 68608 bytes',
    });
    expect(declared.headers.connection).toBe('close');
    const chunked = await send(b.httpUrl!, big, { ...auth, chunked: true });
    expect(chunked.status).toBe(413);
    expect(b.broker.stats().httpBufferedBytes).toBe(0);
  });

  it('refuses a payload over maxMessageBytes with 413 MESSAGE_TOO_LARGE, counting the JSON text of data', async () => {
    const b = await start({ http: { options } });
    expect((await send(b.httpUrl!, { topic: 'a', data: 'x'.repeat(1000) }, auth)).status).toBe(204);
    const over = await send(b.httpUrl!, { topic: 'a', data: 'x'.repeat(1023) }, auth);
    expect(over.status).toBe(413);
    expect(errorOf(over)).toEqual({
      code: 'MESSAGE_TOO_LARGE',
      message: 'the message is 1025 bytes; this listener takes at most 1024',
    });
    const bytes = await send(b.httpUrl!, { topic: 'a', bytes: Buffer.alloc(1025).toString('base64') }, auth);
    expect(errorOf(bytes).code).toBe('MESSAGE_TOO_LARGE');
    expect(b.broker.stats().publishesTooLarge).toBe(2);
  });

  it("applies the user's resource-limit group: maxMessageBytes and the distinct-topic rate (429)", async () => {
    // Groups are in `limits`, which the test broker does not take: a broker of its own.
    const { startBroker } = await import('../../server/index.js');
    const broker = await startBroker({
      log: { level: 'silent' },
      persistence: 'none',
      sys: { enabled: false },
      admin: { enabled: false },
      limits: { small: { users: ['svc'], maxMessageBytes: 16, maxPublishTopicsPerSecond: 1 } },
      listeners: [{ name: 'http', protocol: 'http', host: '127.0.0.1', port: 0 }],
    });
    try {
      const url = broker.listeners[0]!.url;
      const agent = keepAlive();
      const large = await send(url, { topic: 'a', data: 'x'.repeat(20) }, { ...auth, agent });
      expect(large.status).toBe(413);
      expect(errorOf(large).code).toBe('MESSAGE_TOO_LARGE');
      expect((await send(url, { topic: 'a', data: 1 }, { ...auth, agent })).status).toBe(204);
      const second = await send(url, { topic: 'b', data: 1 }, { ...auth, agent });
      expect(second.status).toBe(429);
      expect(errorOf(second).code).toBe('TOO_MANY_PUBLISH_TOPICS');
      expect(second.headers['retry-after']).toBe('1');
    } finally {
      await broker.close();
    }
  });
});
