// The server side of one SCRAM-SHA-256 exchange (RFC 5802 section 5, RFC 7677): given the parsed
// client-first-message and the user's stored credentials, produce the server-first-message, then
// check the client-final-message's proof and produce the server-final-message.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ScramCredentials } from './scram-credentials.js';
import { hmacSha256, SCRAM_KEY_BYTES, sha256, xorBytes } from './scram-crypto.js';
import { parseClientFinalMessage, type ClientFirstMessage } from './scram-messages.js';

export type ScramResult =
  { readonly ok: true; readonly serverFinal: string } | { readonly ok: false; readonly reason: string };

export interface ScramServerExchange {
  readonly serverFirst: string;
  /** Checks the client-final-message; a second call fails (one proof per exchange). */
  finish(clientFinal: string): ScramResult;
}

/** 18 random bytes: 24 base64 characters, none of them ",". */
export function randomServerNonce(): string {
  return randomBytes(18).toString('base64');
}

export function beginScramExchange(
  clientFirst: ClientFirstMessage,
  credentials: ScramCredentials,
  serverNonce: string,
): ScramServerExchange {
  const nonce = clientFirst.clientNonce + serverNonce;
  const serverFirst = `r=${nonce},s=${credentials.salt.toString('base64')},i=${credentials.iterations}`;
  const expectedBinding = Buffer.from(clientFirst.gs2Header, 'utf8').toString('base64');
  let finished = false;

  const finish = (clientFinalText: string): ScramResult => {
    if (finished) return { ok: false, reason: 'SCRAM exchange already finished' };
    finished = true;
    const parsed = parseClientFinalMessage(clientFinalText);
    if (!parsed.ok) return parsed;
    const clientFinal = parsed.value;
    if (clientFinal.channelBinding !== expectedBinding)
      return { ok: false, reason: 'SCRAM channel binding (c=) does not repeat the GS2 header' };
    if (clientFinal.nonce !== nonce) return { ok: false, reason: 'SCRAM nonce in client-final-message does not match' };

    const authMessage = `${clientFirst.bare},${serverFirst},${clientFinal.withoutProof}`;
    const clientSignature = hmacSha256(credentials.storedKey, authMessage);
    const clientKey = xorBytes(clientFinal.proof, clientSignature);
    if (!timingSafeEqual(sha256(clientKey), credentials.storedKey))
      return { ok: false, reason: 'SCRAM proof does not match (wrong password)' };
    return { ok: true, serverFinal: `v=${hmacSha256(credentials.serverKey, authMessage).toString('base64')}` };
  };

  return { serverFirst, finish };
}

/**
 * Credentials for a user who does not exist or has no SCRAM credentials, so that the exchange
 * looks the same as for a real user (RFC 5802 section 9): the salt is stable per name (derived from
 * a per-process secret), the keys are random, so no proof can match.
 */
export function decoyScramCredentials(user: string, secret: Buffer, iterations: number): ScramCredentials {
  const salt = createHmac('sha256', secret).update(user, 'utf8').digest().subarray(0, 16);
  return { iterations, salt, storedKey: randomBytes(SCRAM_KEY_BYTES), serverKey: randomBytes(SCRAM_KEY_BYTES) };
}
