// HTTP publish connections (docs/http.md, "Limits" and "Connections"): raw sockets against a real
// broker on 127.0.0.1 port 0 for what an HTTP client library would not let a test do: pipelining,
// trickled or abandoned bodies, malformed requests, idle sockets; and what the broker does to a
// connection (entitlement reset, the admin view, shutdown).
import { connect as netConnect, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker, type TestBrokerOverrides } from '../helpers/broker.js';
import { moduleDir } from '../helpers/module-files.js';
import { basic, errorOf, send } from './http-client.js';

let tb: TestBroker | null = null;
const sockets: Socket[] = [];
const modules = moduleDir();
/** An entitlement module that answers every check 20 ms later (topics under slow/: 2 s): requests wait after their body is read. */
const SLOW_ENTITLEMENT = modules.write(
  'slow-entitlement.mjs',
  `export default function () {
    return {
      name: 'slow',
      check: (request) => new Promise((resolve) =>
        setTimeout(() => resolve({ allow: true }), request.resource.startsWith('slow/') ? 2000 : 20)),
    };
  }`,
);

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await tb?.close();
  tb = null;
});
afterAll(() => modules.remove());

async function start(overrides: TestBrokerOverrides = {}): Promise<TestBroker> {
  tb = await startTestBroker({ http: {}, ...overrides });
  return tb;
}

const AUTH = basic('svc', 'x');

/** A raw TCP connection to the listener: what it wrote, and when it closed. */
interface Raw {
  readonly socket: Socket;
  /** Everything received so far, as text. */
  text(): string;
  until(pred: (text: string) => boolean): Promise<string>;
  readonly closed: Promise<void>;
}

function raw(url: string): Promise<Raw> {
  const { hostname, port } = new URL(url);
  const socket = netConnect(Number(port), hostname);
  sockets.push(socket);
  let received = '';
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
    for (const w of waiters.splice(0)) w();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const conn: Raw = {
    socket,
    text: () => received,
    closed,
    until: async (pred) => {
      while (!pred(received)) {
        const more = new Promise<void>((resolve) => waiters.push(resolve));
        await Promise.race([more, closed]);
        if (socket.destroyed && !pred(received)) throw new Error(`closed; received: ${received}`);
      }
      return received;
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
  });
}

function publishRequest(body: string, extra = ''): string {
  return (
    `POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`
  );
}

const statusLines = (text: string): string[] => text.match(/HTTP\/1\.1 \d{3}/g) ?? [];

