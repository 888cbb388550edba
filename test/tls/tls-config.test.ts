// The TLS configuration: profile and listener keys, the checks across them (profile names, client
// certificates need a CA, uws has no TLS, a shared port has one TLS setup), the mqtts default
// port, and the errors a broker gives at start for files it cannot use, each naming its key and
// never showing a passphrase.
import { copyFileSync, readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server/index.js';
import { loadTlsMaterial } from '../../server/tls/tls-material.js';
import { configErrorOf } from '../config/errors-of.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { pem, serverProfile, useBrokers, useDevCertificates, type TlsProfileInput } from './tls-fixture.js';

const certs = useDevCertificates();
const start = useBrokers();
const temp = useTempDirs();

const PROFILE = { certificate: 'server.pem', privateKey: 'server-key.pem' };

function errorsOf(run: () => unknown): string[] {
  return configErrorOf(run).issues.map((issue) => `${issue.path}: ${issue.message}`);
}

describe('TLS config', () => {
  it("has no profiles by default, and TLS 1.2 as a profile's lowest version", () => {
    expect(parseConfig({}).tls).toEqual({ profiles: {} });
    expect(parseConfig({ tls: { profiles: { main: PROFILE } } }).tls.profiles.main).toEqual({
      ...PROFILE,
      minVersion: 'TLSv1.2',
    });
  });

  it('gives an MQTT TCP listener with tls and no port the MQTT-over-TLS port 8883', () => {
    const config = parseConfig({
      tls: { profiles: { main: PROFILE } },
      listeners: [
        { name: 'mqtts', protocol: 'mqtt', tls: { profile: 'main' } },
        { name: 'mqtt', protocol: 'mqtt' },
        { name: 'explicit', protocol: 'mqtt', port: 1884, tls: { profile: 'main' } },
      ],
    });
    expect(config.listeners.map((l) => [l.name, l.port])).toEqual([
      ['mqtts', 8883],
      ['mqtt', 1883],
      ['explicit', 1884],
    ]);
    expect(config.listeners[0]).toMatchObject({ tls: { profile: 'main', requireClientCertificate: false } });
  });

  it.each([
    [
      'an unknown profile',
      { tls: { profiles: { main: PROFILE } }, listeners: [{ port: 0, tls: { profile: 'mian' } }] },
      'listeners[0].tls.profile: expected the name of a profile in tls.profiles (one of "main"), got "mian"',
    ],
    [
      'a profile when none are defined',
      { listeners: [{ port: 0, tls: { profile: 'main' } }] },
      'listeners[0].tls.profile: expected the name of a profile in tls.profiles (tls.profiles defines none), got "main"',
    ],
    [
      'client certificates without a CA to check them against',
      {
        tls: { profiles: { main: PROFILE } },
        listeners: [{ port: 0, tls: { profile: 'main', requireClientCertificate: true } }],
      },
      'listeners[0].tls.requireClientCertificate: expected false, or a ca in tls.profiles.main (the CAs client certificates are checked against), got true',
    ],
    [
      'a plain and a TLS WebSocket listener on one port',
      {
        tls: { profiles: { main: PROFILE } },
        listeners: [
          { port: 9443, tls: { profile: 'main' } },
          { name: 'mqtt-ws', protocol: 'mqtt', transport: 'websocket', port: 9443 },
        ],
      },
      'listeners[1].tls: expected the same tls as listeners[0] on 127.0.0.1:9443 (WebSocket listeners on one host:port share one server, so one TLS setup), got nothing',
    ],
    [
      'both passphrase forms',
      { tls: { profiles: { main: { ...PROFILE, passphrase: 'p', passphraseFile: 'p.txt' } } } },
      'tls.profiles.main.passphraseFile: expected passphrase or passphraseFile, not both, got "p.txt"',
    ],
    [
      'a maximum version below the minimum',
      { tls: { profiles: { main: { ...PROFILE, maxVersion: 'TLSv1.1' } } } },
      'tls.profiles.main.maxVersion: expected a version no lower than minVersion (TLSv1.2), got "TLSv1.1"',
    ],
    [
      'an unknown version',
      { tls: { profiles: { main: { ...PROFILE, minVersion: 'SSLv3' } } } },
      'tls.profiles.main.minVersion: expected one of "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", got "SSLv3"',
    ],
    [
      'a bad profile name',
      { tls: { profiles: { 'my profile': PROFILE } } },
      'tls.profiles["my profile"]: expected a profile name of 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, got "my profile"',
    ],
    [
      'a misspelt key',
      { tls: { profiles: { main: { ...PROFILE, privatekey: 'k.pem' } } } },
      'tls.profiles.main.privatekey: unknown key (did you mean "privateKey"?)',
    ],
  ])('refuses %s', (_label, config, message) => {
    expect(errorsOf(() => parseConfig(config))).toContain(message);
  });

  it('never shows a passphrase in an error, even one written in the file', () => {
    const errors = errorsOf(() => parseConfig({ tls: { profiles: { main: { ...PROFILE, passphrase: 123456 } } } }));
    expect(errors).toEqual([
      'tls.profiles.main.passphrase: expected the private key passphrase as a string, got <secret>',
    ]);
  });
});

describe('TLS files at start', () => {
  /** Starts a broker with one mqtts listener on profile `main` = `profile`; resolves with the ConfigError lines. */
  async function startErrors(profile: TlsProfileInput): Promise<string[]> {
    try {
      await start({
        admin: { enabled: false },
        tls: { profiles: { main: profile } },
        listeners: [{ name: 'mqtts', protocol: 'mqtt', port: 0, tls: { profile: 'main' } }],
      });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return [...(err as ConfigError).issues].map((issue) => `${issue.path}: ${issue.message}`);
    }
    throw new Error('the broker started');
  }

  it('resolves relative paths against the config directory (baseDir)', async () => {
    const dir = temp();
    copyFileSync(certs().server, join(dir.path, 'server.pem'));
    copyFileSync(certs().serverKey, join(dir.path, 'server-key.pem'));
    const broker = await start(
      {
        admin: { enabled: false },
        tls: { profiles: { main: PROFILE } },
        listeners: [{ name: 'mqtts', protocol: 'mqtt', port: 0, tls: { profile: 'main' } }],
      },
      { baseDir: dir.path },
    );
    expect(broker.listeners[0]!.url).toMatch(/^mqtts:/);
  });

  it('refuses to start on a missing file, naming the key and the path', async () => {
    const missing = join(temp().path, 'nope.pem');
    expect(await startErrors(serverProfile(certs(), { certificate: missing }))).toEqual([
      `tls.profiles.main.certificate: cannot read file ${JSON.stringify(missing)} (ENOENT)`,
    ]);
  });

  it('refuses a file that is not a certificate, a key for another certificate, and bad CA files and ciphers', async () => {
    const junk = temp().write('junk.pem', 'hello\n');
    expect(await startErrors(serverProfile(certs(), { certificate: junk }))).toEqual([
      expect.stringMatching(/^tls\.profiles\.main\.certificate: ".*junk\.pem" holds no PEM certificate \(/),
    ]);
    expect(await startErrors(serverProfile(certs(), { privateKey: certs().clientAliceKey }))).toEqual([
      `tls.profiles.main.privateKey: the private key in ${JSON.stringify(certs().clientAliceKey)} does not belong to the certificate in ${JSON.stringify(certs().server)}`,
    ]);
    expect(await startErrors(serverProfile(certs(), { ca: junk }))).toEqual([
      `tls.profiles.main.ca: ${JSON.stringify(junk)} holds no PEM certificate`,
    ]);
    const broken = temp().write(
      'broken-ca.pem',
      `${pem(certs().ca).toString('utf8')}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`,
    );
    expect(await startErrors(serverProfile(certs(), { ca: broken }))).toEqual([
      expect.stringMatching(/^tls\.profiles\.main\.ca: certificate 2 in ".*broken-ca\.pem" cannot be read \(/),
    ]);
    expect(await startErrors(serverProfile(certs(), { ciphers: 'NOT-A-CIPHER' }))).toEqual([
      expect.stringMatching(/^tls\.profiles\.main\.ciphers: the cipher list "NOT-A-CIPHER" cannot be used \(/),
    ]);
  });

  it('refuses an encrypted key without its passphrase, or with a wrong one, without showing it', async () => {
    const encrypted = { certificate: certs().server, privateKey: certs().serverKeyEncrypted };
    expect(await startErrors(encrypted)).toEqual([
      `tls.profiles.main.privateKey: the private key in ${JSON.stringify(certs().serverKeyEncrypted)} is encrypted: set passphrase or passphraseFile`,
    ]);
    const wrong = await startErrors({ ...encrypted, passphrase: 'not-the-passphrase-9' });
    expect(wrong).toEqual([
      `tls.profiles.main.passphrase: the passphrase does not decrypt the private key in ${JSON.stringify(certs().serverKeyEncrypted)}`,
    ]);
    const wrongFile = temp().write('wrong.txt', 'not-the-passphrase-9\n');
    expect(await startErrors({ ...encrypted, passphraseFile: wrongFile })).toEqual([
      `tls.profiles.main.passphraseFile: the passphrase does not decrypt the private key in ${JSON.stringify(certs().serverKeyEncrypted)}`,
    ]);
  });

  it('names the passphrase when a wrong one passes the padding check by chance and the key does not parse', () => {
    // About one wrong passphrase in 256 decrypts to well-padded garbage: OpenSSL then says
    // "unsupported", not "bad decrypt". Find one for this key (bounded), and check the blame.
    const key = readFileSync(certs().serverKeyEncrypted);
    let lucky: string | undefined;
    for (let i = 0; i < 20_000 && lucky === undefined; i++) {
      try {
        createPrivateKey({ key, format: 'pem', passphrase: `wrong-${i}` });
      } catch (err) {
        if (!/bad decrypt/i.test((err as Error).message)) lucky = `wrong-${i}`;
      }
    }
    expect(lucky).toBeDefined();
    const profile = parseConfig({
      tls: {
        profiles: { main: { certificate: certs().server, privateKey: certs().serverKeyEncrypted, passphrase: lucky } },
      },
    }).tls.profiles.main!;
    expect(() => loadTlsMaterial(profile, '/')).toThrow(
      `the passphrase does not decrypt the private key in ${JSON.stringify(certs().serverKeyEncrypted)}`,
    );
  });

  it('reports every unusable profile at once', async () => {
    const missing = join(temp().path, 'gone.pem');
    try {
      await start({
        admin: { enabled: false },
        tls: {
          profiles: {
            a: serverProfile(certs(), { certificate: missing }),
            b: serverProfile(certs(), { privateKey: missing }),
          },
        },
        listeners: [{ port: 0 }],
      });
      throw new Error('the broker started');
    } catch (err) {
      expect((err as ConfigError).issues.map((issue) => issue.path)).toEqual([
        'tls.profiles.a.certificate',
        'tls.profiles.b.privateKey',
      ]);
    }
  });
});
