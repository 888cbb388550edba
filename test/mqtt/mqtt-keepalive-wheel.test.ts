// MQTT keepalive and CONNECT timeout on the shared timeout wheel (server/timeout-wheel.ts), over
// real sockets with broker time moved by hand (ManualTimers): a silent client is closed at 1.5 x
// its keepalive, not before, and at most one wheel slot (500 ms) after; traffic pushes the
// deadline back; a socket that never sends CONNECT is still closed after connectTimeoutMs.
import type { Packet } from 'mqtt-packet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { RawMqttClients, type RawMqtt, type Version } from './mqtt-helpers.js';

let tb: TestBroker | null = null;
const until = (check: () => void): Promise<void> => vi.waitFor(check, { timeout: 10_000, interval: 5 });
const raws = new RawMqttClients();
afterEach(async () => {
  raws.teardown();
  await tb?.close();
  tb = null;
});

/** A raw client (RawMqttClients) whose packets are a plain list, and that says whether it has closed. */
async function raw(
  url: string,
  version: Version,
): Promise<Omit<RawMqtt, 'packets'> & { packets: Packet[]; isClosed(): boolean }> {
  const client = await raws.open(url, version);
  let closed = false;
  void client.closed.then(() => (closed = true));
  return { ...client, packets: client.packets.items, isClosed: () => closed };
}

const connect = (version: Version, keepalive: number): Packet => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: version,
  clientId: `ka-${version}`,
  clean: true,
  keepalive,
  username: 'u',
});

describe.each<Version>([4, 5])('MQTT %i timeouts on the wheel', (version) => {
  it('closes a silent client at 1.5 x its keepalive, not before; counted in keepAliveTimeouts', async () => {
    const timers = new ManualTimers();
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, timers });
    const c = await raw(tb.mqttUrl!, version);
    c.send(connect(version, 2));
    await until(() => expect(c.packets.map((p) => p.cmd)).toEqual(['connack']));
    // CONNACK went out at the manual clock's start, on a wheel tick: due 3,000 ms later.
    timers.advance(2999);
    expect(tb.broker.stats().keepAliveTimeouts).toBe(0);
    timers.advance(1);
    expect(tb.broker.stats().keepAliveTimeouts).toBe(1);
    await c.closed;
    expect(c.packets.map((p) => p.cmd)).toEqual(version === 5 ? ['connack', 'disconnect'] : ['connack']);
    if (version === 5) expect(c.packets[1]).toMatchObject({ reasonCode: 0x8d });
  });

  it('a packet pushes the deadline back; it fires at the first wheel tick after it', async () => {
    const timers = new ManualTimers();
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, timers });
    const c = await raw(tb.mqttUrl!, version);
    c.send(connect(version, 2));
    await until(() => expect(c.packets.length).toBe(1));
    timers.advance(250);
    c.send({ cmd: 'pingreq' });
    await until(() => expect(c.packets.map((p) => p.cmd)).toEqual(['connack', 'pingresp']));
    // Last packet at +250: due at +3,250, closed at the +3,500 tick.
    timers.advance(3249 - 250);
    expect(tb.broker.stats().keepAliveTimeouts).toBe(0);
    timers.advance(1);
    expect(tb.broker.stats().keepAliveTimeouts).toBe(0); // due, but between ticks
    timers.advance(249);
    expect(tb.broker.stats().keepAliveTimeouts).toBe(0);
    timers.advance(1);
    expect(tb.broker.stats().keepAliveTimeouts).toBe(1);
    await c.closed;
  });

  it('keepalive 0: never closed for silence', async () => {
    const timers = new ManualTimers();
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, timers });
    const c = await raw(tb.mqttUrl!, version);
    c.send(connect(version, 0));
    await until(() => expect(c.packets.length).toBe(1));
    timers.advance(3_600_000);
    expect(tb.broker.stats().keepAliveTimeouts).toBe(0);
    c.send({ cmd: 'pingreq' });
    await until(() => expect(c.packets.map((p) => p.cmd)).toEqual(['connack', 'pingresp']));
    expect(c.isClosed()).toBe(false);
  });

  it('a socket that never sends CONNECT is closed after connectTimeoutMs (within a wheel slot)', async () => {
    const timers = new ManualTimers();
    tb = await startTestBroker({ mqtt: { transports: ['tcp'], options: { connectTimeoutMs: 1000 } }, timers });
    const c = await raw(tb.mqttUrl!, version);
    await timers.armed(500); // the wheel's tick: the connection has its CONNECT deadline
    timers.advance(999);
    expect(tb.broker.stats().logonTimeouts).toBe(0);
    timers.advance(1);
    expect(tb.broker.stats().logonTimeouts).toBe(1);
    await c.closed;
    expect(c.packets).toEqual([]);
  });
});
