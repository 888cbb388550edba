// Stored SCRAM-SHA-256 credentials in the format PostgreSQL uses (and `warden passwd` prints):
//
//   SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>
//
// They let the server check a SCRAM proof without knowing the password, but they are secrets all
// the same (they allow offline guessing of the password, and ServerKey lets its holder pose as
// this server), so they are never logged.
import { randomBytes } from 'node:crypto';
import { decodeStrictBase64 } from './base64.js';
import { clientKeyOf, saltedPassword, SCRAM_KEY_BYTES, serverKeyOf, sha256 } from './scram-crypto.js';

export interface ScramCredentials {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** RFC 7677 section 4: at least 4096 iterations. */
export const MIN_SCRAM_ITERATIONS = 4096;
/** The client pays for the iterations on every logon, and the SDK refuses more than this (client/scram.ts). */
export const MAX_SCRAM_ITERATIONS = 1_000_000;

const SALT_BYTES = 16;
const MIN_SALT_BYTES = 8;
const FORMAT = /^SCRAM-SHA-256\$(\d{1,8}):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

export const SCRAM_CREDENTIALS_FORM = `SCRAM-SHA-256 credentials "SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>" with ${MIN_SCRAM_ITERATIONS} to ${MAX_SCRAM_ITERATIONS} iterations (make them with \`warden passwd\`)`;

/**
 * SCRAM-SHA-256 credentials for `password` in the format above. `salt` is random unless given
 * (tests reproduce RFC 7677's example with it).
 */
export function scramCredentials(
  password: string,
  iterations = MIN_SCRAM_ITERATIONS,
  salt: Buffer = randomBytes(SALT_BYTES),
): string {
  if (!Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) {
    throw new RangeError(
      `SCRAM iterations must be an integer from ${MIN_SCRAM_ITERATIONS} to ${MAX_SCRAM_ITERATIONS}, got ${iterations}`,
    );
  }
  if (salt.length < MIN_SALT_BYTES)
    throw new RangeError(`a SCRAM salt must have at least ${MIN_SALT_BYTES} bytes, got ${salt.length}`);
  const salted = saltedPassword(password, salt, iterations);
  return formatScramCredentials({
    iterations,
    salt,
    storedKey: sha256(clientKeyOf(salted)),
    serverKey: serverKeyOf(salted),
  });
}

export function formatScramCredentials(credentials: ScramCredentials): string {
  const { iterations, salt, storedKey, serverKey } = credentials;
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** The parts of a credentials string, or undefined if it is not one. */
export function parseScramCredentials(encoded: string): ScramCredentials | undefined {
  const match = FORMAT.exec(encoded);
  if (match === null) return undefined;
  const iterations = Number(match[1]);
  if (iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) return undefined;
  const salt = decodeStrictBase64(match[2]);
  const storedKey = decodeStrictBase64(match[3]);
  const serverKey = decodeStrictBase64(match[4]);
  if (salt === undefined || salt.length < MIN_SALT_BYTES) return undefined;
  if (storedKey?.length !== SCRAM_KEY_BYTES || serverKey?.length !== SCRAM_KEY_BYTES) return undefined;
  return { iterations, salt, storedKey, serverKey };
}
