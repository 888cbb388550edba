// Listeners that require a client certificate, and the tls-cert authentication module: the
// certificate's identity (subject CN, or a subjectAltName) over the native protocol (SDK) and MQTT
// (npm mqtt over mqtts), the three modes for a user name or password sent along, and refusals
// (no certificate, a certificate from a CA the broker does not trust) at the TLS handshake.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { connect, ClientErrorCodes, ErrorCodes, type Client, type ConnectOptions } from '../../client/index.js';
import { ConfigError, type BrokerHandle } from '../../server/index.js';
import { hashPassword, scramCredentials } from '../../server/security/authentication/index.js';
import { issueCertificate } from '../../scripts/lib/dev-certificates.js';
import { MqttClients, type Version } from '../mqtt/mqtt-helpers.js';
import { LogSink, pem, serverProfile, urlOf, useBrokers, useDevCertificates } from './tls-fixture.js';

const certs = useDevCertificates();
const start = useBrokers();
const mqttClients = new MqttClients();
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await mqttClients.teardown();
});

const CHEAP = { N: 1024, r: 8, p: 1 };
let users: Record<string, unknown>[] = [];
beforeAll(async () => {
  users = [
    { name: 'alice', hash: await hashPassword('alice-pw', CHEAP), scram: scramCredentials('alice-pw') },
    { name: 'bob', hash: await hashPassword('bob-pw', CHEAP) },
  ];
});

/** Everyone may read and write home/<their identity>/#, so an exact subscription tells who a connection is. */
const ENTITLEMENT = {
  module: 'policy',
  options: {
    policy: {
      allowUnknownUser: true,
      groups: { $default: { grants: [{ actions: ['read', 'write'], topics: ['home/$${user}/#'] }] } },
    },
  },
};

/** A native and an MQTT TCP listener that require client certificates and authenticate with tls-cert and these options. */
function mtlsConfig(tlsCertOptions: Record<string, unknown> = {}): Record<string, unknown> {
  const tls = { profile: 'main', requireClientCertificate: true };
  const authentication = { module: 'tls-cert', options: tlsCertOptions };
  return {
    admin: { enabled: false },
    tls: { profiles: { main: serverProfile(certs()) } },
    security: { entitlement: ENTITLEMENT },
    listeners: [
      { name: 'native', port: 0, tls, authentication },
      { name: 'mqtts', protocol: 'mqtt', port: 0, tls, authentication },
    ],
  };
}

const alice = (): { ca: Buffer; cert: Buffer; key: Buffer } => ({
  ca: pem(certs().ca),
  cert: pem(certs().clientAlice),
  key: pem(certs().clientAliceKey),
});

async function sdk(broker: BrokerHandle, options: Partial<ConnectOptions>): Promise<Client> {
  // No user name unless a test gives one: the certificate says who the client is.
  const client = await connect(urlOf(broker, 'native'), { reconnect: false, ...options });
  clients.push(client);
  return client;
}

function mqttOver(broker: BrokerHandle, version: Version, options: Record<string, unknown>): Promise<MqttClient> {
  return mqttClients.connect(urlOf(broker, 'mqtts'), version, options);
}

/**
 * Resolves once the broker has closed an MQTT client's connection without a CONNACK (a refused
 * handshake ends in an error or a bare close, depending on who sees the alert first); rejects if it
 * connects. The client's own connect timeout is far beyond the test's, so only the broker closes it.
 */
function mqttShutOut(broker: BrokerHandle, options: Record<string, unknown>): Promise<void> {
  const client = mqtt.connect(urlOf(broker, 'mqtts'), {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 600_000,
    ...options,
  });
  client.on('error', () => {});
  return new Promise<void>((resolve, reject) => {
    client.once('connect', () => reject(new Error('the broker let the client in')));
    client.once('close', () => resolve());
  }).finally(() => client.end(true));
}

/** The identity an MQTT connection has, as the entitlements see it: the one home/<name>/x is granted to. */
async function mqttMayUse(client: MqttClient, name: string): Promise<boolean> {
  try {
    const granted = await client.subscribeAsync(`home/${name}/x`, { qos: 1 });
    return granted[0]!.qos === 1; // v3.1.1: 0x80 in the granted list
  } catch (err) {
    // mqtt.js rejects a refusing SUBACK (v5 0x87 not authorized, v3.1.1 0x80) and attaches it.
    const code = (err as { packet?: { granted?: number[] } }).packet?.granted?.[0];
    if (code === 0x87 || code === 0x80) return false;
    throw err;
  }
}

