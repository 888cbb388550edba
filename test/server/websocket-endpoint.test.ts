// What a native WebSocket listener does at the HTTP level and under input backpressure, the same
// on both engines (ws and uWebSockets.js): plain HTTP gets 426, the query string does not change
// the route, and commands sent while the logon waits on a slow module are handled in order once it
// answers, even past the point where the listener stops reading (pauses) the connection.
import { afterAll, afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { moduleDir } from '../helpers/module-files.js';

const modules = moduleDir();
afterAll(() => modules.remove());

let tb: TestBroker;
const clients: RawClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await tb.close();
});

it('answers plain HTTP with 426 naming the WebSocket path', async () => {
  tb = await startTestBroker();
  const response = await fetch(tb.url.replace('ws:', 'http:'));
  expect(response.status).toBe(426);
  expect(response.headers.get('upgrade')).toBe('websocket');
  expect(await response.text()).toBe('This is a Warden WebSocket endpoint; connect with WebSocket on /.\n');
});

it('routes by path without the query string', async () => {
  tb = await startTestBroker();
  const c = await RawClient.logon(`${tb.url}?client=x`, 'json');
  clients.push(c);
  expect(await c.request({ op: 'ping', rid: 1 })).toMatchObject({ op: 'ack', rid: 1 });
});

/** Authentication that answers only when the test calls globalThis.__wardenReleaseLogon(). */
const gatedAuthentication = modules.write(
  'gated-auth.mjs',
  `export default () => ({
    name: 'gated',
    authenticate({ user }) {
      return new Promise((resolve) => {
        globalThis.__wardenLogonWaiting?.();
        globalThis.__wardenReleaseLogon = () => resolve({ outcome: 'accept', identity: user });
      });
    },
  })`,
);

type Gate = typeof globalThis & { __wardenLogonWaiting?: () => void; __wardenReleaseLogon?: () => void };

it('handles commands sent during a slow logon in order, past the pause bound', async () => {
  tb = await startTestBroker({ security: { authentication: { module: gatedAuthentication } } });
  const gate = globalThis as Gate;
  const waiting = new Promise<void>((resolve) => (gate.__wardenLogonWaiting = resolve));
  const c = await RawClient.open(tb.url, 'json');
  clients.push(c);
  const PINGS = 600; // more than the 256 a session parks before it pauses the connection
  c.send({ op: 'logon', rid: 0, user: 'slow' });
  await waiting;
  for (let rid = 1; rid <= PINGS; rid++) c.send({ op: 'ping', rid });
  await new Promise<void>((resolve) => c.ws.send('', { binary: false }, () => resolve())); // all handed to the kernel
  // A round trip on another connection: by its answer the broker has read what arrived before it.
  const other = await RawClient.open(tb.url, 'msgpack');
  clients.push(other);
  expect(await other.request({ op: 'ping', rid: 1 })).toMatchObject({ code: 'NOT_LOGGED_ON' });
  gate.__wardenLogonWaiting = undefined;
  expect(c.frames).toEqual([]);
  gate.__wardenReleaseLogon!();
  expect(await c.next((f) => f.rid === 0)).toMatchObject({ op: 'ack' });
  const acks: number[] = [];
  for (let i = 0; i < PINGS; i++) acks.push((await c.next((f) => f.op === 'ack' || f.op === 'error')).rid as number);
  expect(acks).toEqual(Array.from({ length: PINGS }, (_, i) => i + 1));
});

it('picks a Warden subprotocol from a header offering several, on a WebSocket client', async () => {
  tb = await startTestBroker();
  const ws = new WebSocket(tb.url, ['warden.v1.msgpack', 'warden.v1.json']);
  await new Promise((resolve) => ws.once('open', resolve));
  expect(ws.protocol).toBe('warden.v1.msgpack');
  ws.close();
  await new Promise((resolve) => ws.once('close', resolve));
});
