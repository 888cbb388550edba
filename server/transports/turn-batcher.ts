// Coalesces socket writes per turn of the event loop: a connection's first write in a turn
// registers it here, its writes collect in a WriteBatch, and at the end of the turn (setImmediate,
// after every I/O callback of the poll phase) each registered connection writes its batch with one
// socket.write. Measured with ws on 100 sockets: one write per message ~105k deliveries/s, corked
// batches ~1.7M/s; one concatenated write saves the per-write stream bookkeeping (WriteReq,
// writev arrays) that corking still pays per chunk.
//
// Why the end of the turn and not the end of each I/O callback (process.nextTick): a subscriber
// fed by many publishers then gets one write for everything the turn read from all of them, not
// one per publisher's read. With 50 devices -> 50 consumers (bench:peers scenario 2b) that took
// deliveries per write syscall from 1.4 to 11.7 and the rate 3.3x (bench/RESULTS.md). The
// latency cost: a delivery waits for the rest of the turn's input handling (each connection's at
// most INPUT_SLICE_MS per turn, session/ordered-inbound.ts), and at most 64 KiB is held meanwhile.
// uWebSockets.js needs the end of the turn anyway: uWS corks one socket at a time, and while a
// socket's message handler runs that socket holds the cork (uws/uws-connection.ts).
import type { Socket } from 'node:net';

export interface Batched {
  /** Set while registered for this turn's flush. */
  batched: boolean;
  /** Write what collected during this turn. */
  flushBatch(): void;
  /** Drop the connection at once (its flush failed). */
  terminate(): void;
}

export class TurnBatcher {
  private pending: Batched[] = [];
  private scheduled = false;

  constructor(
    /** Told of a connection whose flush threw (it was terminated); must not throw. */
    private readonly onFlushError: (err: unknown) => void = () => {},
  ) {}

  /** Register `item` for the end-of-turn flush, if not already registered. */
  hold(item: Batched): void {
    if (item.batched) return;
    item.batched = true;
    this.pending.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(flushTurnBatch, this);
    }
  }

  flush(): void {
    this.scheduled = false;
    const items = this.pending;
    this.pending = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      item.batched = false;
      // One socket's failure must not keep the others' writes of this turn from going out.
      try {
        item.flushBatch();
      } catch (err) {
        this.flushFailed(item, err);
      }
    }
    forgetLastJoin();
  }

  private flushFailed(item: Batched, err: unknown): void {
    try {
      item.terminate();
    } catch {
      // already gone
    }
    this.onFlushError(err);
  }
}

function flushTurnBatch(batcher: TurnBatcher): void {
  batcher.flush();
}

/**
 * A batch this large is written at once rather than at the end of the turn. One turn can read many
 * 64 KiB chunks (libuv reads a socket up to 32 times per wakeup, and many sockets per turn), and a
 * batch is counted against the connection's slow-consumer bound: a healthy subscriber must not
 * look slow just because the turn is long. 64 KiB per write already costs one syscall per ~500
 * small deliveries.
 */
export const BATCH_WRITE_NOW_BYTES = 64 * 1024;

/** A lone chunk may leave this much of the buffer it views unused before it is copied (see ownChunk). */
const VIEW_SLACK_BYTES = 256;

/**
 * The chunk to hand the socket. A lone chunk can be a view of a larger buffer (a forwarded MQTT
 * PUBLISH is a view of the publisher's socket read, up to 64 KiB): while the socket holds it
 * unsent, the whole buffer stays alive and only the view's length is counted against the
 * slow-consumer bound. So when the socket is already backed up (the write will wait), such a
 * view is copied into a buffer of its own; a socket that keeps up writes it at once, uncopied.
 */
export function ownChunk(chunk: Buffer, backedUp: boolean): Buffer {
  if (!backedUp || chunk.buffer.byteLength - chunk.length <= VIEW_SLACK_BYTES) return chunk;
  const copy = Buffer.allocUnsafeSlow(chunk.length);
  chunk.copy(copy, 0, 0, chunk.length);
  return copy;
}

/**
 * The last batch joined, and the chunks it was joined from. A fan-out's receivers are sent the same
 * chunks in the same order (a shared WebSocket frame per message, shared MQTT packets), and the
 * batcher flushes them one after another: a batch of the very same chunks reuses that join, so a
 * turn's deliveries are copied once for all those receivers, not once per receiver (the copy and
 * Buffer.concat's per-chunk checks were ~13% of a fan-out's profile). Dropped at the end of each
 * flush, so an idle broker holds none of it. Sockets never change what they are given to write.
 */
let lastChunks: readonly Buffer[] | null = null;
let lastJoined: Buffer | null = null;

function joined(chunks: Buffer[], bytes: number): Buffer {
  if (lastJoined !== null && lastJoined.length === bytes && sameChunks(lastChunks!, chunks)) return lastJoined;
  const join = Buffer.concat(chunks, bytes);
  lastChunks = chunks;
  lastJoined = join;
  return join;
}

function sameChunks(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function forgetLastJoin(): void {
  lastChunks = null;
  lastJoined = null;
}

/**
 * Chunks queued for one socket during a turn, written as one buffer. The first chunk is held
 * alone and an array is made only for a second one: most turns write one packet, and every
 * connection holds a batch (memory per idle connection, bench:heap).
 */
export class WriteBatch {
  private first: Buffer | null = null;
  /** The chunks after the first, or null. */
  private rest: Buffer[] | null = null;
  /** Bytes queued and not yet handed to the socket. */
  bytes = 0;

  add(chunk: Buffer): void {
    if (this.first === null) this.first = chunk;
    else if (this.rest === null) this.rest = [chunk];
    else this.rest.push(chunk);
    this.bytes += chunk.length;
  }

  /** Whether the batch is large enough to write now (BATCH_WRITE_NOW_BYTES). */
  get full(): boolean {
    return this.bytes >= BATCH_WRITE_NOW_BYTES;
  }

  /**
   * Hand everything queued to `socket` in one write: a copy only when there are several chunks, and
   * none when the last batch joined had the very same ones (joined()).
   */
  writeTo(socket: Socket): void {
    const first = this.first;
    if (first === null) return;
    const rest = this.rest;
    const bytes = this.bytes;
    this.discard();
    if (socket.destroyed || !socket.writable) return;
    if (rest === null) return void socket.write(ownChunk(first, socket.writableLength > 0));
    rest.unshift(first);
    socket.write(joined(rest, bytes));
  }

  discard(): void {
    this.first = null;
    this.rest = null;
    this.bytes = 0;
  }
}