describe('requireClientCertificate', () => {
  it('logs a client on with its certificate alone, no user name: the identity is the subject CN (native and MQTT)', async () => {
    const broker = await start(mtlsConfig());
    const native = await sdk(broker, { tls: alice() });
    expect(native.user).toBe('alice');
    // An empty name (the old way to send none) is the same logon.
    expect((await sdk(broker, { user: '', tls: alice() })).user).toBe('alice');
    const mqtt = await mqttOver(broker, 5, alice());
    expect(await mqttMayUse(mqtt, 'alice')).toBe(true);
    expect(await mqttMayUse(mqtt, 'bob')).toBe(false);
  });

  it('refuses a client without a certificate, and one whose certificate another CA signed, at the handshake', async () => {
    const logs = new LogSink('debug');
    const broker = await start(mtlsConfig(), { logger: logs.logger });
    const stranger = {
      ca: pem(certs().ca),
      cert: pem(certs().unknownCaClientAlice),
      key: pem(certs().unknownCaClientAliceKey),
    };
    for (const tls of [{ ca: pem(certs().ca) }, stranger]) {
      // connectTimeoutMs far beyond the test's timeout: the failure must be the broker's refusal.
      await expect(sdk(broker, { tls, connectTimeoutMs: 600_000 })).rejects.toMatchObject({
        code: ClientErrorCodes.CONNECTION_FAILED,
      });
      await mqttShutOut(broker, tls);
    }
    // Nothing reached the protocol layer; the broker's debug log says why handshakes failed (for
    // the untrusted CA, TLS 1.3 clients often hang up before the broker's alert: no reason then).
    expect(broker.stats().connectionsAccepted).toBe(0);
    await logs.waitFor(
      'TLS handshake failed',
      (entry) => /peer did not return a certificate/.test(String(entry.reason)) && 'endpoint' in entry,
    );
    await logs.waitFor(
      'TLS handshake failed',
      (entry) => /peer did not return a certificate/.test(String(entry.reason)) && entry.listener === 'mqtts',
    );
  });
});

