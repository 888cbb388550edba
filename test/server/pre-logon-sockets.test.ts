// Pre-upgrade sockets: on a WebSocket port, a socket that never upgrades (idle, or
// trickling header lines) is closed within the listener's logon timeout (Node's own HTTP timeouts
// kept it about 90 s); and connections not logged on yet are capped over every listener and per
// host (admission.maxUnauthenticated, maxUnauthenticatedPerHost): a socket over the cap is closed
// at once and counted. The MQTT TCP port counts its connections until CONNACK the same way.
// The deadlines run on time the tests move by hand (ManualTimers), except where a client is slow
// on purpose: there real time shows that the deadline holds.
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { SUBPROTOCOLS } from '../../protocol/native.js';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { assertTestTransport, MQTT_WS_TRANSPORT, TEST_TRANSPORT } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { HOST_A, HOST_B, TwoHosts } from '../helpers/two-hosts.js';
import { ManualTimers } from '../helpers/manual-timers.js';

const brokers: BrokerHandle[] = [];
const sockets: Socket[] = [];
const hosts = new TwoHosts();
afterEach(async () => {
  hosts.teardown();
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

interface Started {
  broker: BrokerHandle;
  url: string;
  mqttUrl: string;
  mqttWsUrl: string;
}

async function start(
  options: {
    logonTimeoutMs?: number;
    connectTimeoutMs?: number;
    admission?: Record<string, unknown>;
    timers?: ManualTimers;
  } = {},
): Promise<Started> {
  const mqttOptions = options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs };
  const broker = await startBroker(
    {
      log: { level: 'silent' },
      persistence: 'none',
      admin: { enabled: false },
      shutdown: { graceMs: 500 },
      admission: options.admission ?? {},
      listeners: [
        {
          name: 'native',
          protocol: 'native',
          host: '127.0.0.1',
          port: 0,
          transport: TEST_TRANSPORT,
          options: options.logonTimeoutMs === undefined ? {} : { logonTimeoutMs: options.logonTimeoutMs },
        },
        { name: 'mqtt', protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port: 0, options: mqttOptions },
        {
          name: 'mqtt-ws',
          protocol: 'mqtt',
          transport: MQTT_WS_TRANSPORT,
          host: '127.0.0.1',
          port: 0,
          path: '/mqtt',
          options: mqttOptions,
        },
      ],
    },
    { timers: options.timers },
  );
  brokers.push(broker);
  assertTestTransport(broker);
  const [native, mqtt, mqttWs] = broker.listeners;
  return { broker, url: native!.url, mqttUrl: mqtt!.url, mqttWsUrl: mqttWs!.url };
}

/** A raw TCP socket to `url`'s port from `localAddress`; `closed` settles when it closes. */
async function rawSocket(url: string, localAddress = HOST_A): Promise<{ socket: Socket; closed: Promise<void> }> {
  const { hostname, port } = new URL(url);
  const socket = netConnect({ port: Number(port), host: hostname, localAddress });
  sockets.push(socket);
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed };
}

/** A WebSocket that opens (or is refused); `closed` gives its close code. */
function webSocket(
  url: string,
  localAddress = HOST_A,
): { ws: WebSocket; opened: Promise<boolean>; closed: Promise<number> } {
  const ws = new WebSocket(url, SUBPROTOCOLS.json, { localAddress });
  ws.on('error', () => {});
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const opened = new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
  });
  return { ws, opened, closed };
}

const until = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 5 });

