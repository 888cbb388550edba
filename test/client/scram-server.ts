// The server side of SCRAM-SHA-256 for the scripted fake broker, written independently of the
// SDK's WebCrypto code (node:crypto here), so a passing exchange cross-checks both.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ScramServerOptions {
  password: string;
  iterations?: number;
  salt?: Buffer;
}

/** One server-side exchange: `first` answers the client-first-message, `final` the client-final-message. */
export class ScramServerExchange {
  /** The user name from the client-first-message (still escaped). */
  user: string | undefined;
  /** The client's nonce from the client-first-message. */
  clientNonce: string | undefined;
  private clientFirstBare = '';
  private serverFirst = '';
  private readonly iterations: number;
  private readonly salt: Buffer;

  constructor(private readonly options: ScramServerOptions) {
    this.iterations = options.iterations ?? 4096;
    this.salt = options.salt ?? randomBytes(16);
  }

  /** Returns the server-first-message. Throws on a malformed client-first-message. */
  first(clientFirst: string): string {
    const match = /^n,,(n=([^,]*),r=([^,]+))$/.exec(clientFirst);
    if (match === null) throw new Error(`malformed client-first-message ${JSON.stringify(clientFirst)}`);
    this.clientFirstBare = match[1]!;
    this.user = match[2]!;
    this.clientNonce = match[3]!;
    const nonce = this.clientNonce + randomBytes(12).toString('base64');
    this.serverFirst = `r=${nonce},s=${this.salt.toString('base64')},i=${this.iterations}`;
    return this.serverFirst;
  }

  /** Checks the client proof; on success returns the server-final-message (`v=...`), else undefined. */
  final(clientFinal: string): string | undefined {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) return undefined;
    const withoutProof = clientFinal.slice(0, proofAt);
    const nonce = this.serverFirst.split(',')[0]!;
    if (withoutProof !== `c=biws,${nonce}`) return undefined;
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const salted = pbkdf2Sync(this.options.password.normalize('NFKC'), this.salt, this.iterations, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const clientSignature = hmac(storedKey, authMessage);
    if (proof.length !== clientSignature.length) return undefined;
    const recoveredClientKey = Buffer.from(proof.map((byte, i) => byte ^ clientSignature[i]!));
    if (!timingSafeEqual(createHash('sha256').update(recoveredClientKey).digest(), storedKey)) return undefined;
    return `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
  }
}

function hmac(key: Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}