describe('tls-cert modes', () => {
  it('certificate-only (default): a user name must be the certificate identity; a password is not checked', async () => {
    const broker = await start(mtlsConfig());
    expect((await sdk(broker, { user: 'alice', password: 'anything', tls: alice() })).user).toBe('alice');
    await expect(sdk(broker, { user: 'bob', tls: alice() })).rejects.toMatchObject({ code: ErrorCodes.LOGON_FAILED });
    const refused = await mqttClients.refusal(urlOf(broker, 'mqtts'), 5, { username: 'bob', ...alice() });
    expect(refused.code).toBe(0x86);
    const named = await mqttOver(broker, 4, { username: 'alice', password: 'whatever', ...alice() });
    expect(await mqttMayUse(named, 'alice')).toBe(true);
  });

  it('certificate-wins: any user name is replaced by the certificate identity', async () => {
    const broker = await start(mtlsConfig({ mode: 'certificate-wins' }));
    expect((await sdk(broker, { user: 'bob', tls: alice() })).user).toBe('alice');
    const mqtt = await mqttOver(broker, 5, { username: 'bob', ...alice() });
    expect(await mqttMayUse(mqtt, 'alice')).toBe(true);
    expect(await mqttMayUse(mqtt, 'bob')).toBe(false);
  });

  it('must-match: the credentials module must accept the logon, as the certificate identity', async () => {
    const broker = await start(
      mtlsConfig({ mode: 'must-match', credentials: { module: 'users', options: { users } } }),
    );
    expect((await sdk(broker, { user: 'alice', password: 'alice-pw', tls: alice() })).user).toBe('alice');
    // SCRAM runs through the credentials module's challenge; the match is checked at its end.
    expect(
      (await sdk(broker, { user: 'alice', password: 'alice-pw', mechanism: 'SCRAM-SHA-256', tls: alice() })).user,
    ).toBe('alice');
    // bob's own password, on alice's certificate.
    await expect(sdk(broker, { user: 'bob', password: 'bob-pw', tls: alice() })).rejects.toMatchObject({
      code: ErrorCodes.LOGON_FAILED,
    });
    await expect(sdk(broker, { user: 'alice', password: 'wrong', tls: alice() })).rejects.toMatchObject({
      code: ErrorCodes.LOGON_FAILED,
    });
    // Two factors: the certificate is not enough, and the SDK says what is missing.
    await expect(sdk(broker, { tls: alice() })).rejects.toMatchObject({
      code: ErrorCodes.LOGON_FAILED,
      message:
        'logon refused: no user name was given, and this broker needs one (options.user) unless the listener identifies clients by their certificate (tls-cert) or logs them on implicitly',
    });

    const mqtt = await mqttOver(broker, 5, { username: 'alice', password: 'alice-pw', ...alice() });
    expect(await mqttMayUse(mqtt, 'alice')).toBe(true);
    expect(
      (await mqttClients.refusal(urlOf(broker, 'mqtts'), 5, { username: 'bob', password: 'bob-pw', ...alice() })).code,
    ).toBe(0x86);
    expect(
      (await mqttClients.refusal(urlOf(broker, 'mqtts'), 4, { username: 'alice', password: 'wrong', ...alice() })).code,
    ).toBe(4);
  });

  it('takes the identity from a subjectAltName when told to, and refuses certificates without one', async () => {
    const dir = certs().dir;
    const ca = { cert: certs().ca, key: certs().caKey };
    const device = await issueCertificate(ca, dir, 'client-device', {
      commonName: 'device-17',
      subjectAltNames: [
        'email:alice@example.test',
        'URI:spiffe://warden.test/user/alice',
        'DNS:alice.clients.warden.test',
      ],
      usage: 'client',
    });
    const deviceTls = { ca: pem(certs().ca), cert: pem(device.cert), key: pem(device.key) };
    const byEmail = await start(mtlsConfig({ identity: 'san-email' }));
    expect((await sdk(byEmail, { tls: deviceTls })).user).toBe('alice@example.test');
    const mqtt = await mqttOver(byEmail, 5, deviceTls);
    expect(await mqttMayUse(mqtt, 'alice@example.test')).toBe(true);
    expect(await mqttMayUse(mqtt, 'device-17')).toBe(false);
    const byUri = await start(mtlsConfig({ identity: 'san-uri' }));
    expect((await sdk(byUri, { tls: deviceTls })).user).toBe('spiffe://warden.test/user/alice');
    const byDns = await start(mtlsConfig({ identity: 'san-dns' }));
    expect((await sdk(byDns, { tls: deviceTls })).user).toBe('alice.clients.warden.test');
    // The dev client certificate has a CN but no subjectAltName.
    await expect(sdk(byEmail, { tls: alice() })).rejects.toMatchObject({ code: ErrorCodes.LOGON_FAILED });
  });

  it('refuses every logon on a listener without client certificates, and the broker warns about it at start', async () => {
    const logs = new LogSink();
    const broker = await start(
      {
        admin: { enabled: false },
        tls: { profiles: { main: serverProfile(certs()) } },
        listeners: [{ name: 'native', port: 0, tls: { profile: 'main' }, authentication: { module: 'tls-cert' } }],
      },
      { logger: logs.logger },
    );
    expect(
      await logs.waitFor(
        'the tls-cert authentication module will refuse every logon on this listener: it has no tls.requireClientCertificate',
      ),
    ).toMatchObject({
      listener: 'native',
    });
    await expect(sdk(broker, { user: 'alice', tls: alice() })).rejects.toMatchObject({ code: ErrorCodes.LOGON_FAILED });
  });

  it('checks its options: must-match needs a credentials module, the others take none', async () => {
    await expect(start(mtlsConfig({ mode: 'must-match' }))).rejects.toThrow(ConfigError);
    await expect(start(mtlsConfig({ mode: 'must-match' }))).rejects.toThrow(
      'listeners[0].authentication.options.credentials: expected { module, options } for mode must-match: the module that checks the password',
    );
    await expect(start(mtlsConfig({ credentials: { module: 'allow-any' } }))).rejects.toThrow(
      'listeners[0].authentication.options.credentials: expected no credentials module with mode certificate-only (only must-match checks a password)',
    );
    await expect(start(mtlsConfig({ identity: 'subject-o' }))).rejects.toThrow(
      /listeners\[0\]\.authentication\.options\.identity: expected one of "subject-cn", "san-dns", "san-email", "san-uri"/,
    );
  });
});
