// Reads one TLS profile's files and checks each piece on its own (certificate, private key and
// passphrase, key/certificate pair, CAs, ciphers), so a failure names the key at fault. Messages
// carry paths and OpenSSL's reason, never file contents or the passphrase.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { TlsProfileConfig } from '../config/index.js';

/** What a profile's certificate is, for logs and the admin answer (public facts only). */
export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  /** SHA-256 of the DER certificate, colon-separated hex (as `openssl x509 -fingerprint -sha256` prints it). */
  readonly fingerprint256: string;
  readonly validFrom: string;
  readonly validTo: string;
}

export interface TlsMaterial {
  /** For tls.createServer / setSecureContext. Holds the key and passphrase: never log it. */
  readonly context: SecureContextOptions;
  readonly certificate: CertificateSummary;
  /** The certificate's validity has ended, or not begun (served anyway; the broker warns). */
  readonly outsideValidity: boolean;
}

/** A profile that cannot be used; `key` is the profile key at fault (`privateKey`, `ca`, ...). */
export class TlsMaterialError extends Error {
  override readonly name = 'TlsMaterialError';
  constructor(
    readonly key: keyof TlsProfileConfig,
    message: string,
  ) {
    super(message);
  }
}

export function loadTlsMaterial(profile: TlsProfileConfig, baseDir: string, now: Date = new Date()): TlsMaterial {
  const certFile = resolve(baseDir, profile.certificate);
  const cert = readProfileFile('certificate', certFile);
  const x509 = parse('certificate', () => new X509Certificate(cert), `${quote(certFile)} holds no PEM certificate`);

  const keyFile = resolve(baseDir, profile.privateKey);
  const key = readProfileFile('privateKey', keyFile);
  const passphrase =
    profile.passphraseFile === undefined
      ? profile.passphrase
      : passphraseFrom(resolve(baseDir, profile.passphraseFile));
  const privateKey = privateKeyFrom(
    key,
    passphrase,
    keyFile,
    profile.passphraseFile === undefined ? 'passphrase' : 'passphraseFile',
  );
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsMaterialError(
      'privateKey',
      `the private key in ${quote(keyFile)} does not belong to the certificate in ${quote(certFile)}`,
    );
  }

  let ca: Buffer | undefined;
  if (profile.ca !== undefined) {
    const caFile = resolve(baseDir, profile.ca);
    ca = readProfileFile('ca', caFile);
    checkCertificates(ca, caFile);
  }

  const context: SecureContextOptions = {
    cert,
    key,
    passphrase,
    ca,
    ciphers: profile.ciphers,
    minVersion: profile.minVersion,
    maxVersion: profile.maxVersion,
  };
  // Everything but the ciphers first, so a cipher list OpenSSL refuses is told apart from the rest.
  parse(
    'certificate',
    () => createSecureContext({ ...context, ciphers: undefined }),
    `the certificate in ${quote(certFile)} cannot be served with its key`,
  );
  if (profile.ciphers !== undefined)
    parse(
      'ciphers',
      () => createSecureContext(context),
      `the cipher list ${JSON.stringify(profile.ciphers)} cannot be used`,
    );
  const validFrom = new Date(x509.validFrom);
  const validTo = new Date(x509.validTo);
  return {
    context,
    certificate: {
      subject: oneLine(x509.subject),
      issuer: oneLine(x509.issuer),
      fingerprint256: x509.fingerprint256,
      validFrom: x509.validFrom,
      validTo: x509.validTo,
    },
    outsideValidity: now < validFrom || now > validTo,
  };
}

/** OpenSSL's answer to an encrypted key without a passphrase: it tried to prompt for one, and could not. */
const NO_PASSPHRASE_CODES: ReadonlySet<string> = new Set([
  'ERR_MISSING_PASSPHRASE',
  'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED',
]);

/** A PEM private key that needs a passphrase: PKCS#8 encrypted, or a traditional key with a DEK header. */
const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/;

function privateKeyFrom(
  key: Buffer,
  passphrase: string | undefined,
  keyFile: string,
  passphraseKey: 'passphrase' | 'passphraseFile',
): KeyObject {
  try {
    return createPrivateKey({ key, format: 'pem', passphrase });
  } catch (err) {
    if (passphrase === undefined && NO_PASSPHRASE_CODES.has(errorCode(err) ?? '')) {
      throw new TlsMaterialError(
        'privateKey',
        `the private key in ${quote(keyFile)} is encrypted: set passphrase or passphraseFile`,
      );
    }
    // A wrong passphrase passes the padding check by chance about once in 256 keys, and then fails
    // as a key that does not parse: an encrypted key that will not load is the passphrase's fault.
    if (passphrase !== undefined && (/bad decrypt/i.test(reason(err)) || ENCRYPTED_PEM.test(key.toString('latin1')))) {
      throw new TlsMaterialError(passphraseKey, `the passphrase does not decrypt the private key in ${quote(keyFile)}`);
    }
    throw new TlsMaterialError('privateKey', `${quote(keyFile)} holds no usable PEM private key (${reason(err)})`);
  }
}

/**
 * Every PEM certificate in a CA file must parse, and there must be one: Node would silently skip
 * anything else, and verify client certificates against fewer CAs than the file seems to hold.
 */
function checkCertificates(pem: Buffer, file: string): void {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new TlsMaterialError('ca', `${quote(file)} holds no PEM certificate`);
  blocks.forEach((block, index) =>
    parse('ca', () => new X509Certificate(block), `certificate ${index + 1} in ${quote(file)} cannot be read`),
  );
}

function passphraseFrom(file: string): string {
  const text = readProfileFile('passphraseFile', file).toString('utf8');
  // As ${file:}: secret files usually end in a newline the secret does not contain.
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

function readProfileFile(key: keyof TlsProfileConfig, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsMaterialError(key, `cannot read file ${quote(file)} (${errorCode(err) ?? 'unreadable'})`);
  }
}

function parse<T>(key: keyof TlsProfileConfig, make: () => T, what: string): T {
  try {
    return make();
  } catch (err) {
    throw new TlsMaterialError(key, `${what} (${reason(err)})`);
  }
}

/** OpenSSL's reason ("bad decrypt", "no start line"), not its whole message with file and line numbers. */
function reason(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'reason' in err && typeof err.reason === 'string') return err.reason;
  return err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

function quote(file: string): string {
  return JSON.stringify(file);
}

/** X509Certificate puts one attribute per line; logs and JSON read better with them on one. */
function oneLine(name: string): string {
  return name
    .split('\n')
    .filter((part) => part !== '')
    .join(', ');
}
