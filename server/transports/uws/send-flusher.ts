// Coalesces sends to uWS sockets per event-loop turn, the uWS counterpart of TickBatcher. uWS
// corks one socket at a time (one cork buffer per loop), and while it runs a socket's message
// handler that socket is the corked one: a fan-out sent from there to other sockets costs one
// syscall per message. Queued here and flushed from setImmediate, when no socket is corked, each
// socket's messages leave in one cork: one syscall per socket per turn.
export interface Flushable {
  /** Set while queued here, so a socket is queued at most once per turn. */
  queued: boolean;
  flush(): void;
}

export class SendFlusher {
  private pending: Flushable[] = [];
  private scheduled = false;

  hold(item: Flushable): void {
    if (item.queued) return;
    item.queued = true;
    this.pending.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(flushAll, this);
    }
  }

  flush(): void {
    this.scheduled = false;
    const items = this.pending;
    this.pending = [];
    for (let i = 0; i < items.length; i++) items[i]!.flush();
  }
}

function flushAll(flusher: SendFlusher): void {
  flusher.flush();
}
