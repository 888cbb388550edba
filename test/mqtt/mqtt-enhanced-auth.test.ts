// MQTT 5 enhanced authentication: SCRAM-SHA-256 over CONNECT / AUTH / CONNACK, against the
// `users` module with SCRAM credentials, using the independent SCRAM client of the test helpers
// (raw packets, and the npm mqtt client's handleAuth hook). A wrong proof and an
// unknown method are refused.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IAuthPacket, IConnackPacket } from 'mqtt-packet';
import { hashPassword, scramCredentials } from '../../server/security/authentication/password-hash.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { scramClient } from '../helpers/scram-client.js';
import { inbox, MqttClients, RawMqttClients } from './mqtt-helpers.js';

const PASSWORD = 'correct horse battery staple';
const METHOD = 'SCRAM-SHA-256';
let security: Record<string, unknown>;
let tb: TestBroker | null = null;
const clients = new MqttClients();
const raws = new RawMqttClients();

beforeAll(async () => {
  // Cheap scrypt parameters: the test is about the exchange, not the hash's cost.
  const hash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  security = {
    authentication: {
      module: 'users',
      options: { users: [{ name: 'alice', hash, scram: scramCredentials(PASSWORD) }] },
    },
  };
});

afterEach(async () => {
  raws.teardown();
  await clients.teardown();
  await tb?.close();
  tb = null;
});

async function broker(): Promise<TestBroker> {
  tb = await startTestBroker({ security, mqtt: { transports: ['tcp'] } });
  return tb;
}

describe('MQTT 5 enhanced authentication (SCRAM-SHA-256)', () => {
  it('logs on over CONNECT, AUTH 0x18 and CONNACK with the server-final-message, which verifies', async () => {
    const b = await broker();
    const scram = scramClient('alice', PASSWORD);
    const raw = await raws.open(b.mqttUrl!, 5);
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'scram',
      clean: true,
      keepalive: 0,
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(scram.clientFirst) },
    });
    await raw.packets.count(1);
    const challenge = raw.packets.items[0] as IAuthPacket;
    expect(challenge).toMatchObject({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD } });
    const { clientFinal, expectedServerFinal } = scram.final(challenge.properties!.authenticationData!.toString());
    raw.send({
      cmd: 'auth',
      reasonCode: 0x18,
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(clientFinal) },
    });
    await raw.packets.count(2);
    const connack = raw.packets.items[1] as IConnackPacket;
    expect(connack).toMatchObject({ cmd: 'connack', reasonCode: 0, properties: { authenticationMethod: METHOD } });
    expect(connack.properties!.authenticationData!.toString()).toBe(expectedServerFinal);
    // Logged on as alice: the session works.
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 's/t', qos: 1 }] });
    await raw.packets.count(3);
    expect(raw.packets.items[2]).toMatchObject({ cmd: 'suback', granted: [1] });
  });

  it("works with the npm mqtt client's handleAuth hook", async () => {
    const b = await broker();
    const scram = scramClient('alice', PASSWORD);
    let expectedServerFinal = '';
    const started = clients.start(b.mqttUrl!, 5, {
      // No `authPacket`: with it, mqtt.js sends an AUTH 0x00 right after CONNECT, which 4.12 does not allow.
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(scram.clientFirst) },
    });
    started.client.handleAuth = (packet, callback) => {
      const final = scram.final(packet.properties!.authenticationData!.toString());
      expectedServerFinal = final.expectedServerFinal;
      callback(undefined, {
        cmd: 'auth',
        reasonCode: 0x18,
        properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(final.clientFinal) },
      });
    };
    const connack = await started.connack;
    expect(connack.properties?.authenticationData?.toString()).toBe(expectedServerFinal);
    const got = inbox(started.client);
    await started.client.subscribeAsync('s/#', { qos: 1 });
    await started.client.publishAsync('s/1', 'hello', { qos: 1 });
    await got.count(1);
    expect(got.items[0]).toMatchObject({ topic: 's/1', text: 'hello' });
  });

  it('refuses a wrong proof with CONNACK 0x86 and counts the failure', async () => {
    const b = await broker();
    const scram = scramClient('alice', 'not the password');
    const raw = await raws.open(b.mqttUrl!, 5);
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'bad',
      clean: true,
      keepalive: 0,
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(scram.clientFirst) },
    });
    await raw.packets.count(1);
    const challenge = raw.packets.items[0] as IAuthPacket;
    const { clientFinal } = scram.final(challenge.properties!.authenticationData!.toString());
    raw.send({
      cmd: 'auth',
      reasonCode: 0x18,
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(clientFinal) },
    });
    await raw.closed;
    expect(raw.packets.items[1]).toMatchObject({ cmd: 'connack', reasonCode: 0x86 });
    expect(b.broker.stats().logonFailures).toBe(1);
  });

  it('an unknown user gets a challenge all the same and is refused at the proof', async () => {
    const b = await broker();
    const scram = scramClient('mallory', PASSWORD);
    const raw = await raws.open(b.mqttUrl!, 5);
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'm',
      clean: true,
      keepalive: 0,
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(scram.clientFirst) },
    });
    await raw.packets.count(1);
    expect(raw.packets.items[0]).toMatchObject({ cmd: 'auth', reasonCode: 0x18 });
    const { clientFinal } = scram.final(
      (raw.packets.items[0] as IAuthPacket).properties!.authenticationData!.toString(),
    );
    raw.send({
      cmd: 'auth',
      reasonCode: 0x18,
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(clientFinal) },
    });
    await raw.closed;
    expect(raw.packets.items[1]).toMatchObject({ cmd: 'connack', reasonCode: 0x86 });
  });

  it('refuses an unsupported method with CONNACK 0x8C', async () => {
    const b = await broker();
    const raw = await raws.open(b.mqttUrl!, 5);
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'k',
      clean: true,
      keepalive: 0,
      properties: { authenticationMethod: 'KERBEROS' },
    });
    await raw.closed;
    expect(raw.packets.items[0]).toMatchObject({ cmd: 'connack', reasonCode: 0x8c });
  });

  it('a packet other than AUTH 0x18 with the same method during the exchange is CONNACK 0x82', async () => {
    const b = await broker();
    const scram = scramClient('alice', PASSWORD);
    const raw = await raws.open(b.mqttUrl!, 5);
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'p',
      clean: true,
      keepalive: 0,
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(scram.clientFirst) },
    });
    await raw.packets.count(1);
    raw.send({
      cmd: 'auth',
      reasonCode: 0x18,
      properties: { authenticationMethod: 'OTHER', authenticationData: Buffer.from('x') },
    });
    await raw.closed;
    expect(raw.packets.items[1]).toMatchObject({ cmd: 'connack', reasonCode: 0x82 });
  });

  it('a module without SCRAM (allow-any) rejects the method: CONNACK 0x86', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const raw = await raws.open(tb.mqttUrl!, 5);
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'a',
      clean: true,
      keepalive: 0,
      properties: {
        authenticationMethod: METHOD,
        authenticationData: Buffer.from(scramClient('alice', PASSWORD).clientFirst),
      },
    });
    await raw.closed;
    expect(raw.packets.items[0]).toMatchObject({ cmd: 'connack', reasonCode: 0x86 });
  });
});
