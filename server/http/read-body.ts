// Reading one HTTP publish request's body: at most the listener's body limit (413
// FRAME_TOO_LARGE), within the listener's budget of held bytes (503 SERVER_BUSY). Either refusal
// closes the connection, since the rest of the body is not worth reading. The bytes taken from
// the budget are recorded on the returned Body, and given back by its owner once answered.
import type { IncomingMessage } from 'node:http';
import { ErrorCodes } from '../../protocol/native.js';
import type { BodyBudget } from './body-budget.js';
import { HttpRefusal } from './http-refusal.js';

export class Body {
  /** Bytes of the budget this body holds until release(). */
  taken = 0;
  constructor(private readonly budget: BodyBudget) {}

  take(bytes: number): boolean {
    if (!this.budget.take(bytes)) return false;
    this.taken += bytes;
    return true;
  }

  release(): void {
    this.budget.give(this.taken);
    this.taken = 0;
  }
}

function tooLarge(limit: number): HttpRefusal {
  return new HttpRefusal(ErrorCodes.FRAME_TOO_LARGE, `the request body is larger than ${limit} bytes`, true);
}

function busy(): HttpRefusal {
  return new HttpRefusal(
    ErrorCodes.SERVER_BUSY,
    'too many request bodies are held by this listener now; try again later',
    true,
  );
}

/** The Content-Length the request declares (NaN when it has none): checked before anything is read. */
export function declaredLength(req: IncomingMessage): number {
  const header = req.headers['content-length'];
  return header === undefined ? Number.NaN : Number(header);
}

/** Refuse a declared body over `limit` before anything else (a chunked one is checked as it arrives, in readBody). */
export function refuseOversized(req: IncomingMessage, limit: number): void {
  if (declaredLength(req) > limit) throw tooLarge(limit);
}

/** Take a declared body's bytes from the budget before reading it (a chunked one takes them as it arrives). */
export function reserveBody(req: IncomingMessage, body: Body): void {
  const declared = declaredLength(req);
  if (!Number.isNaN(declared) && !body.take(declared)) throw busy();
}

/** The whole body (after reserveBody), refusing before holding more than `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number, body: Body): Promise<Buffer> {
  const chunked = Number.isNaN(declaredLength(req));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      const refusal = size > limit ? tooLarge(limit) : chunked && !body.take(chunk.length) ? busy() : null;
      if (refusal !== null) {
        req.off('data', onData);
        // Paused, not read on: the answer closes the connection.
        req.pause();
        reject(refusal);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    // A client gone mid-body may end the request with neither 'end' nor 'error': 'close' settles it.
    const cut = (): void =>
      reject(new HttpRefusal(ErrorCodes.BAD_FRAME, 'the request body was not completely received', true));
    req.once('error', cut);
    req.once('close', () => {
      if (!req.complete) cut();
    });
  });
}