// uWebSockets.js serves the HTTP part itself and drops a socket that has not upgraded after its own
// fixed 10 s; the logon timeout cannot shorten that (docs/transports.md).
describe.skipIf(TEST_TRANSPORT === 'uws')('before the WebSocket upgrade (ws)', () => {
  it('an idle socket on the native port is closed after logonTimeoutMs, not before', async () => {
    const timers = new ManualTimers();
    const tb = await start({ logonTimeoutMs: 300, timers });
    const { closed } = await rawSocket(tb.url);
    await timers.armed(300);
    timers.advance(299);
    expect(tb.broker.stats().upgradeTimeouts).toBe(0);
    timers.advance(1);
    await closed;
    expect(tb.broker.stats()).toMatchObject({ upgradeTimeouts: 1 });
    await until(() => expect(tb.broker.stats().unauthenticatedConnections).toBe(0));
  });

  it('header lines trickled one at a time do not keep it open', async () => {
    const tb = await start({ logonTimeoutMs: 400 });
    const { socket, closed } = await rawSocket(tb.url);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let line = 0;
    // Driven by a timer on purpose: the client is the slow one here.
    const trickle = setInterval(() => socket.write(`X-Line-${++line}: ${'x'.repeat(8)}\r\n`), 50);
    await closed;
    clearInterval(trickle);
    expect(tb.broker.stats().upgradeTimeouts).toBe(1);
  });

  it('MQTT over WebSocket: a socket that does not upgrade is closed after connectTimeoutMs, not before', async () => {
    const timers = new ManualTimers();
    const tb = await start({ connectTimeoutMs: 300, timers });
    const { closed } = await rawSocket(tb.mqttWsUrl);
    await timers.armed(300);
    timers.advance(299);
    expect(tb.broker.stats().upgradeTimeouts).toBe(0);
    timers.advance(1);
    await closed;
    expect(tb.broker.stats().upgradeTimeouts).toBe(1);
  });

  it('the deadline ends at the upgrade: a WebSocket that then logs on stays', async () => {
    const timers = new ManualTimers();
    const tb = await start({ logonTimeoutMs: 300, timers });
    const client = await RawClient.logon(tb.url, 'json');
    expect(tb.broker.stats()).toMatchObject({ upgradeTimeouts: 0, unauthenticatedConnections: 0, logons: 1 });
    // Neither its upgrade deadline nor its logon timer (both 300 ms) is left.
    expect(timers.pendingCount(300)).toBe(0);
    // Past the deadline it would have had (an idle socket's shows it passed): still answers.
    const idle = await rawSocket(tb.url);
    await timers.armed(300);
    timers.advance(300);
    await idle.closed;
    expect(tb.broker.stats().upgradeTimeouts).toBe(1);
    expect((await client.request({ op: 'ping', rid: 2 })).op).toBe('ack');
    client.ws.terminate();
  });

  it('a raw socket over maxUnauthenticatedPerHost is closed at once, before anything is read', async () => {
    const tb = await start({ admission: { maxUnauthenticatedPerHost: 2 } });
    const held = [await rawSocket(tb.url), await rawSocket(tb.url)];
    const refused = await rawSocket(tb.url);
    await refused.closed;
    expect(tb.broker.stats()).toMatchObject({ connectionsRefusedUnauthenticated: 1, unauthenticatedConnections: 2 });
    // Another host has its own share.
    const other = await rawSocket(tb.url, HOST_B);
    await until(() => expect(tb.broker.stats().unauthenticatedConnections).toBe(3));
    for (const s of [...held, other]) s.socket.destroy();
    await until(() => expect(tb.broker.stats().unauthenticatedConnections).toBe(0));
  });
});

describe('connections not logged on are capped (admission.maxUnauthenticated)', () => {
  it('native: over the cap a new WebSocket is closed at once; a logon gives its slot back', async () => {
    const tb = await start({ admission: { maxUnauthenticated: 2 } });
    const first = webSocket(tb.url);
    const second = webSocket(tb.url, HOST_B);
    expect(await Promise.all([first.opened, second.opened])).toEqual([true, true]);
    const third = webSocket(tb.url);
    // ws: the TCP connection is dropped (1006); uws: closed after its upgrade with 1013, try again later.
    expect([1006, 1013]).toContain(await third.closed);
    expect(tb.broker.stats()).toMatchObject({ connectionsRefusedUnauthenticated: 1, unauthenticatedConnections: 2 });
    first.ws.send(JSON.stringify({ op: 'logon', rid: 1, user: 'u', password: 'p' }));
    await until(() => expect(tb.broker.stats()).toMatchObject({ logons: 1, unauthenticatedConnections: 1 }));
    const client = await RawClient.logon(tb.url, 'json');
    expect(tb.broker.stats()).toMatchObject({ logons: 2, unauthenticatedConnections: 1 });
    client.ws.terminate();
  });

  it('MQTT over TCP: counted until CONNACK; over the cap closed at once; a socket without CONNECT closed after connectTimeoutMs', async () => {
    const timers = new ManualTimers();
    const tb = await start({ connectTimeoutMs: 300, admission: { maxUnauthenticatedPerHost: 1 }, timers });
    const silent = await rawSocket(tb.mqttUrl);
    const refused = await rawSocket(tb.mqttUrl);
    await refused.closed;
    expect(tb.broker.stats()).toMatchObject({ connectionsRefusedUnauthenticated: 1, unauthenticatedConnections: 1 });
    // The CONNECT timeout is on the shared timeout wheel: its one timer ticks every 500 ms.
    await timers.armed(500);
    timers.advance(299);
    expect(tb.broker.stats().logonTimeouts).toBe(0);
    timers.advance(201); // connectTimeoutMs passed: the wheel's next tick closes it
    expect(tb.broker.stats().logonTimeouts).toBe(1);
    await silent.closed;
    await until(() => expect(tb.broker.stats().unauthenticatedConnections).toBe(0));
    const connected = hosts.mqtt(tb.mqttUrl, HOST_A, { clientId: 'c1', username: 'u', password: Buffer.from('p') });
    expect(await connected.answer).toBe(0);
    expect(tb.broker.stats().unauthenticatedConnections).toBe(0);
    // Logged on, it no longer counts: another host's and this host's next connection get in.
    expect(
      await hosts.mqtt(tb.mqttUrl, HOST_A, { clientId: 'c2', username: 'u', password: Buffer.from('p') }).answer,
    ).toBe(0);
  });
});