describe('HTTP publish connections', () => {
  it('answers pipelined requests in order', async () => {
    const b = await start();
    const conn = await raw(b.httpUrl!);
    conn.socket.write(
      publishRequest('{"topic":"a","data":1}') +
        publishRequest('{"topic":"a/+","data":1}') +
        publishRequest('{"topic":"b","data":2}'),
    );
    const text = await conn.until((t) => statusLines(t).length === 3);
    expect(statusLines(text)).toEqual(['HTTP/1.1 204', 'HTTP/1.1 400', 'HTTP/1.1 204']);
    expect(b.broker.stats().messagesPublished).toBe(2);
  });

  it('reads header names in any case, the first of a repeated one winning (as req.headers does)', async () => {
    const b = await start();
    const conn = await raw(b.httpUrl!);
    const body = '{"topic":"a","data":1}';
    conn.socket.write(
      `POST /api/publish HTTP/1.1\r\nHost: x\r\nAUTHORIZATION: ${AUTH}\r\nContent-TYPE: Application/JSON\r\n` +
        `content-type: text/plain\r\nCONTENT-LENGTH: ${body.length}\r\n\r\n${body}`,
    );
    await conn.until((t) => statusLines(t).length === 1);
    expect(statusLines(conn.text())).toEqual(['HTTP/1.1 204']);
    conn.socket.write(
      `POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: text/plain\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    await conn.until((t) => statusLines(t).length === 2);
    expect(statusLines(conn.text())).toEqual(['HTTP/1.1 204', 'HTTP/1.1 415']);
  });

  it('drops a connection that pipelines more than 16 requests behind the one being handled', async () => {
    const b = await start({ http: { listenerSecurity: { entitlement: { module: SLOW_ENTITLEMENT } } } });
    const flood = await raw(b.httpUrl!);
    // Distinct topics: each write entitlement is asked (and waited for) once.
    let requests = '';
    for (let i = 0; i < 40; i++) requests += publishRequest(`{"topic":"a/${i}","data":1}`);
    flood.socket.write(requests);
    await flood.closed;
    expect(statusLines(flood.text()).length).toBeLessThan(40);
    expect(b.broker.stats().protocolErrors).toBe(1);
    expect((await send(b.httpUrl!, { topic: 'a/0', data: 1 }, { authorization: AUTH })).status).toBe(204);
  });

  it('gives back the body budget of a request abandoned mid-body, and refuses one that does not fit (503 SERVER_BUSY)', async () => {
    // The smallest budget allowed: one largest body (3 x 1024 + 65536).
    const b = await start({ http: { options: { maxMessageBytes: 1024, maxBufferedBytes: 68_608 } } });
    const holder = await raw(b.httpUrl!);
    // Declares 60000 bytes, sends a few: its reservation is held while it trickles.
    holder.socket.write(
      publishRequest('{"topic":"a","data":"').replace(/Content-Length: \d+/, 'Content-Length: 60000'),
    );
    await expect.poll(() => b.broker.stats().httpBufferedBytes).toBe(60_000);
    const busy = await send(b.httpUrl!, { topic: 'a', data: 'x'.repeat(9000) }, { authorization: AUTH });
    expect(busy.status).toBe(503);
    expect(errorOf(busy)).toEqual({
      code: 'SERVER_BUSY',
      message: 'too many request bodies are held by this listener now; try again later',
    });
    expect(b.broker.stats().httpRequestsBusy).toBe(1);
    holder.socket.destroy();
    await expect.poll(() => b.broker.stats().httpBufferedBytes).toBe(0);
    expect((await send(b.httpUrl!, { topic: 'a', data: 'x'.repeat(1000) }, { authorization: AUTH })).status).toBe(204);
  });

  it('answers a malformed request 400 with a JSON error and closes the connection', async () => {
    const b = await start();
    const conn = await raw(b.httpUrl!);
    conn.socket.write('POST /api/publish HTTP/1.1\r\nContent-Length: abc\r\n\r\n');
    await conn.closed;
    expect(conn.text()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(conn.text()).toContain('{"error":{"code":"BAD_FRAME","message":"malformed HTTP request"}}');
    expect((await send(b.httpUrl!, { topic: 'a', data: 1 }, { authorization: AUTH })).status).toBe(204);
  });

  it('closes a socket that has not logged on within logonTimeoutMs, and one whose headers are too slow (408)', async () => {
    const b = await start({
      http: { options: { logonTimeoutMs: 200, headersTimeoutMs: 1000, requestTimeoutMs: 1000 } },
    });
    const idle = await raw(b.httpUrl!);
    await idle.closed;
    expect(b.broker.stats().logonTimeouts).toBe(1);

    // Logged on, then a second request whose headers never end.
    const slow = await raw(b.httpUrl!);
    slow.socket.write(publishRequest('{"topic":"a","data":1}'));
    await slow.until((t) => statusLines(t).length === 1);
    slow.socket.write('POST /api/publish HTTP/1.1\r\nHost: x\r\n');
    await slow.closed;
    expect(slow.text()).toContain('HTTP/1.1 408 Request Timeout');
  });

  it('is listed by the admin API, and an entitlement reset ends its logon', async () => {
    const b = await start({ admin: { credentialCache: { ttlMs: 0 } } });
    const conn = await raw(b.httpUrl!);
    conn.socket.write(publishRequest('{"topic":"a","data":1}'));
    await conn.until((t) => statusLines(t).length === 1);
    const list = await fetch(`${b.broker.adminUrl}/admin/connections?protocol=http`, {
      headers: { authorization: AUTH },
    });
    const page = (await list.json()) as { connections: Record<string, unknown>[] };
    expect(page.connections).toEqual([
      expect.objectContaining({ protocol: 'http', user: 'svc', listener: 'http', version: 'HTTP/1.1', messagesIn: 1 }),
    ]);
    expect(b.broker.stats().connectionsOpen).toBe(1);
    await b.broker.admin.resetEntitlements();
    await conn.closed;
    await expect.poll(() => b.broker.stats().connectionsOpen).toBe(0);
    expect(b.broker.admission.counts().connections).toBe(0);
  });

  it('answers a request still waiting for its entitlement at shutdown with 503 SHUTTING_DOWN', async () => {
    const b = await start({ http: { listenerSecurity: { entitlement: { module: SLOW_ENTITLEMENT } } } });
    const conn = await raw(b.httpUrl!);
    conn.socket.write(publishRequest('{"topic":"slow/a","data":1}'));
    await expect.poll(() => b.broker.stats().logons).toBe(1);
    await b.close();
    tb = null;
    await conn.closed;
    expect(conn.text()).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(conn.text()).toContain('{"error":{"code":"SHUTTING_DOWN","message":"the broker is shutting down"}}');
    expect(b.broker.stats().messagesPublished).toBe(0);
  });

  it('closes idle keep-alive connections at shutdown', async () => {
    const b = await start();
    const conn = await raw(b.httpUrl!);
    conn.socket.write(publishRequest('{"topic":"a","data":1}'));
    await conn.until((t) => statusLines(t).length === 1);
    const started = Date.now();
    await b.close();
    tb = null;
    await conn.closed;
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
