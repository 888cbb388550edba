// The client side of SCRAM-SHA-256 (RFC 5802 / RFC 7677), written here from the RFC with
// node:crypto only, so the server code is checked against an independent implementation; raw-protocol
// tests also use it to build correct and incorrect client-final-messages by hand.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export interface ScramClient {
  readonly clientNonce: string;
  readonly clientFirst: string;
  /**
   * The client-final-message for the server-first-message (with `proofOverride` as its p= when
   * given), the v= the server must answer, and the combined nonce the server chose.
   */
  final(
    serverFirst: string,
    proofOverride?: string,
  ): { clientFinal: string; expectedServerFinal: string; nonce: string };
}

export function scramClient(
  user: string,
  password: string,
  clientNonce = randomBytes(18).toString('base64'),
  gs2Header = 'n,,',
): ScramClient {
  const bare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${clientNonce}`;
  return {
    clientNonce,
    clientFirst: `${gs2Header}${bare}`,
    final(serverFirst, proofOverride) {
      const fields = new Map(serverFirst.split(',').map((part) => [part[0], part.slice(2)]));
      const nonce = fields.get('r') ?? '';
      const salt = Buffer.from(fields.get('s') ?? '', 'base64');
      const iterations = Number(fields.get('i'));
      const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
      const clientKey = hmac(salted, 'Client Key');
      const storedKey = createHash('sha256').update(clientKey).digest();
      const withoutProof = `c=${Buffer.from(gs2Header).toString('base64')},r=${nonce}`;
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      const signature = hmac(storedKey, authMessage);
      const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
      const serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
      return {
        clientFinal: `${withoutProof},p=${proofOverride ?? proof.toString('base64')}`,
        expectedServerFinal: `v=${serverSignature.toString('base64')}`,
        nonce,
      };
    },
  };
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}
