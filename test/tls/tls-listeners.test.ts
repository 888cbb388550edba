// TLS listeners end to end: the native protocol over wss:// (SDK), MQTT over mqtts:// and over
// wss:// (npm mqtt), protocol versions (TLS 1.1 refused unless a profile allows it), an encrypted
// private key with its passphrase from a file, the SDK's tls option, and shutdown with handshakes
// still in progress.
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, ClientErrorCodes, type Client } from '../../client/index.js';
import { loadConfigFile, MemoryStore, startBroker } from '../../server/index.js';
import { MqttClients } from '../mqtt/mqtt-helpers.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import {
  handshake,
  LogSink,
  pem,
  portOf,
  serverProfile,
  urlOf,
  useBrokers,
  useDevCertificates,
} from './tls-fixture.js';

const certs = useDevCertificates();
const start = useBrokers();
const mqttClients = new MqttClients();
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await mqttClients.teardown();
});

/** A native, an MQTT TCP and an MQTT WebSocket listener, all on TLS profile `main`, on ephemeral ports. */
function tlsBrokerConfig(profile: Record<string, unknown> = serverProfile(certs())): Record<string, unknown> {
  const tls = { profile: 'main' };
  return {
    admin: { enabled: false },
    tls: { profiles: { main: profile } },
    listeners: [
      { name: 'native', port: 0, tls },
      { name: 'mqtts', protocol: 'mqtt', transport: 'tcp', port: 0, tls },
      { name: 'mqtt-wss', protocol: 'mqtt', transport: 'websocket', port: 0, path: '/mqtt', tls },
    ],
  };
}

async function sdk(url: string, options: Parameters<typeof connect>[1]): Promise<Client> {
  const client = await connect(url, { reconnect: false, ...options });
  clients.push(client);
  return client;
}

describe('TLS listeners', () => {
  it('serve wss:// and mqtts:// URLs, and clients trusting the CA exchange messages over them', async () => {
    const broker = await start(tlsBrokerConfig());
    const nativeUrl = urlOf(broker, 'native');
    expect(nativeUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    expect(urlOf(broker, 'mqtts')).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(urlOf(broker, 'mqtt-wss')).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/);

    const native = await sdk(nativeUrl, { user: 'alice', password: 'pw', tls: { ca: pem(certs().ca) } });
    const received: unknown[] = [];
    const got = new Promise<void>((resolve) => {
      void native.subscribe({ topic: 'news/#' }, (message) => {
        received.push([
          message.topic,
          message.bytes === undefined ? message.data : Buffer.from(message.bytes).toString(),
        ]);
        if (received.length === 2) resolve();
      });
    });
    await native.ping();

    const overTcp = await mqttClients.connect(urlOf(broker, 'mqtts'), 5, {
      username: 'bob',
      password: 'pw',
      ca: pem(certs().ca),
    });
    const overWs = await mqttClients.connect(urlOf(broker, 'mqtt-wss'), 4, {
      username: 'carol',
      password: 'pw',
      ca: pem(certs().ca),
    });
    await overTcp.publishAsync('news/tcp', 'over mqtts', { qos: 1 });
    await overWs.publishAsync('news/ws', 'over wss', { qos: 1 });
    await got;
    expect(received).toEqual(
      expect.arrayContaining([
        ['news/tcp', 'over mqtts'],
        ['news/ws', 'over wss'],
      ]),
    );
  });

  it("refuses clients that do not trust the certificate (the dev CA is not in Node's list)", async () => {
    const broker = await start(tlsBrokerConfig());
    await expect(sdk(urlOf(broker, 'native'), { user: 'alice', password: 'pw' })).rejects.toMatchObject({
      code: ClientErrorCodes.CONNECTION_FAILED,
      message: expect.stringMatching(/self[- ]signed|unable to (get|verify)/i),
    });
    const refusal = await mqttClients.refusal(urlOf(broker, 'mqtts'), 5, { username: 'bob', password: 'pw' });
    expect(refusal.message).toMatch(/self[- ]signed|unable to (get|verify)/i);
    expect(broker.stats().connectionsAccepted).toBe(0);
  });

  it('matches the certificate to the host name: localhost and 127.0.0.1 are in it, other names are not', async () => {
    const broker = await start(tlsBrokerConfig());
    const port = portOf(broker, 'mqtts');
    expect(await handshake(port, { ca: pem(certs().ca), servername: 'localhost' })).toMatchObject({ ok: true });
    const wrong = await handshake(port, { ca: pem(certs().ca), servername: 'broker.example.com' });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' } });
  });
});

