// The messages a uWS connection sent during this event-loop turn, written at its end (TurnBatcher)
// in one cork. Kept as the (head, tail) pairs sessions send, and joined only when handed to uWS,
// through one scratch buffer: uWS copies whatever it is given, so a Buffer.concat per delivery
// (the allocation and the copy, ~7% of a fan-out profile) would be thrown away at once. A
// delivery shared by a fan-out's receivers (SharedFrame) is queued as its one joined payload.
import type { WebSocket } from '@trufflesuite/uws-js-unofficial';

/** Messages up to this size are joined in the shared scratch buffer; larger ones are concatenated. */
const SCRATCH_BYTES = 64 * 1024;
const scratch = new Uint8Array(SCRATCH_BYTES);

function joined(head: Buffer, tail: Buffer): Uint8Array {
  const length = head.length + tail.length;
  if (length > SCRATCH_BYTES) return Buffer.concat([head, tail], length);
  // TypedArray set() and a plain view: Buffer's copy() and subarray() add argument checks per call.
  scratch.set(head, 0);
  scratch.set(tail, head.length);
  return new Uint8Array(scratch.buffer, scratch.byteOffset, length);
}

/**
 * Per queued message, what the outbox holds beyond its bytes: the WebSocket frame header it will
 * get (up to 10 bytes; uWS adds it when sending) and its two array slots (8 bytes each). The
 * slow-consumer bound counts these too, as the `ws` engine's batch counts the headers it writes.
 */
const PER_MESSAGE_BYTES = 10 + 16;

export class Outbox {
  private heads: Buffer[] = [];
  private tails: (Buffer | null)[] = [];
  /** Bytes held: each message's bytes plus its frame header and slots (PER_MESSAGE_BYTES). */
  bytes = 0;

  get isEmpty(): boolean {
    return this.heads.length === 0;
  }

  add(head: Buffer, tail: Buffer | null): void {
    this.heads.push(head);
    this.tails.push(tail);
    this.bytes += PER_MESSAGE_BYTES + head.length + (tail === null ? 0 : tail.length);
  }

  clear(): void {
    this.heads = [];
    this.tails = [];
    this.bytes = 0;
  }

  /** Send every queued message on `ws` (call it inside ws.cork) and empty the outbox. */
  sendAll(ws: WebSocket<unknown>, binary: boolean): void {
    const heads = this.heads;
    const tails = this.tails;
    this.clear();
    for (let i = 0; i < heads.length; i++) {
      const tail = tails[i]!;
      ws.send(tail === null ? heads[i]! : joined(heads[i]!, tail), binary);
    }
  }
}
