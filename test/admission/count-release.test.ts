// Admission counts are given back exactly once however a connection ends: abrupt disconnects
// (sockets destroyed, no close handshake), normal closes, MQTT client-id takeover, entitlement
// resets, protocol-error closes, broker shutdown; refused logons are never counted. Each test
// waits for the broker's own count (whenAtMost), then connects again up to the limit.
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../protocol/native.js';
import { destroy, refusedLogon, useAdmissionFixture } from './fixture.js';

const fx = useAdmissionFixture();

/** `u` may have 2 connections; 3 in all. */
const LIMITS = { maxConnections: 3, userLimits: { enabled: true, users: { u: 2 } } };

describe('counts released', () => {
  it('after native sockets are destroyed', async () => {
    const tb = await fx.start({ admission: LIMITS });
    const first = [await fx.admitted('u'), await fx.admitted('u')];
    expect((await refusedLogon(fx, 'u')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
    for (const c of first) destroy(c);
    await tb.broker.admission.whenAtMost(0);
    expect(tb.broker.admission.counts()).toEqual({ connections: 0, users: {}, hosts: {} });
    await fx.admitted('u');
    await fx.admitted('u');
    expect((await refusedLogon(fx, 'u')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
  });

  it.each([5, 4] as const)('after MQTT sockets are destroyed (version %i)', async (version) => {
    const tb = await fx.start({ admission: LIMITS });
    const url = tb.mqttUrl;
    const raws = [];
    for (const clientId of ['a', 'b'])
      raws.push(await fx.raws.connect(url, version, { clientId, username: 'u', clean: true }));
    for (const raw of raws) expect(raw.packets.items[0]).toMatchObject({ cmd: 'connack' });
    expect((await fx.mqtt.refusal(url, version, { username: 'u' })).code).toBe(version === 5 ? 0x97 : 3);
    for (const raw of raws) raw.socket.destroy();
    await tb.broker.admission.whenAtMost(0);
    await fx.mqtt.connect(url, version, { username: 'u' });
    await fx.mqtt.connect(tb.mqttWsUrl, version, { username: 'u' });
    expect(tb.broker.admission.counts().users).toEqual({ u: 2 });
  });

  it('after mixed native, MQTT and SDK connections end, normally and abruptly', async () => {
    const tb = await fx.start({ admission: { maxConnections: 4 } });
    const raw = await fx.admitted('a');
    const sdk = await fx.sdk('b');
    const mqtt = await fx.mqtt.connect(tb.mqttWsUrl, 5, { username: 'c' });
    const tcp = await fx.raws.connect(tb.mqttUrl, 4, { clientId: 'd', username: 'd', clean: true });
    expect(tb.broker.admission.counts().connections).toBe(4);
    expect((await refusedLogon(fx, 'e')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
    await raw.close();
    await sdk.close();
    await mqtt.endAsync();
    tcp.socket.destroy();
    await tb.broker.admission.whenAtMost(0);
    for (const user of ['a', 'b', 'c', 'd']) await fx.admitted(user);
    expect(tb.broker.stats().admittedConnections).toBe(4);
  });

  it('an MQTT takeover counts the old connection as gone: same client id, user limit 1', async () => {
    const tb = await fx.start({ admission: { maxConnections: 1, userLimits: { enabled: true, users: { u: 1 } } } });
    const first = await fx.raws.connect(tb.mqttUrl, 5, { clientId: 'device', username: 'u', clean: true });
    expect(first.packets.items[0]).toMatchObject({ cmd: 'connack', reasonCode: 0 });
    const second = await fx.raws.connect(tb.mqttUrl, 5, { clientId: 'device', username: 'u', clean: true });
    expect(second.packets.items[0]).toMatchObject({ cmd: 'connack', reasonCode: 0 });
    await first.closed;
    expect(first.packets.items[1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x8e });
    expect(tb.broker.admission.counts()).toMatchObject({ connections: 1, users: { u: 1 } });
    // Another client id is still over the limit.
    expect((await fx.mqtt.refusal(tb.mqttUrl, 5, { username: 'u', clientId: 'other' })).code).toBe(0x97);
    second.socket.destroy();
    await tb.broker.admission.whenAtMost(0);
  });

  it('refused logons are not counted: not allowed, host, limit, logon entitlement', async () => {
    const tb = await fx.start({
      admission: {
        allowedUsers: ['u', 'v', 'w'],
        remoteHosts: { v: ['10.0.0.0/8'] },
        userLimits: { enabled: true, users: { u: 1 } },
      },
      // w is in no policy group: not entitled to log on.
      security: {
        entitlement: { module: 'policy', options: { policy: { groups: { g: { users: ['u', 'v', 'x'] } } } } },
      },
    });
    await fx.admitted('u');
    expect((await refusedLogon(fx, 'x')).error.code).toBe(ErrorCodes.USER_NOT_ALLOWED);
    expect((await refusedLogon(fx, 'v')).error.code).toBe(ErrorCodes.HOST_NOT_ALLOWED);
    expect((await refusedLogon(fx, 'u')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
    expect((await refusedLogon(fx, 'w')).error.code).toBe(ErrorCodes.LOGON_FAILED);
    expect(tb.broker.admission.counts()).toEqual({ connections: 1, users: { u: 1 }, hosts: { '127.0.0.1': 1 } });
  });

  it('after an entitlement reset disconnects everyone', async () => {
    const tb = await fx.start({ admission: LIMITS });
    await fx.admitted('u');
    await fx.mqtt.connect(tb.mqttUrl, 5, { username: 'u' });
    expect((await tb.broker.admin.resetEntitlements()).disconnected).toBe(2);
    await tb.broker.admission.whenAtMost(0);
    await fx.admitted('u');
    await fx.admitted('u');
  });

  it('after a close for repeated protocol errors', async () => {
    const tb = await fx.start({ admission: LIMITS, nativeOptions: { maxProtocolErrors: 1 } });
    const client = await fx.admitted('u');
    client.send({ op: 'nonsense', rid: 2 });
    expect((await client.closed).code).toBe(1008);
    await tb.broker.admission.whenAtMost(0);
  });

  it('at broker shutdown', async () => {
    const tb = await fx.start({ admission: LIMITS });
    await fx.admitted('u');
    await fx.mqtt.connect(tb.mqttUrl, 4, { username: 'v' });
    await fx.raws.connect(tb.mqttUrl, 5, { clientId: 'w', username: 'w', clean: true });
    await tb.broker.close();
    expect(tb.broker.admission.counts()).toEqual({ connections: 0, users: {}, hosts: {} });
    expect(tb.broker.stats().admittedConnections).toBe(0);
  });
});
