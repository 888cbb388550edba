// Development and test certificates, made with the `openssl` command: a CA, a server certificate
// for 127.0.0.1 / ::1 / localhost, a client certificate for "alice", and the same client from a
// second CA the broker does not trust. `npm run certs:dev` writes them to config/examples/certs/;
// the TLS tests call generateDevCertificates() on a temp dir. EC P-256 keys: quick to make, and
// accepted by every TLS version Node still speaks (the TLS 1.1 tests need that).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Paths of everything generateDevCertificates() writes. */
export interface DevCertificates {
  readonly dir: string;
  /** The CA the broker trusts (client certificates must chain to it; clients verify the server with it). */
  readonly ca: string;
  readonly caKey: string;
  readonly server: string;
  readonly serverKey: string;
  /** The same server key, encrypted (AES-256, PKCS#8) with the passphrase in `serverKeyPassphrase`. */
  readonly serverKeyEncrypted: string;
  /** A file holding the passphrase and a newline (`passphrase: ${file:...}` strips the newline). */
  readonly serverKeyPassphrase: string;
  readonly clientAlice: string;
  readonly clientAliceKey: string;
  /** A CA the broker does not trust, and a client "alice" it signed. */
  readonly unknownCa: string;
  readonly unknownCaClientAlice: string;
  readonly unknownCaClientAliceKey: string;
}

export interface CertificateAuthority {
  readonly cert: string;
  readonly key: string;
}

export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
}

export interface CertificateRequest {
  readonly commonName: string;
  /** openssl subjectAltName entries, e.g. `DNS:localhost`, `IP:127.0.0.1`, `email:alice@example.com`, `URI:spiffe://x/alice`. */
  readonly subjectAltNames?: readonly string[];
  /** serverAuth or clientAuth in extendedKeyUsage. */
  readonly usage: 'server' | 'client';
}

/** The server certificate's names: what clients connecting to a local broker check it against. */
export const DEV_SERVER_NAMES: readonly string[] = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1'];

const CA_DAYS = 3650;
/** The longest validity browsers accept for a server certificate. */
const LEAF_DAYS = 398;

/** Writes the full set into `dir` (created if missing); existing files of the same names are replaced. */
export async function generateDevCertificates(
  dir: string,
  options: { passphrase?: string } = {},
): Promise<DevCertificates> {
  mkdirSync(dir, { recursive: true });
  const ca = await createCertificateAuthority(dir, 'ca', 'Warden development CA');
  const server = await issueCertificate(ca, dir, 'server', {
    commonName: 'localhost',
    subjectAltNames: DEV_SERVER_NAMES,
    usage: 'server',
  });
  const passphrase = options.passphrase ?? randomBytes(18).toString('base64url');
  const serverKeyPassphrase = writePrivate(join(dir, 'server-key-passphrase.txt'), `${passphrase}\n`);
  const serverKeyEncrypted = await encryptPrivateKey(server.key, join(dir, 'server-key-encrypted.pem'), passphrase);
  const alice = await issueCertificate(ca, dir, 'client-alice', { commonName: 'alice', usage: 'client' });
  const unknownCa = await createCertificateAuthority(dir, 'unknown-ca', 'Warden development CA (not trusted)');
  const stranger = await issueCertificate(unknownCa, dir, 'unknown-ca-client-alice', {
    commonName: 'alice',
    usage: 'client',
  });
  return {
    dir,
    ca: ca.cert,
    caKey: ca.key,
    server: server.cert,
    serverKey: server.key,
    serverKeyEncrypted,
    serverKeyPassphrase,
    clientAlice: alice.cert,
    clientAliceKey: alice.key,
    unknownCa: unknownCa.cert,
    unknownCaClientAlice: stranger.cert,
    unknownCaClientAliceKey: stranger.key,
  };
}

/** A self-signed CA: `<name>.pem` and `<name>-key.pem` in `dir`. */
export async function createCertificateAuthority(
  dir: string,
  name: string,
  commonName: string,
): Promise<CertificateAuthority> {
  const key = await generateKey(join(dir, `${name}-key.pem`));
  const cert = join(dir, `${name}.pem`);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-sha256',
    '-days',
    String(CA_DAYS),
    '-subj',
    subject(commonName),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    cert,
  ]);
  return { cert, key };
}

/** A certificate signed by `ca`: `<name>.pem` and `<name>-key.pem` in `dir`. */
export async function issueCertificate(
  ca: CertificateAuthority,
  dir: string,
  name: string,
  request: CertificateRequest,
): Promise<IssuedCertificate> {
  const key = await generateKey(join(dir, `${name}-key.pem`));
  const cert = join(dir, `${name}.pem`);
  const work = mkdtempSync(join(tmpdir(), 'warden-certs-'));
  try {
    const csr = join(work, 'request.csr');
    const extensions = join(work, 'extensions.cnf');
    writeFileSync(extensions, extensionLines(request).join('\n') + '\n');
    await openssl(['req', '-new', '-key', key, '-subj', subject(request.commonName), '-out', csr]);
    await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      randomSerial(),
      '-days',
      String(LEAF_DAYS),
      '-sha256',
      '-extfile',
      extensions,
      '-out',
      cert,
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { cert, key };
}

/** PKCS#8 encrypted with AES-256; the passphrase goes to openssl through its environment, never its arguments (`ps`). */
export async function encryptPrivateKey(keyFile: string, outFile: string, passphrase: string): Promise<string> {
  await openssl(['pkey', '-in', keyFile, '-aes256', '-passout', 'env:WARDEN_DEV_CERTS_PASSPHRASE', '-out', outFile], {
    WARDEN_DEV_CERTS_PASSPHRASE: passphrase,
  });
  chmodSync(outFile, 0o600);
  return outFile;
}

function extensionLines(request: CertificateRequest): string[] {
  const lines = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    `extendedKeyUsage=${request.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
  ];
  if (request.subjectAltNames !== undefined && request.subjectAltNames.length > 0)
    lines.push(`subjectAltName=${request.subjectAltNames.join(',')}`);
  return lines;
}

async function generateKey(file: string): Promise<string> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  chmodSync(file, 0o600);
  return file;
}

function writePrivate(file: string, text: string): string {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** `/CN=<name>`, with the characters openssl's -subj syntax treats specially escaped. */
function subject(commonName: string): string {
  return `/CN=${commonName.replace(/[\\/+=]/g, (c) => `\\${c}`)}`;
}

/** 128 random bits with the top bit clear: a positive serial, unique without a serial file. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return `0x${bytes.toString('hex')}`;
}

function openssl(args: readonly string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { env: { ...process.env, ...env } }, (error, _stdout, stderr) => {
      if (error === null) return resolve();
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new Error(
          missing
            ? 'the openssl command was not found; install it (Debian/Ubuntu: apt-get install openssl)'
            : `openssl ${args[0]} failed: ${stderr.trim() || error.message}`,
          { cause: error },
        ),
      );
    });
  });
}
