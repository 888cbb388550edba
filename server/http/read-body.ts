// Reading an HTTP publish request's body: at most the listener's body limit (413
// FRAME_TOO_LARGE), within the listener's budget of held bytes (503 SERVER_BUSY). Either refusal
// closes the connection, since the rest of the body is not worth reading.
//
// One BodyReader per connection, reused for each of its requests (they are handled one at a
// time): its listeners are made once, not per request, and the body goes straight to the sink in
// the request's 'end' event, with no promise in between.
import type { IncomingMessage } from 'node:http';
import { ErrorCodes } from '../../protocol/native.js';
import type { BodyBudget } from './body-budget.js';
import { HttpRefusal } from './http-refusal.js';
import type { RequestHead } from './request-head.js';

/** Where a body goes: exactly one of the two, once per start(). */
export interface BodySink {
  bodyRead(bytes: Buffer): void;
  bodyFailed(refusal: HttpRefusal): void;
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

/** Refuse a declared body over `limit` before anything else (a chunked one is checked as it arrives). */
export function refuseOversized(head: RequestHead, limit: number): void {
  if (head.declaredLength > limit) throw tooLarge(limit);
}

export class BodyReader {
  private req: IncomingMessage | null = null;
  /** Reused for every body (emptied, not replaced). */
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** No Content-Length: budget bytes are taken chunk by chunk. */
  private chunked = false;
  /** Bytes of the budget held for the current body, until release(). */
  private taken = 0;

  constructor(
    private readonly budget: BodyBudget,
    private readonly limit: number,
    private readonly sink: BodySink,
  ) {}

  /** Take a declared body's bytes from the budget, then read it; throws the refusal when they do not fit. */
  start(req: IncomingMessage, head: RequestHead): void {
    const declared = head.declaredLength;
    this.chunked = Number.isNaN(declared);
    if (!this.chunked && !this.take(declared)) throw busy();
    this.req = req;
    // No 'error' listener: Node emits a request's 'error' only to listeners, and 'close' follows it.
    req.on('data', this.onData);
    req.on('end', this.onEnd);
    req.on('close', this.onClose);
  }

  /** Give the budget back (after the request is answered). */
  release(): void {
    this.budget.give(this.taken);
    this.taken = 0;
  }

  private take(bytes: number): boolean {
    if (!this.budget.take(bytes)) return false;
    this.taken += bytes;
    return true;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.size += chunk.length;
    if (this.size > this.limit) return this.fail(tooLarge(this.limit));
    if (this.chunked && !this.take(chunk.length)) return this.fail(busy());
    this.chunks.push(chunk);
  };

  private readonly onEnd = (): void => {
    const chunks = this.chunks;
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size);
    this.stop();
    this.sink.bodyRead(bytes);
  };

  // A client gone mid-body: the request closes without 'end'.
  private readonly onClose = (): void => {
    if (this.req !== null && !this.req.complete)
      this.fail(new HttpRefusal(ErrorCodes.BAD_FRAME, 'the request body was not completely received', true));
  };

  private fail(refusal: HttpRefusal): void {
    // Paused, not read on: the refusal closes the connection.
    this.req?.pause();
    this.stop();
    this.sink.bodyFailed(refusal);
  }

  private stop(): void {
    const req = this.req;
    if (req !== null) {
      req.off('data', this.onData);
      req.off('end', this.onEnd);
      req.off('close', this.onClose);
    }
    this.req = null;
    this.chunks.length = 0;
    this.size = 0;
  }
}
