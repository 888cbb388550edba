// The native protocol over real sockets, on both subprotocols, with bare `ws` clients.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Packr } from 'msgpackr';
import { CloseCodes, type Encoding } from '../../protocol/native.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const packr = new Packr({ useRecords: false });
const encodings: Encoding[] = ['msgpack', 'json'];

describe.each(encodings)('native protocol over %s', (encoding) => {
  let tb: TestBroker;
  const clients: RawClient[] = [];
  const open = async (user = 'tester'): Promise<RawClient> => {
    const c = await RawClient.logon(tb.url, encoding, user);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    tb = await startTestBroker({ listener: { maxFrameBytes: 4096, maxProtocolErrors: 5 } });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await tb.close();
  });

  it('acks a logon with the identity and a session id', async () => {
    const c = await RawClient.open(tb.url, encoding);
    clients.push(c);
    const ack = await c.request({ op: 'logon', rid: 7, user: 'alice', password: 'pw' });
    expect(ack).toMatchObject({ op: 'ack', rid: 7, user: 'alice' });
    expect(typeof ack.session).toBe('string');
    const second = await c.request({ op: 'logon', rid: 8, user: 'alice' });
    expect(second).toMatchObject({ op: 'error', rid: 8, code: 'ALREADY_LOGGED_ON', cmd: 'logon' });
  });

  it('refuses commands before logon with NOT_LOGGED_ON', async () => {
    const c = await RawClient.open(tb.url, encoding);
    clients.push(c);
    expect(await c.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'a' })).toMatchObject({
      op: 'error',
      rid: 1,
      code: 'NOT_LOGGED_ON',
    });
    expect(await c.request({ op: 'publish', rid: 2, topic: 'a', data: 1, ack: true })).toMatchObject({
      code: 'NOT_LOGGED_ON',
    });
  });

  it.each([
    ['exact topic', { topic: 'orders/na' }, ['orders/na'], ['orders/eu', 'orders/na/x']],
    ['+ wildcard', { topic: 'orders/+' }, ['orders/na', 'orders/eu'], ['orders', 'orders/na/x']],
    ['# wildcard', { topic: 'orders/#' }, ['orders', 'orders/na/x'], ['ordersx', 'trades/na']],
    ['regex', { regex: '^orders/(na|eu)$' }, ['orders/na', 'orders/eu'], ['orders/ap', 'xorders/na']],
  ])('routes a %s subscription', async (_name, spec, hits, misses) => {
    const sub = await open('sub');
    const pub = await open('pub');
    expect(await sub.request({ op: 'subscribe', rid: 1, sid: 42, ...spec })).toMatchObject({ op: 'ack', rid: 1 });
    for (const t of [...misses, ...hits]) pub.send({ op: 'publish', topic: t, data: { t } });
    const got = await sub.messages(hits.length);
    expect(got.map((m) => m.topic)).toEqual(hits);
    for (const m of got) expect(m).toMatchObject({ op: 'msg', sids: [42], data: { t: m.topic } });
    // Nothing else arrives: a final marker on a topic only it matches comes next.
    expect(await sub.request({ op: 'subscribe', rid: 2, sid: 43, topic: 'marker' })).toMatchObject({ op: 'ack' });
    pub.send({ op: 'publish', topic: 'marker', data: 'm' });
    expect(await sub.next((f) => f.op === 'msg')).toMatchObject({ topic: 'marker', sids: [43] });
  });

  it('sends one frame per message listing every matching subscription of the connection', async () => {
    const sub = await open();
    await sub.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'a/b' });
    await sub.request({ op: 'subscribe', rid: 2, sid: 2, topic: 'a/+' });
    await sub.request({ op: 'subscribe', rid: 3, sid: 3, regex: 'b$' });
    await sub.request({ op: 'subscribe', rid: 4, sid: 4, topic: 'other' });
    const pub = await open();
    await pub.request({ op: 'publish', rid: 1, topic: 'a/b', data: [1, 'two'], ack: true });
    const m = await sub.next((f) => f.op === 'msg');
    expect((m.sids as number[]).sort()).toEqual([1, 2, 3]);
    expect(m.data).toEqual([1, 'two']);
  });

  it('preserves per-publisher order to each subscriber', async () => {
    const subs = [await open(), await open()];
    for (const s of subs) await s.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'seq/#' });
    const pub = await open();
    const n = 2000;
    for (let i = 0; i < n; i++) pub.send({ op: 'publish', topic: `seq/${i % 7}`, data: i });
    for (const s of subs) {
      const got = await s.messages(n);
      expect(got.map((m) => m.data)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  it('stops delivering after unsubscribe and refuses an unknown subscription id', async () => {
    const sub = await open();
    await sub.request({ op: 'subscribe', rid: 1, sid: 1, topic: 't' });
    await sub.request({ op: 'subscribe', rid: 2, sid: 2, topic: 'marker' });
    expect(await sub.request({ op: 'unsubscribe', rid: 3, sid: 1 })).toMatchObject({ op: 'ack', rid: 3 });
    expect(await sub.request({ op: 'unsubscribe', rid: 4, sid: 1 })).toMatchObject({
      op: 'error',
      code: 'UNKNOWN_SUBSCRIPTION',
    });
    const pub = await open();
    pub.send({ op: 'publish', topic: 't', data: 'dropped' });
    pub.send({ op: 'publish', topic: 'marker', data: 'marker' });
    const m = await sub.next((f) => f.op === 'msg');
    expect(m).toMatchObject({ topic: 'marker', sids: [2] });
    expect(sub.frames.filter((f) => f.op === 'msg')).toEqual([]);
  });

  it('acknowledges a publish only when asked, and answers ping', async () => {
    const c = await open();
    expect(await c.request({ op: 'publish', rid: 5, topic: 'x', data: 1, ack: true })).toEqual({ op: 'ack', rid: 5 });
    expect(await c.request({ op: 'ping', rid: 6 })).toEqual({ op: 'ack', rid: 6 });
    c.send({ op: 'publish', rid: 7, topic: 'x', data: 1 });
    expect(await c.request({ op: 'ping', rid: 8 })).toEqual({ op: 'ack', rid: 8 });
    expect(c.frames.find((f) => f.rid === 7)).toBeUndefined();
  });

  it('carries raw bytes and JSON values to subscribers of either encoding', async () => {
    const other: Encoding = encoding === 'json' ? 'msgpack' : 'json';
    const mine = await open();
    const theirs = await RawClient.logon(tb.url, other);
    clients.push(theirs);
    for (const c of [mine, theirs]) await c.request({ op: 'subscribe', rid: 1, sid: 9, topic: 'p/#' });
    const pub = await open();
    const bytes = encoding === 'json' ? Buffer.from([0, 1, 2, 255]).toString('base64') : Buffer.from([0, 1, 2, 255]);
    await pub.request({ op: 'publish', rid: 1, topic: 'p/bytes', bytes, ack: true });
    await pub.request({
      op: 'publish',
      rid: 2,
      topic: 'p/json',
      data: { a: [1, 2.5, 'x', null, true], b: { c: 'ü' } },
      ack: true,
    });
    for (const c of [mine, theirs]) {
      const [b, j] = await c.messages(2);
      const got =
        c.encoding === 'json' ? Buffer.from(b!.bytes as string, 'base64') : Buffer.from(b!.bytes as Uint8Array);
      expect([...got]).toEqual([0, 1, 2, 255]);
      expect(b!.data).toBeUndefined();
      expect(j!.data).toEqual({ a: [1, 2.5, 'x', null, true], b: { c: 'ü' } });
    }
  });

  describe('bad input', () => {
    it('answers a malformed frame with BAD_FRAME and keeps the connection', async () => {
      const c = await open();
      if (encoding === 'json') c.sendRaw('{"op":"publish",', false);
      else c.sendRaw(Buffer.from([0x85, 0xa2]), true);
      expect(await c.next((f) => f.op === 'error')).toMatchObject({ code: 'BAD_FRAME' });
      // wrong frame type for the subprotocol
      c.sendRaw(encoding === 'json' ? Buffer.from('{}') : '{}', encoding === 'json');
      expect(await c.next((f) => f.op === 'error')).toMatchObject({ code: 'BAD_FRAME' });
      c.send([1, 2, 3]);
      expect(await c.next((f) => f.op === 'error')).toMatchObject({
        code: 'BAD_FRAME',
        message: 'a frame must be an object (map)',
      });
      expect(await c.request({ op: 'ping', rid: 1 })).toMatchObject({ op: 'ack' });
    });

    it('answers an unknown command with UNKNOWN_COMMAND and the rid', async () => {
      const c = await open();
      expect(await c.request({ op: 'fly', rid: 3 })).toMatchObject({ op: 'error', rid: 3, code: 'UNKNOWN_COMMAND' });
    });

    it.each([
      [{ op: 'subscribe', rid: 1, sid: -1, topic: 'a' }, 'INVALID_FIELD', /"sid" must be an integer/],
      [{ op: 'subscribe', rid: 1, sid: 1 }, 'INVALID_TOPIC', /exactly one of topic or regex/],
      [{ op: 'subscribe', rid: 1, sid: 1, topic: 'a', regex: 'a' }, 'INVALID_TOPIC', /exactly one of topic or regex/],
      [{ op: 'subscribe', rid: 1, sid: 1, topic: 'a/b+' }, 'INVALID_TOPIC', /\+/],
      [{ op: 'subscribe', rid: 1, sid: 1, topic: 'a/#/b' }, 'INVALID_TOPIC', /#/],
      [{ op: 'subscribe', rid: 1, sid: 1, regex: '(a' }, 'INVALID_REGEX', /regex/],
      [{ op: 'subscribe', rid: 1, sid: 1, regex: '(a)\\1' }, 'INVALID_REGEX', /regex/],
      [{ op: 'subscribe', rid: 1, sid: 1, topic: 'a', filter: '$sum(px) > 1' }, 'INVALID_FILTER', /\$sum/],
      [{ op: 'subscribe', rid: 1, sid: 1, topic: 'a', filter: 'px >' }, 'INVALID_FILTER', /./],
      [{ op: 'subscribe', rid: 1, sid: 1, topic: 'a', select: 'px' }, 'INVALID_SELECT', /"\+\/" or "-\/"/],
      [{ op: 'subscribe', rid: 1, sid: 1, topic: 'x'.repeat(2000) }, 'TOPIC_TOO_LONG', /limit/],
      [{ op: 'publish', rid: 1, ack: true, topic: 'a/+', data: 1 }, 'INVALID_TOPIC', /\+/],
      [{ op: 'publish', rid: 1, ack: true, topic: '', data: 1 }, 'INVALID_TOPIC', /./],
      [{ op: 'publish', rid: 1, ack: true, topic: 'a' }, 'INVALID_FIELD', /exactly one of "data" or "bytes"/],
      [{ op: 'publish', rid: 1, ack: true, topic: 7, data: 1 }, 'INVALID_FIELD', /"topic" must be a string/],
      [{ op: 'publish', rid: 1, ack: 'yes', topic: 'a', data: 1 }, 'INVALID_FIELD', /"ack" must be a boolean/],
      [{ op: 'unsubscribe', rid: 1, sid: 'x' }, 'INVALID_FIELD', /"sid"/],
    ])('refuses %j with %s', async (frame, code, message) => {
      const c = await open();
      const reply = await c.request(frame as { rid: number });
      expect(reply).toMatchObject({ op: 'error', rid: 1, code });
      expect(reply.message).toMatch(message);
    });

    it('refuses a duplicate subscription id', async () => {
      const c = await open();
      await c.request({ op: 'subscribe', rid: 1, sid: 5, topic: 'a' });
      expect(await c.request({ op: 'subscribe', rid: 2, sid: 5, topic: 'b' })).toMatchObject({
        code: 'DUPLICATE_SUBSCRIPTION',
      });
    });

    it('answers an oversized frame with FRAME_TOO_LARGE, and closes with 1009 past the hard limit', async () => {
      const c = await open();
      expect(await c.request({ op: 'publish', rid: 1, topic: 'big', data: 'x'.repeat(5000), ack: true })).toMatchObject(
        {
          code: 'FRAME_TOO_LARGE',
          message: expect.stringMatching(/limit is 4096/),
        },
      );
      c.send({ op: 'publish', topic: 'big', data: 'x'.repeat(4096 * 4 + 10) });
      expect((await c.closed).code).toBe(CloseCodes.MESSAGE_TOO_BIG);
    });

    it('closes the connection with 1008 after repeated protocol errors', async () => {
      const c = await open();
      for (let i = 0; i < 5; i++) c.send({ op: 'nonsense', rid: i });
      const closed = await c.closed;
      expect(closed.code).toBe(CloseCodes.POLICY_VIOLATION);
      expect(closed.reason).toMatch(/too many protocol errors/);
      expect(c.frames.filter((f) => f.code === 'UNKNOWN_COMMAND')).toHaveLength(5);
      expect(tb.broker.stats().abusiveDisconnects).toBe(1);
    });

    it('completes a ReDoS-shaped regex against a long topic promptly', async () => {
      const c = await open();
      await c.request({ op: 'subscribe', rid: 1, sid: 1, regex: '^(a+)+$' });
      await c.request({ op: 'subscribe', rid: 2, sid: 2, regex: '(a|a)*b$' });
      const started = performance.now();
      expect(
        await c.request({ op: 'publish', rid: 3, topic: `${'a'.repeat(1000)}c`, data: 1, ack: true }),
      ).toMatchObject({ op: 'ack' });
      // Backtracking would take longer than the age of the universe; linear time takes microseconds.
      // A generous bound: a loaded machine must not fail it.
      expect(performance.now() - started).toBeLessThan(10_000);
    });
  });
});

describe('native handshake and connection limits', () => {
  let tb: TestBroker;
  afterEach(async () => tb.close());

  const handshakeStatus = (url: string, protocols: string[]): Promise<number> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('handshake unexpectedly succeeded')));
      ws.on('error', () => {});
    });

  it('refuses a handshake without a Warden subprotocol (400) or on another path (404)', async () => {
    tb = await startTestBroker();
    expect(await handshakeStatus(tb.url, [])).toBe(400);
    expect(await handshakeStatus(tb.url, ['mqtt'])).toBe(400);
    expect(await handshakeStatus(`${tb.url}elsewhere`, ['warden.v1.json'])).toBe(404);
  });

  it('picks the first Warden subprotocol the client offers', async () => {
    tb = await startTestBroker();
    const ws = new WebSocket(tb.url, ['x-other', 'warden.v1.json', 'warden.v1.msgpack']);
    await new Promise((resolve) => ws.once('open', resolve));
    expect(ws.protocol).toBe('warden.v1.json');
    ws.close();
  });

  it('closes a connection that does not log on in time with 4002', async () => {
    tb = await startTestBroker({ listener: { logonTimeoutMs: 200 } });
    const c = await RawClient.open(tb.url, 'json');
    const closed = await c.closed;
    expect(closed).toEqual({ code: CloseCodes.LOGON_TIMEOUT, reason: 'no logon within 200 ms' });
  });

  it('refuses subscriptions past maxSubscriptionsPerConnection', async () => {
    tb = await startTestBroker({ listener: { maxSubscriptionsPerConnection: 2 } });
    const c = await RawClient.logon(tb.url, 'msgpack');
    await c.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'a' });
    await c.request({ op: 'subscribe', rid: 2, sid: 2, topic: 'b' });
    expect(await c.request({ op: 'subscribe', rid: 3, sid: 3, topic: 'c' })).toMatchObject({
      code: 'TOO_MANY_SUBSCRIPTIONS',
    });
    await c.request({ op: 'unsubscribe', rid: 4, sid: 1 });
    expect(await c.request({ op: 'subscribe', rid: 5, sid: 3, topic: 'c' })).toMatchObject({ op: 'ack' });
    await c.close();
  });

  it('sends 1001 close frames to clients on shutdown', async () => {
    tb = await startTestBroker();
    const c = await RawClient.logon(tb.url, 'msgpack');
    await tb.close();
    expect((await c.closed).code).toBe(CloseCodes.GOING_AWAY);
  });

  it('decodes a msgpack map with a __proto__ key without touching prototypes', async () => {
    tb = await startTestBroker();
    const c = await RawClient.logon(tb.url, 'msgpack');
    const key = Buffer.from('__proto__');
    // {"op":"ping","rid":1,"__proto__":{"polluted":1}}
    const frame = Buffer.concat([
      Buffer.from([0x83]),
      packr.pack('op'),
      packr.pack('ping'),
      packr.pack('rid'),
      packr.pack(1),
      Buffer.from([0xa0 | key.length]),
      key,
      packr.pack({ polluted: 1 }),
    ]);
    c.sendRaw(frame, true);
    expect(await c.next()).toMatchObject({ op: 'ack', rid: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await c.close();
  });
});
