// Parsing the two SCRAM client messages of RFC 5802 section 7. Every malformed input gives a
// reason (for the log, the client only learns LOGON_FAILED) rather than an exception.
import { decodeStrictBase64 } from './base64.js';
import { SCRAM_KEY_BYTES } from './scram-crypto.js';

/** Longer client messages are refused before any parsing; real ones are well under 300 characters. */
export const MAX_SCRAM_MESSAGE_CHARS = 2048;

export interface ClientFirstMessage {
  /** `n,,` or `y,,`: repeated (base64) in the client-final's `c=` attribute. */
  readonly gs2Header: string;
  /** The `n=` user name, `=2C`/`=3D` decoded. */
  readonly user: string;
  readonly clientNonce: string;
  /** client-first-message-bare: part of the AuthMessage both sides sign. */
  readonly bare: string;
}

export interface ClientFinalMessage {
  /** The `c=` value. */
  readonly channelBinding: string;
  readonly nonce: string;
  readonly proof: Buffer;
  /** client-final-message-without-proof: part of the AuthMessage. */
  readonly withoutProof: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

// printable = %x21-2B / %x2D-7E (printable ASCII except ",")
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

/** True if `nonce` may appear in a SCRAM `r=` attribute. */
export function isScramNonce(nonce: string): boolean {
  return NONCE.test(nonce);
}

export function parseClientFirstMessage(text: string): Parsed<ClientFirstMessage> {
  if (text.length > MAX_SCRAM_MESSAGE_CHARS)
    return fail(`client-first-message longer than ${MAX_SCRAM_MESSAGE_CHARS} characters`);
  // gs2-header = gs2-cbind-flag "," [authzid] ","
  if (text.startsWith('p=')) return fail('client asked for channel binding (p=), which Warden does not offer');
  // "y": the client could bind but thinks the server cannot. Warden does not offer SCRAM-SHA-256-PLUS, so that is true.
  if (!text.startsWith('n,') && !text.startsWith('y,'))
    return fail('client-first-message does not start with a GS2 header ("n,," or "y,,")');
  const authzidEnd = text.indexOf(',', 2);
  if (authzidEnd < 0) return fail('client-first-message has an unterminated GS2 header');
  if (authzidEnd !== 2)
    return fail('client-first-message names an authorization identity (a=), which Warden does not support');
  const gs2Header = text.slice(0, 3);
  const bare = text.slice(3);

  const attributes = bare.split(',');
  if (attributes[0].startsWith('m='))
    return fail('client-first-message has a mandatory extension (m=), which Warden does not support');
  if (attributes.length < 2 || !attributes[0].startsWith('n=') || !attributes[1].startsWith('r=')) {
    return fail('client-first-message-bare is not "n=<user>,r=<nonce>"');
  }
  const user = decodeSaslName(attributes[0].slice(2));
  if (user === undefined) return fail('client-first-message has a user name with "=" not followed by 2C or 3D');
  if (user === '') return fail('client-first-message has an empty user name');
  const clientNonce = attributes[1].slice(2);
  if (!isScramNonce(clientNonce))
    return fail('client-first-message has an empty nonce or one with non-printable characters');
  // Further attributes are extensions; RFC 5802 has the server ignore the ones it does not know.
  return { ok: true, value: { gs2Header, user, clientNonce, bare } };
}

export function parseClientFinalMessage(text: string): Parsed<ClientFinalMessage> {
  if (text.length > MAX_SCRAM_MESSAGE_CHARS)
    return fail(`client-final-message longer than ${MAX_SCRAM_MESSAGE_CHARS} characters`);
  const attributes = text.split(',');
  const last = attributes.at(-1) ?? '';
  if (
    attributes.length < 3 ||
    !attributes[0].startsWith('c=') ||
    !attributes[1].startsWith('r=') ||
    !last.startsWith('p=')
  ) {
    return fail('client-final-message is not "c=<binding>,r=<nonce>,...,p=<proof>"');
  }
  const proof = decodeStrictBase64(last.slice(2));
  if (proof?.length !== SCRAM_KEY_BYTES)
    return fail(`client-final-message proof is not ${SCRAM_KEY_BYTES} bytes of base64`);
  return {
    ok: true,
    value: {
      channelBinding: attributes[0].slice(2),
      nonce: attributes[1].slice(2),
      proof,
      withoutProof: attributes.slice(0, -1).join(','),
    },
  };
}

/** RFC 5802 saslname: "," is sent as "=2C" and "=" as "=3D"; any other "=" makes it invalid. */
export function decodeSaslName(encoded: string): string | undefined {
  if (/=(?!2C|3D)/.test(encoded)) return undefined;
  return encoded.replace(/=2C|=3D/g, (escape) => (escape === '=2C' ? ',' : '='));
}

/** The inverse of decodeSaslName (for clients and tests). */
export function encodeSaslName(name: string): string {
  return name.replace(/[=,]/g, (char) => (char === ',' ? '=2C' : '=3D'));
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
