// Admission control through real connections: allowed users and superusers, host access per user
// and per group, global and per-host limits, the per-host connection rate, the protocol switch,
// and the refusal each protocol gets (native error code + close 4003; MQTT v5 CONNACK reason
// code; MQTT 3.1.1 return code). Every client comes from 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../protocol/native.js';
import { WardenError } from '../../client/index.js';
import { WebSocket } from 'ws';
import { RawClient } from '../helpers/raw-client.js';
import { refusedLogon, useAdmissionFixture } from './fixture.js';

const fx = useAdmissionFixture();

/** A refused MQTT CONNECT's reason code (v5) or return code (v3.1.1). */
async function mqttRefusal(url: string, version: 4 | 5, user: string): Promise<number | undefined> {
  const refusal = await fx.mqtt.refusal(url, version, { username: user, password: 'pw' });
  return refusal.code;
}

describe('allowed users and superusers (netconfd-pro "Username Control")', () => {
  it('admits only the listed users and the superusers; others get USER_NOT_ALLOWED and close 4003', async () => {
    const tb = await fx.start({ admission: { allowedUsers: ['alice'], superusers: ['root'] } });
    await fx.admitted('alice');
    await fx.admitted('root');
    const { error, close } = await refusedLogon(fx, 'mallory');
    expect(error).toEqual({
      op: 'error',
      rid: 1,
      code: ErrorCodes.USER_NOT_ALLOWED,
      message: 'this user may not connect to this broker',
      cmd: 'logon',
    });
    expect(close).toEqual({ code: 4003, reason: 'logon refused: user-not-allowed' });
    expect(await mqttRefusal(tb.mqttUrl, 5, 'mallory')).toBe(0x87);
    expect(await mqttRefusal(tb.mqttUrl, 4, 'mallory')).toBe(5);
    expect(tb.broker.stats()).toMatchObject({ connectionsRefusedUser: 3, logonFailures: 3, admittedConnections: 2 });
  });

  it('an empty list admits superusers only; superusers are still limited (as in netconfd-pro)', async () => {
    await fx.start({
      admission: { allowedUsers: [], superusers: ['root'], userLimits: { enabled: true, default: 1 } },
    });
    expect((await refusedLogon(fx, 'alice')).error.code).toBe(ErrorCodes.USER_NOT_ALLOWED);
    await fx.admitted('root');
    expect((await refusedLogon(fx, 'root')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
  });

  it('the SDK reports the code as a WardenError', async () => {
    await fx.start({ admission: { allowedUsers: ['alice'] } });
    const error = await fx.sdk('mallory').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WardenError);
    expect(error).toMatchObject({ code: ErrorCodes.USER_NOT_ALLOWED, cmd: 'logon' });
  });
});

describe('implicit logon (AMPS)', () => {
  it("the empty user name is admitted and counted like any other, or refused with the command's rid", async () => {
    const tb = await fx.start({
      security: { authentication: { module: 'implicit' } },
      admission: { userLimits: { enabled: true, users: { '': 1 } } },
    });
    const first = await RawClient.open(tb.url, 'json');
    expect(await first.request({ op: 'ping', rid: 7 })).toEqual({ op: 'ack', rid: 7 });
    expect(tb.broker.admission.counts().users).toEqual({ '': 1 });
    const second = await RawClient.open(tb.url, 'json');
    expect(await second.request({ op: 'ping', rid: 8 })).toMatchObject({
      op: 'error',
      rid: 8,
      code: ErrorCodes.CONNECTION_LIMIT,
      cmd: 'logon',
    });
    expect((await second.closed).code).toBe(4003);
    first.ws.terminate();
    await tb.broker.admission.whenAtMost(0);
  });
});

describe('host access (AMQ Interconnect remoteHosts, SwiftMQ host access lists)', () => {
  const admission = {
    remoteHosts: { local: ['127.0.0.1'], wildcard: ['*'], remote: ['10.0.0.0/8', '::1'], nowhere: [] },
  };
  const limits = {
    localGroup: { users: ['member', 'exempt'], remoteHosts: ['192.168.0.0/16'] },
    anywhere: { users: ['free'], remoteHosts: ['0.0.0.0/0'] },
  };

  it.each([
    ['local', true],
    ['wildcard', true],
    ['remote', false],
    ['nowhere', false],
    ['member', false],
    ['free', true],
    ['stranger', true],
  ])('%s from 127.0.0.1 admitted: %s', async (user, expected) => {
    const tb = await fx.start({
      admission: { ...admission, remoteHosts: { ...admission.remoteHosts, exempt: ['127.0.0.0/8'] } },
      limits,
    });
    const { answer, client } = await fx.logon(user);
    if (expected) {
      expect(answer).toMatchObject({ op: 'ack', user });
      return;
    }
    expect(answer).toEqual({
      op: 'error',
      rid: 1,
      code: ErrorCodes.HOST_NOT_ALLOWED,
      message: 'this user may not connect from this host',
      cmd: 'logon',
    });
    expect((await client.closed).code).toBe(4003);
    expect(await mqttRefusal(tb.mqttUrl, 5, user)).toBe(0x87);
    expect(await mqttRefusal(tb.mqttWsUrl, 4, user)).toBe(5);
    expect(tb.broker.stats().connectionsRefusedHost).toBe(3);
  });

  it("a user's own list replaces its group's", async () => {
    await fx.start({ admission: { remoteHosts: { exempt: ['127.0.0.0/8'] } }, limits });
    await fx.admitted('exempt');
    expect((await refusedLogon(fx, 'member')).error.code).toBe(ErrorCodes.HOST_NOT_ALLOWED);
  });
});

describe('connection limits (AMQ Interconnect maxConnections, maxConnectionsPerHost)', () => {
  it('the global limit counts every listener and protocol; past it CONNECTION_LIMIT / 0x97 / 3', async () => {
    const tb = await fx.start({ admission: { maxConnections: 3 } });
    await fx.admitted('a');
    await fx.mqtt.connect(tb.mqttUrl, 5, { username: 'b' });
    await fx.mqtt.connect(tb.mqttWsUrl, 4, { username: 'c' });
    const { error, close } = await refusedLogon(fx, 'd');
    expect(error).toEqual({
      op: 'error',
      rid: 1,
      code: ErrorCodes.CONNECTION_LIMIT,
      message: 'connection limit reached; try again later',
      cmd: 'logon',
    });
    expect(close).toEqual({ code: 4003, reason: 'logon refused: connection-limit' });
    expect(await mqttRefusal(tb.mqttUrl, 5, 'e')).toBe(0x97);
    expect(await mqttRefusal(tb.mqttWsUrl, 4, 'f')).toBe(3);
    expect(tb.broker.admission.counts()).toEqual({
      connections: 3,
      users: { a: 1, b: 1, c: 1 },
      hosts: { '127.0.0.1': 3 },
    });
    expect(tb.broker.stats().connectionsRefusedLimit).toBe(3);
  });

  it('the per-host limit', async () => {
    await fx.start({ admission: { maxConnectionsPerHost: 2 } });
    await fx.admitted('a');
    await fx.admitted('b');
    expect((await refusedLogon(fx, 'c')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
  });

  it('a v5 CONNACK says why in a reason string, without the numbers', async () => {
    const tb = await fx.start({ admission: { maxConnections: 1 } });
    await fx.admitted('a');
    const raw = await fx.raws.connect(tb.mqttUrl, 5, { clientId: 'x', username: 'b', clean: true });
    expect(raw.packets.items[0]).toMatchObject({
      cmd: 'connack',
      reasonCode: 0x97,
      properties: { reasonString: 'connection limit reached; try again later' },
    });
    await raw.closed;
  });
});

describe('connection rate per host (storms)', () => {
  it('burst 3: the 4th connection is refused at logon, RATE_LIMITED, without authenticating', async () => {
    // The clock stands still, so no token comes back: counting decides, not timing.
    const tb = await fx.start({ admission: { connectionRate: { perSecond: 1, burst: 3 } } });
    for (const user of ['a', 'b', 'c']) await fx.admitted(user);
    const { error, close } = await refusedLogon(fx, 'd');
    expect(error).toEqual({
      op: 'error',
      rid: 1,
      code: ErrorCodes.RATE_LIMITED,
      message: 'too many connections from this host; try again later',
      cmd: 'logon',
    });
    expect(close).toEqual({ code: 4003, reason: 'logon refused: rate-limited' });
    expect(tb.broker.stats()).toMatchObject({ connectionsRefusedRate: 1, logons: 3 });
    // A second later one token is back.
    tb.clock.advance(1000);
    await fx.admitted('e');
    expect((await refusedLogon(fx, 'f')).error.code).toBe(ErrorCodes.RATE_LIMITED);
  });

  it('MQTT: CONNACK 0x9F (v5) and 3 (v3.1.1); the bucket is per host, over every listener', async () => {
    const tb = await fx.start({ admission: { connectionRate: { perSecond: 1, burst: 2 } } });
    await fx.admitted('a');
    await fx.mqtt.connect(tb.mqttUrl, 5, { username: 'b' });
    expect(await mqttRefusal(tb.mqttUrl, 5, 'c')).toBe(0x9f);
    expect(await mqttRefusal(tb.mqttWsUrl, 4, 'd')).toBe(3);
    expect(tb.broker.stats().connectionsRefusedRate).toBe(2);
  });

  it('the SDK reports RATE_LIMITED as the logon error', async () => {
    await fx.start({ admission: { connectionRate: { perSecond: 1, burst: 1 } } });
    await fx.admitted('a');
    const error = await fx.sdk('b').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCodes.RATE_LIMITED });
  });
});

describe('protocols enabled (netconfd-pro "Protocol Control")', () => {
  it('MQTT disabled: MQTT connections are closed at once, over TCP and WebSocket; native works', async () => {
    const tb = await fx.start({ admission: { protocols: ['native'] } });
    const raw = await fx.raws.open(tb.mqttUrl, 5);
    await raw.closed;
    expect(raw.packets.items).toEqual([]);
    const overWebSocket = new WebSocket(tb.mqttWsUrl, 'mqtt');
    const received: unknown[] = [];
    overWebSocket.on('message', (data) => received.push(data));
    const [code] = await new Promise<[number]>((resolve) => overWebSocket.once('close', (c) => resolve([c])));
    expect(code).toBe(1000);
    expect(received).toEqual([]);
    await fx.admitted('a');
    expect(tb.broker.stats()).toMatchObject({ connectionsRefusedProtocol: 2, logons: 1 });
  });

  it('native disabled: closed with 4003 before any frame; MQTT works', async () => {
    const tb = await fx.start({ admission: { protocols: ['mqtt'] } });
    const client = await RawClient.open(tb.url, 'json');
    expect(await client.closed).toEqual({ code: 4003, reason: 'native protocol disabled' });
    expect(client.frames).toEqual([]);
    await fx.mqtt.connect(tb.mqttUrl, 5, { username: 'a' });
    expect(tb.broker.stats().connectionsRefusedProtocol).toBe(1);
  });
});
