// Certificate rotation without a restart: the admin action (HTTP and `warden admin reload-tls`)
// on an in-process broker, and SIGHUP on a real `warden` process. The proof is the fingerprint of
// the certificate a listener serves to a new connection, before and after.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import type { BrokerHandle } from '../../server/index.js';
import {
  encryptPrivateKey,
  issueCertificate,
  DEV_SERVER_NAMES,
  type IssuedCertificate,
} from '../../scripts/lib/dev-certificates.js';
import { CLI, runCli } from '../admin/cli-process.js';
import { useTempDirs, type TempDir } from '../helpers/temp-dir.js';
import { LogSink, pem, portOf, servedFingerprint, urlOf, useBrokers, useDevCertificates } from './tls-fixture.js';

const certs = useDevCertificates();
const start = useBrokers();
const temp = useTempDirs();
const clients: Client[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const ADMIN_AUTH = `Basic ${Buffer.from('ops:ops-pw').toString('base64')}`;

/** The live files a profile reads, in their own directory, so a test can replace them. */
function liveFiles(dir: TempDir): { cert: string; key: string } {
  const cert = join(dir.path, 'server.pem');
  const key = join(dir.path, 'server-key.pem');
  copyFileSync(certs().server, cert);
  copyFileSync(certs().serverKey, key);
  return { cert, key };
}

/** A new server certificate and key from the dev CA (a rotation), made elsewhere. */
function renewed(dir: TempDir, name = 'renewed'): Promise<IssuedCertificate> {
  return issueCertificate({ cert: certs().ca, key: certs().caKey }, dir.path, name, {
    commonName: 'localhost',
    subjectAltNames: DEV_SERVER_NAMES,
    usage: 'server',
  });
}

function install(from: IssuedCertificate, to: { cert: string; key: string }): void {
  copyFileSync(from.cert, to.cert);
  copyFileSync(from.key, to.key);
}

async function postReload(broker: BrokerHandle): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${broker.adminUrl!}/admin/tls/reload`, {
    method: 'POST',
    headers: { Authorization: ADMIN_AUTH },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('TLS reload through the admin listener', () => {
  it('serves the new certificate to new connections, keeps open ones, and keeps the old certificate when the new files are bad', async () => {
    const dir = temp();
    const live = liveFiles(dir);
    const logs = new LogSink();
    const broker = await start(
      {
        admin: { port: 0 },
        tls: { profiles: { main: { certificate: live.cert, privateKey: live.key } } },
        listeners: [
          { name: 'native', port: 0, tls: { profile: 'main' } },
          { name: 'mqtts', protocol: 'mqtt', port: 0, tls: { profile: 'main' } },
        ],
      },
      { logger: logs.logger },
    );
    const ca = pem(certs().ca);
    const before = await servedFingerprint(portOf(broker, 'mqtts'), ca);
    expect(await servedFingerprint(portOf(broker, 'native'), ca)).toBe(before);
    const open = await connect(urlOf(broker, 'native'), { user: 'alice', reconnect: false, tls: { ca } });
    clients.push(open);

    const next = await renewed(temp());
    install(next, live);
    // Files changed on disk are not read until asked.
    expect(await servedFingerprint(portOf(broker, 'mqtts'), ca)).toBe(before);

    const { status, body } = await postReload(broker);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      reloaded: 1,
      failed: 0,
      profiles: {
        main: { reloaded: true, certificate: { subject: 'CN=localhost', issuer: 'CN=Warden development CA' } },
      },
    });
    const after = (body.profiles as { main: { certificate: { fingerprint256: string } } }).main.certificate
      .fingerprint256;
    expect(after).not.toBe(before);
    expect(await servedFingerprint(portOf(broker, 'mqtts'), ca)).toBe(after);
    expect(await servedFingerprint(portOf(broker, 'native'), ca)).toBe(after);
    await open.ping(); // the connection made before the reload goes on

    // A key that is not PEM: the profile keeps the certificate it has.
    writeFileSync(live.key, 'not a key\n');
    const bad = await postReload(broker);
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({
      reloaded: 0,
      failed: 1,
      profiles: {
        main: {
          reloaded: false,
          error: expect.stringMatching(
            /^tls\.profiles\.main\.privateKey: ".*server-key\.pem" holds no usable PEM private key/,
          ),
        },
      },
    });
    expect(await servedFingerprint(portOf(broker, 'mqtts'), ca)).toBe(after);
    expect(await logs.waitFor('TLS profile not reloaded; it keeps its previous certificate')).toMatchObject({
      level: 50,
      profile: 'main',
      key: 'tls.profiles.main.privateKey',
    });
  });

  it('re-reads passphraseFile, and never logs a passphrase or key material', async () => {
    const dir = temp();
    const key = join(dir.path, 'server-key-encrypted.pem');
    const passphraseFile = join(dir.path, 'passphrase.txt');
    const cert = join(dir.path, 'server.pem');
    copyFileSync(certs().server, cert);
    copyFileSync(certs().serverKeyEncrypted, key);
    copyFileSync(certs().serverKeyPassphrase, passphraseFile);
    const logs = new LogSink('debug');
    const broker = await start(
      {
        admin: { port: 0 },
        tls: { profiles: { main: { certificate: cert, privateKey: key, passphraseFile } } },
        listeners: [{ name: 'mqtts', protocol: 'mqtt', port: 0, tls: { profile: 'main' } }],
      },
      { logger: logs.logger },
    );
    const ca = pem(certs().ca);
    const before = await servedFingerprint(portOf(broker, 'mqtts'), ca);

    // A rotated key under a new passphrase: both files change, and the reload reads both.
    const next = await renewed(temp());
    writeFileSync(passphraseFile, 'the-new-passphrase-4711\n');
    copyFileSync(next.cert, cert);
    await encryptPrivateKey(next.key, key, 'the-new-passphrase-4711');
    const good = await postReload(broker);
    expect(good.body).toMatchObject({ reloaded: 1, failed: 0 });
    const after = await servedFingerprint(portOf(broker, 'mqtts'), ca);
    expect(after).not.toBe(before);

    writeFileSync(passphraseFile, 'a-wrong-passphrase-0815\n');
    const wrong = await postReload(broker);
    expect(wrong.body).toMatchObject({
      failed: 1,
      profiles: {
        main: {
          reloaded: false,
          error: expect.stringMatching(
            /^tls\.profiles\.main\.passphraseFile: the passphrase does not decrypt the private key in /,
          ),
        },
      },
    });
    expect(await servedFingerprint(portOf(broker, 'mqtts'), ca)).toBe(after);
    await logs.waitFor('TLS profile not reloaded; it keeps its previous certificate');
    const everything = logs.text.join('');
    for (const secret of [
      'the-new-passphrase-4711',
      'a-wrong-passphrase-0815',
      'PRIVATE KEY',
      pem(certs().serverKeyPassphrase).toString('utf8').trim(),
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('is `warden admin reload-tls`, which exits 1 when a profile kept its old certificate', async () => {
    const dir = temp();
    const live = liveFiles(dir);
    const broker = await start({
      admin: { port: 0 },
      tls: { profiles: { main: { certificate: live.cert, privateKey: live.key } } },
      listeners: [{ name: 'mqtts', protocol: 'mqtt', port: 0, tls: { profile: 'main' } }],
    });
    const env = { WARDEN_ADMIN_USER: 'ops', WARDEN_ADMIN_PASSWORD: 'ops-pw' };
    const ok = await runCli(['admin', 'reload-tls', '--url', broker.adminUrl!], { env });
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(ok.stdout)).toMatchObject({ reloaded: 1, failed: 0, profiles: { main: { reloaded: true } } });

    writeFileSync(live.cert, 'not a certificate\n');
    const failed = await runCli(['admin', 'reload-tls', '--url', broker.adminUrl!], { env });
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ reloaded: 0, failed: 1 });
    expect(failed.stderr).toBe(
      'warden admin: 1 TLS profile kept the previous certificate (see "error" in the answer and the broker log)\n',
    );
  });
});

describe('TLS in a live reload of the config', () => {
  it('takes new file paths for a profile; a profile that does not load refuses the whole reload', async () => {
    const dir = temp();
    const live = liveFiles(dir);
    const next = await renewed(temp());
    const config = (files: { cert: string; key: string }, level: 'silent' | 'error' = 'silent') => ({
      log: { level },
      tls: { profiles: { main: { certificate: files.cert, privateKey: files.key } } },
      listeners: [{ name: 'mqtts', protocol: 'mqtt' as const, port: 0, tls: { profile: 'main' } }],
    });
    let current = config(live);
    const broker = await start(current, { reloadFrom: { load: () => current } });
    const ca = pem(certs().ca);
    const before = await servedFingerprint(portOf(broker, 'mqtts'), ca);

    current = config({ cert: next.cert, key: next.key });
    expect(await broker.reload()).toMatchObject({
      applied: true,
      changed: ['tls.profiles.main.certificate', 'tls.profiles.main.privateKey'],
      tls: { reloaded: 1, failed: 0, profiles: { main: { reloaded: true } } },
    });
    const after = await servedFingerprint(portOf(broker, 'mqtts'), ca);
    expect(after).not.toBe(before);

    // The key of the old certificate with the new one: nothing is applied, not even log.level.
    current = config({ cert: next.cert, key: live.key }, 'error');
    const refused = await broker.reload();
    expect(refused).toMatchObject({ applied: false, changed: ['log.level', 'tls.profiles.main.privateKey'] });
    expect(refused.error).toMatch(
      /^invalid Warden configuration:\n {2}tls\.profiles\.main\.privateKey: the private key in /,
    );
    expect(await servedFingerprint(portOf(broker, 'mqtts'), ca)).toBe(after);
  });
});

describe('TLS reload on SIGHUP (a live reload of the config)', () => {
  it('re-reads the certificate files of a running warden process', async () => {
    const dir = temp();
    const live = liveFiles(dir);
    const config = dir.write(
      'warden.yaml',
      [
        'admin: { enabled: false }',
        'tls:',
        '  profiles:',
        '    main: { certificate: server.pem, privateKey: server-key.pem }',
        'listeners:',
        '  - { name: mqtts, protocol: mqtt, host: 127.0.0.1, port: 0, tls: { profile: main } }',
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, '--config', config], {
      cwd: dir.path,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines = logLines(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const listening = await lines.next((entry) => entry.msg === 'listening');
    await lines.next((entry) => entry.msg === 'warden started');
    const port = Number(new URL(String(listening.url)).port);
    const ca = pem(certs().ca);
    const before = await servedFingerprint(port, ca);

    // SIGHUP is a live reload of the whole config (docs/admin.md#live-reload), TLS files included.
    install(await renewed(temp()), live);
    child.kill('SIGHUP');
    expect(await lines.next((entry) => entry.msg === 'TLS profile reloaded')).toMatchObject({ profile: 'main' });
    expect(await lines.next((entry) => entry.msg === 'config reloaded')).toMatchObject({ via: 'SIGHUP', changed: [] });
    const after = await servedFingerprint(port, ca);
    expect(after).not.toBe(before);

    // A bad file on the next SIGHUP: the reload is refused whole and says why, the old certificate
    // stays, the process goes on.
    writeFileSync(live.cert, 'garbage\n');
    child.kill('SIGHUP');
    const failed = await lines.next((entry) => entry.msg?.toString().startsWith('config reload failed') === true);
    expect(failed.error).toMatch(/^invalid Warden configuration:\n {2}tls\.profiles\.main\.certificate: /);
    expect(await servedFingerprint(port, ca)).toBe(after);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

/** The JSON log lines of a child process, to await in order. */
function logLines(child: ChildProcess): {
  next(pred: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
} {
  const seen: Record<string, unknown>[] = [];
  let read = 0;
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    seen.push(JSON.parse(line) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    async next(pred) {
      for (;;) {
        while (read < seen.length) {
          const entry = seen[read++]!;
          if (pred(entry)) return entry;
        }
        await new Promise<void>((resolve, reject) => {
          waiters.push(resolve);
          child.once('exit', (code) => reject(new Error(`warden exited with ${code}`)));
        });
      }
    },
  };
}
