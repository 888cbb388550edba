// The SCRAM-SHA-256 primitives of RFC 5802 section 3, with SHA-256 as the hash (RFC 7677).
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { normalizePassword } from './saslprep.js';

/** SHA-256 output size, and so the size of every SCRAM key and proof. */
export const SCRAM_KEY_BYTES = 32;

export function hmacSha256(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

export function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** SaltedPassword := Hi(Normalize(password), salt, i), Hi being PBKDF2 with HMAC-SHA-256. */
export function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(normalizePassword(password), salt, iterations, SCRAM_KEY_BYTES, 'sha256');
}

export function clientKeyOf(salted: Buffer): Buffer {
  return hmacSha256(salted, 'Client Key');
}

export function serverKeyOf(salted: Buffer): Buffer {
  return hmacSha256(salted, 'Server Key');
}

export function xorBytes(a: Buffer, b: Buffer): Buffer {
  if (a.length !== b.length) throw new RangeError(`cannot XOR ${a.length} bytes with ${b.length} bytes`);
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}
