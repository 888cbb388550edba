// Salted scrypt password hashes in a self-describing string, so the cost can be raised later
// without invalidating hashes already in config files:
//
//   scrypt$N=16384,r=8,p=1$<salt, standard base64>$<derived key, standard base64>
//
// `warden passwd` prints one with hashPassword; the `users` module checks passwords with
// verifyPassword. Passwords are normalized with NFKC first (see normalizePassword).
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { decodeStrictBase64 } from './base64.js';
import { normalizePassword } from './saslprep.js';

export { scramCredentials } from './scram-credentials.js';

export interface ScryptParams {
  /** CPU/memory cost: a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/** What a hash string says: the cost, the salt and the derived key. */
export interface ParsedPasswordHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

/** OWASP's scrypt minimum (2^14, 8, 1): about 16 MiB and some tens of milliseconds per check. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ N: 16_384, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;

// Bounds keep a typo in a config file from making every logon allocate gigabytes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MIN_SALT_BYTES = 8;
const MIN_KEY_BYTES = 16;
const MAX_KEY_BYTES = 128;

const BASE64 = '[A-Za-z0-9+/=]+';
const HASH_FORMAT = new RegExp(`^scrypt\\$N=(\\d{1,8}),r=(\\d{1,3}),p=(\\d{1,3})\\$(${BASE64})\\$(${BASE64})$`);

/** Words for errors: the format, never the offending value (it may be a password pasted by mistake). */
export const PASSWORD_HASH_FORM =
  'a Warden password hash "scrypt$N=<cost>,r=<block size>,p=<parallelism>$<salt base64>$<hash base64>" (make one with `warden passwd`)';

/** Hashes `password` with a fresh random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const problem = scryptParamsProblem(params);
  if (problem !== undefined) throw new RangeError(`invalid scrypt parameters: ${problem}`);
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, params, KEY_BYTES);
  return formatPasswordHash({ params, salt, key });
}

/** True if `password` matches `encoded`; throws if `encoded` is not a hash in the format above. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (parsed === undefined) throw new TypeError(`not ${PASSWORD_HASH_FORM}`);
  return verifyParsedPassword(password, parsed);
}

/** verifyPassword for a hash parsed once at startup. */
export async function verifyParsedPassword(password: string, hash: ParsedPasswordHash): Promise<boolean> {
  const key = await deriveKey(password, hash.salt, hash.params, hash.key.length);
  return timingSafeEqual(key, hash.key);
}

/** The parts of a hash string, or undefined if it is not one (including out-of-bounds costs). */
export function parsePasswordHash(encoded: string): ParsedPasswordHash | undefined {
  const match = HASH_FORMAT.exec(encoded);
  if (match === null) return undefined;
  const [, n, r, p, salt, key] = match;
  const params: ScryptParams = { N: Number(n), r: Number(r), p: Number(p) };
  if (scryptParamsProblem(params) !== undefined) return undefined;
  const saltBytes = decodeStrictBase64(salt);
  const keyBytes = decodeStrictBase64(key);
  if (saltBytes === undefined || saltBytes.length < MIN_SALT_BYTES) return undefined;
  if (keyBytes === undefined || keyBytes.length < MIN_KEY_BYTES || keyBytes.length > MAX_KEY_BYTES) return undefined;
  return { params, salt: saltBytes, key: keyBytes };
}

export function formatPasswordHash(hash: ParsedPasswordHash): string {
  const { N, r, p } = hash.params;
  return `scrypt$N=${N},r=${r},p=${p}$${hash.salt.toString('base64')}$${hash.key.toString('base64')}`;
}

/** Why `params` cannot be used, or undefined when they can. */
export function scryptParamsProblem(params: ScryptParams): string | undefined {
  const { N, r, p } = params;
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0)
    return `N must be a power of two from 2 to ${MAX_N}`;
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) return `r must be an integer from 1 to ${MAX_R}`;
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) return `p must be an integer from 1 to ${MAX_P}`;
  if (128 * N * r > MAX_MEMORY_BYTES)
    return `128 * N * r (the memory one check takes) must be at most ${MAX_MEMORY_BYTES} bytes`;
  return undefined;
}

function deriveKey(password: string, salt: Buffer, params: ScryptParams, keyBytes: number): Promise<Buffer> {
  // Node refuses scrypt above 32 MiB by default; scrypt needs about 128 * N * r bytes, so allow twice that.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(normalizePassword(password), salt, keyBytes, options, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}
