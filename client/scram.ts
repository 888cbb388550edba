// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677), on WebCrypto so it runs in browsers and
// Node alike. The password never crosses the wire, and the broker proves it knows the user's
// credentials too (the server signature), which protects against a fake broker.
//
// Simplifications, all on the client side:
// - SASLprep (RFC 4013) is approximated by Unicode NFKC normalization of the password (what
//   SASLprep's mapping step mostly amounts to); the prohibited-character and bidi checks are not done.
//   An ASCII password is unaffected either way.
// - No channel binding: the GS2 header is always `n,,` (so `c=biws`), and no authorization identity.
// - The user name is only escaped (`=` as `=3D`, `,` as `=2C`), not normalized: it must match the
//   `user` of the logon command byte for byte.
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { ClientErrorCodes, WardenError } from './errors.js';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';

/**
 * Iteration counts the client accepts from the server-first-message. Below the minimum (RFC 7677's
 * recommendation) a captured exchange is cheap to brute-force; above the maximum a hostile server
 * could make the client burn CPU for minutes.
 */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 1_000_000;

/** GS2 header: no channel binding, no authorization identity. `c=` carries its base64 ("biws"). */
const GS2_HEADER = 'n,,';
const CHANNEL_BINDING = btoa(GS2_HEADER);
const NONCE_BYTES = 18; // 24 base64 characters: printable and free of ','

const encoder = new TextEncoder();

/** The user name as a SCRAM saslname: `=` becomes `=3D` and `,` becomes `=2C`. */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** A fresh client nonce from the platform's CSPRNG. */
export function generateNonce(): string {
  return bytesToBase64(webCrypto().getRandomValues(new Uint8Array(NONCE_BYTES)));
}

/** The parsed server-first-message. */
export interface ServerFirstMessage {
  /** Client nonce followed by the server's. */
  nonce: string;
  salt: Uint8Array;
  iterations: number;
}

/**
 * Parses and checks a server-first-message (`r=<nonce>,s=<salt>,i=<count>[,ext...]`) against our
 * nonce. Throws a SERVER_AUTHENTICATION_FAILED WardenError on anything malformed or unsafe.
 */
export function parseServerFirst(message: string, clientNonce: string): ServerFirstMessage {
  const attributes = message.split(',');
  if (attributes[0]?.startsWith('m='))
    fail('the server-first-message has a mandatory extension this client does not support');
  const nonce = attribute(attributes[0], 'r', 'server-first-message');
  const saltText = attribute(attributes[1], 's', 'server-first-message');
  const iterationText = attribute(attributes[2], 'i', 'server-first-message');

  // The server extends our nonce with its own part: anything else is a replay or an impostor.
  if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
    fail('the server nonce does not extend the client nonce');
  }
  if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)) fail('the server nonce has characters outside printable ASCII');

  if (!isBase64(saltText)) fail('the salt is not base64');
  const salt = base64ToBytes(saltText);
  if (salt.length === 0) fail('the salt is empty');

  if (!/^[1-9][0-9]{0,9}$/.test(iterationText))
    fail(`the iteration count ${JSON.stringify(iterationText)} is not a positive integer`);
  const iterations = Number(iterationText);
  if (iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_MAX_ITERATIONS) {
    fail(
      `the iteration count ${iterations} is outside the accepted range ${SCRAM_MIN_ITERATIONS}..${SCRAM_MAX_ITERATIONS}`,
    );
  }
  return { nonce, salt, iterations };
}

/**
 * One SCRAM-SHA-256 exchange (a new one for every logon: nonces are never reused).
 * 1. send `clientFirstMessage` (in the logon's `data`);
 * 2. answer the server-first-message (the challenge) with `clientFinalMessage(serverFirst)`;
 * 3. check the server-final-message (the logon ack's `data`) with `verifyServerFinal`.
 */
export class ScramSha256Client {
  readonly clientFirstMessage: string;
  private readonly clientFirstBare: string;
  private expectedServerSignature: Uint8Array | undefined;