describe('shutdown', () => {
  it('drops connections still in their TLS handshake, on TCP and WebSocket listeners', async () => {
    const broker = await startBroker(tlsBrokerConfig(), { logger: new LogSink().logger, store: new MemoryStore() });
    const halfOpen = await Promise.all(
      ['mqtts', 'native'].map(
        (name) =>
          new Promise<Socket>((resolve) => {
            const socket = netConnect(portOf(broker, name), '127.0.0.1', () => resolve(socket));
          }),
      ),
    );
    const closed = halfOpen.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
    await broker.close();
    await Promise.all(closed);
  });
});

describe('TLS versions', () => {
  const TLS11_CLIENT = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;

  it('uses TLS 1.2 or later by default and refuses a client that offers at most TLS 1.1', async () => {
    const broker = await start(tlsBrokerConfig());
    const port = portOf(broker, 'mqtts');
    const modern = await handshake(port, { ca: pem(certs().ca) });
    expect(modern).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
    // The client's ciphers allow TLS 1.1 at OpenSSL 3's security level 0, so the refusal is the broker's.
    const old = await handshake(port, { ca: pem(certs().ca), ...TLS11_CLIENT });
    expect(old).toMatchObject({ ok: false, error: { code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' } });
  });

  it('accepts TLS 1.1 only where a profile sets minVersion explicitly, and warns about it', async () => {
    const logs = new LogSink();
    const profile = serverProfile(certs(), { minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    const broker = await start(tlsBrokerConfig(profile), { logger: logs.logger });
    const old = await handshake(portOf(broker, 'mqtts'), { ca: pem(certs().ca), ...TLS11_CLIENT });
    expect(old).toMatchObject({ ok: true, protocol: 'TLSv1.1' });
    const warning = await logs.waitFor(
      'TLS profile allows TLS versions below 1.2, which are deprecated (RFC 8996); OpenSSL 3 also needs ciphers with @SECLEVEL=0 for them',
    );
    expect(warning).toMatchObject({ level: 40, profile: 'main', minVersion: 'TLSv1.1' });
  });

  it('caps the version at maxVersion', async () => {
    const broker = await start(tlsBrokerConfig(serverProfile(certs(), { maxVersion: 'TLSv1.2' })));
    expect(await handshake(portOf(broker, 'mqtts'), { ca: pem(certs().ca) })).toMatchObject({
      ok: true,
      protocol: 'TLSv1.2',
    });
  });
});

describe('encrypted private keys', () => {
  it('loads an encrypted key with the passphrase from ${file:...}, relative to the config file', async () => {
    const dir = makeTempDir('warden-tls-config-');
    const config = loadConfigFile(
      dir.write(
        'warden.yaml',
        [
          'admin: { enabled: false }',
          'tls:',
          '  profiles:',
          '    main:',
          `      certificate: ${JSON.stringify(certs().server)}`,
          `      privateKey: ${JSON.stringify(certs().serverKeyEncrypted)}`,
          `      passphrase: \${file:${certs().serverKeyPassphrase}}`,
          'listeners:',
          '  - { name: mqtts, protocol: mqtt, port: 0, tls: { profile: main } }',
          '',
        ].join('\n'),
      ),
      {},
    );
    const broker = await start(config);
    const client = await mqttClients.connect(urlOf(broker, 'mqtts'), 5, {
      username: 'alice',
      password: 'pw',
      ca: pem(certs().ca),
    });
    expect(client.connected).toBe(true);
  });

  it('loads an encrypted key with passphraseFile', async () => {
    const profile = {
      certificate: certs().server,
      privateKey: certs().serverKeyEncrypted,
      passphraseFile: certs().serverKeyPassphrase,
    };
    const broker = await start(tlsBrokerConfig(profile));
    expect(await handshake(portOf(broker, 'mqtts'), { ca: pem(certs().ca) })).toMatchObject({ ok: true });
  });
});

describe('the SDK tls option', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is passed to ws even where the platform has a WebSocket of its own (which cannot take TLS options)', async () => {
    const broker = await start(tlsBrokerConfig());
    vi.stubGlobal(
      'WebSocket',
      class {
        constructor() {
          throw new Error('the global WebSocket must not be used with options.tls');
        }
      },
    );
    const client = await sdk(urlOf(broker, 'native'), {
      user: 'alice',
      password: 'pw',
      tls: { ca: [pem(certs().ca).toString('utf8')] },
    });
    expect(client.user).toBe('alice');
  });

  it('is refused with a ws: URL, or with fields it does not know', async () => {
    await expect(connect('ws://127.0.0.1:1/', { user: 'a', tls: { ca: 'x' } })).rejects.toThrow(
      new TypeError('options.tls applies to wss: URLs only, not "ws:"'),
    );
    await expect(
      connect('wss://127.0.0.1:1/', { user: 'a', tls: { ca: 'x', rejectUnauthorized: false } as never }),
    ).rejects.toThrow(/^options\.tls\.rejectUnauthorized is not a TLS option/);
  });
});
