// The key a `jwt` module verifies signatures with, from exactly one source:
//   secret         HMAC key (the UTF-8 bytes of the string)
//   publicKeyFile  PEM public key (SPKI, "BEGIN PUBLIC KEY") or X.509 certificate, read at startup
//   jwksUrl        a JSON Web Key Set fetched (and cached, refreshed) by remote-jwks.ts
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { JWTVerifyGetKey } from 'jose';
import { ConfigError } from '../../config/config-error.js';

export type JwtVerificationKey = Uint8Array | KeyObject | JWTVerifyGetKey;

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const PUBLIC_KEY_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type JwtAlgorithm = (typeof HMAC_ALGORITHMS)[number] | (typeof PUBLIC_KEY_ALGORITHMS)[number];

/** Shorter HMAC secrets are guessable offline from any token (RFC 7518 section 3.2 asks for at least the hash size). */
export const MIN_SECRET_BYTES = 32;

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/**
 * Reads a PEM public key or certificate and checks it suits every algorithm in `algorithms`.
 * `optionPath` (`...options.publicKeyFile`) names the option in errors.
 */
export async function publicKeyFromFile(
  file: string,
  baseDir: string,
  algorithms: readonly JwtAlgorithm[],
  optionPath: string,
): Promise<KeyObject> {
  const path = resolve(baseDir, file);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError([
      { path: optionPath, message: `cannot read public key file ${JSON.stringify(path)} (${code})` },
    ]);
  }
  // A private key would work (the public half is derived) but has no business on the broker.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new ConfigError([
      {
        path: optionPath,
        message: `expected a public key or certificate, but ${JSON.stringify(path)} holds a private key; give the broker only the public key`,
      },
    ]);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new ConfigError([
      {
        path: optionPath,
        message: `expected a PEM public key ("BEGIN PUBLIC KEY") or X.509 certificate ("BEGIN CERTIFICATE") in ${JSON.stringify(path)}`,
      },
    ]);
  }
  const unsuited = algorithms.filter((algorithm) => !keySuits(key, algorithm));
  if (unsuited.length > 0) {
    const kind =
      key.asymmetricKeyType === 'ec'
        ? `ec (${key.asymmetricKeyDetails?.namedCurve ?? 'unknown curve'})`
        : String(key.asymmetricKeyType);
    throw new ConfigError([
      {
        path: optionPath,
        message: `the ${kind} key in ${JSON.stringify(path)} cannot verify ${unsuited.join(', ')} (check \`algorithms\`)`,
      },
    ]);
  }
  return key;
}

const CURVE_OF: Readonly<Record<string, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

function keySuits(key: KeyObject, algorithm: JwtAlgorithm): boolean {
  const type = key.asymmetricKeyType;
  if (algorithm.startsWith('RS')) return type === 'rsa';
  if (algorithm.startsWith('PS')) return type === 'rsa' || type === 'rsa-pss';
  if (algorithm.startsWith('ES')) return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVE_OF[algorithm];
  // jose verifies EdDSA with Ed25519 keys only.
  if (algorithm === 'EdDSA' || algorithm === 'Ed25519') return type === 'ed25519';
  return false;
}