  /** `nonce` is injectable for tests (RFC 7677's test vector); by default it is random. */
  constructor(
    user: string,
    private readonly password: string,
    private readonly nonce: string = generateNonce(),
  ) {
    if (nonce.length === 0 || nonce.includes(','))
      throw new TypeError('a SCRAM nonce must be non-empty and contain no comma');
    this.clientFirstBare = `n=${escapeSaslName(user)},r=${nonce}`;
    this.clientFirstMessage = GS2_HEADER + this.clientFirstBare;
  }

  /** Computes the client-final-message (`c=biws,r=<nonce>,p=<proof>`) answering `serverFirst`. */
  async clientFinalMessage(serverFirst: string): Promise<string> {
    const { nonce, salt, iterations } = parseServerFirst(serverFirst, this.nonce);
    const subtle = webCrypto().subtle;
    const saltedPassword = await hi(subtle, this.password.normalize('NFKC'), salt, iterations);
    const clientKey = await hmac(subtle, saltedPassword, 'Client Key');
    const storedKey = new Uint8Array(await subtle.digest('SHA-256', clientKey));
    const clientFinalWithoutProof = `c=${CHANNEL_BINDING},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
    const clientSignature = await hmac(subtle, storedKey, authMessage);
    const proof = clientKey.map((byte, i) => byte ^ clientSignature[i]!);
    const serverKey = await hmac(subtle, saltedPassword, 'Server Key');
    this.expectedServerSignature = await hmac(subtle, serverKey, authMessage);
    return `${clientFinalWithoutProof},p=${bytesToBase64(proof)}`;
  }

  /**
   * Checks the server-final-message (`v=<server signature>`). Throws a SERVER_AUTHENTICATION_FAILED
   * WardenError when it is missing, malformed, an `e=` error, or the wrong signature: the other
   * end does not know the user's credentials, so it is not the broker it claims to be.
   */
  async verifyServerFinal(serverFinal: string | undefined): Promise<void> {
    const expected = this.expectedServerSignature;
    if (expected === undefined) throw new Error('verifyServerFinal before clientFinalMessage');
    if (serverFinal === undefined || serverFinal === '')
      fail('the broker accepted the logon without a server signature');
    const first = serverFinal.split(',')[0]!;
    if (first.startsWith('e=')) fail(`the broker accepted the logon but reported ${JSON.stringify(first.slice(2))}`);
    const signatureText = attribute(first, 'v', 'server-final-message');
    if (!isBase64(signatureText)) fail('the server signature is not base64');
    if (!constantTimeEqual(base64ToBytes(signatureText), expected)) fail('the server signature is wrong');
  }
}

// ---- helpers ---------------------------------------------------------------------------------

function fail(detail: string): never {
  throw new WardenError(ClientErrorCodes.SERVER_AUTHENTICATION_FAILED, `SCRAM-SHA-256: ${detail}`, { cmd: 'logon' });
}

function attribute(text: string | undefined, name: string, message: string): string {
  if (text === undefined || !text.startsWith(`${name}=`))
    fail(`malformed ${message}: expected "${name}=" (got ${JSON.stringify(text ?? '')})`);
  return text.slice(name.length + 1);
}

function isBase64(text: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** WebCrypto: browsers (secure contexts only: https or localhost) and Node 20+ have it as globalThis.crypto. */
function webCrypto(): Crypto {
  const crypto = (globalThis as { crypto?: Crypto }).crypto;
  if (crypto?.subtle === undefined) {
    throw new TypeError(
      'SCRAM-SHA-256 needs WebCrypto (crypto.subtle); browsers only provide it in secure contexts (https:, localhost)',
    );
  }
  return crypto;
}

/** True when this platform can run SCRAM-SHA-256. */
export function scramAvailable(): boolean {
  return (globalThis as { crypto?: Crypto }).crypto?.subtle !== undefined;
}

/** Hi() of RFC 5802: PBKDF2 with HMAC-SHA-256, one 32-byte block. */
async function hi(
  subtle: SubtleCrypto,
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: copy(salt), iterations }, key, 256);
  return new Uint8Array(bits);
}

async function hmac(subtle: SubtleCrypto, keyBytes: Uint8Array, message: string): Promise<Uint8Array<ArrayBuffer>> {
  const key = await subtle.importKey('raw', copy(keyBytes), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', key, encoder.encode(message)));
}

/** A copy backed by a plain ArrayBuffer (what WebCrypto's BufferSource type asks for). */
function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}
