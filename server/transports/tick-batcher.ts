// Coalesces socket writes per tick: a connection's first write in a tick registers it here, its
// writes collect in a WriteBatch, and after the current I/O callback each registered connection
// writes its batch with one socket.write. Measured with ws on 100 sockets: one write per message
// ~105k deliveries/s, corked batches ~1.7M/s; one concatenated write per tick saves the per-write
// stream bookkeeping (WriteReq, writev arrays) that corking still pays per chunk.
import type { Socket } from 'node:net';

export interface Batched {
  /** Set while registered for this tick's flush. */
  batched: boolean;
  /** Write what collected during this tick. */
  flushBatch(): void;
}

export class TickBatcher {
  private pending: Batched[] = [];
  private scheduled = false;

  /** Register `item` for the end-of-tick flush, if not already registered. */
  hold(item: Batched): void {
    if (item.batched) return;
    item.batched = true;
    this.pending.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(flushTickBatch, this);
    }
  }

  flush(): void {
    this.scheduled = false;
    const items = this.pending;
    this.pending = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      item.batched = false;
      item.flushBatch();
    }
  }
}

function flushTickBatch(batcher: TickBatcher): void {
  batcher.flush();
}

/** Chunks queued for one socket during a tick, written as one buffer. */
export class WriteBatch {
  private chunks: Buffer[] = [];
  /** Bytes queued and not yet handed to the socket. */
  bytes = 0;

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** Hand everything queued to `socket` in one write (a copy only when there are several chunks). */
  writeTo(socket: Socket): void {
    const chunks = this.chunks;
    if (chunks.length === 0) return;
    const bytes = this.bytes;
    this.chunks = [];
    this.bytes = 0;
    if (socket.destroyed || !socket.writable) return;
    socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes));
  }

  discard(): void {
    this.chunks = [];
    this.bytes = 0;
  }
}
