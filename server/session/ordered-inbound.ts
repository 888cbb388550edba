// Keeps a connection's commands in arrival order when one of them has to wait (an
// authentication or entitlement module answering asynchronously): what arrives meanwhile is
// parked and handled, in order, once the wait is over. Past a bound the peer stops being read,
// so a client cannot grow the queue without limit (TCP backpressure does the rest).

/** Parked items before reading from the peer pauses. */
const PARKED_BEFORE_PAUSE = 256;

export interface Pausable {
  pause(): void;
  resume(): void;
}

export class OrderedInbound<T> {
  /** Items that arrived while a command was waiting; null when nothing waits. */
  private parked: T[] | null = null;
  private paused = false;

  constructor(
    private readonly peer: Pausable,
    /** Handles one item now; it may call waitFor() to make the items behind it wait. */
    private readonly handle: (item: T) => void,
    /** False once the connection is closing: parked items are then dropped. */
    private readonly isOpen: () => boolean,
    /** Contains what handling a parked item throws (it runs in a promise continuation): must not throw. */
    private readonly fail: (err: unknown) => void,
  ) {}

  /** An item arrived: handle it now, or park it behind a waiting command. */
  accept(item: T): void {
    if (this.parked === null) return this.handle(item);
    this.parked.push(item);
    if (this.parked.length >= PARKED_BEFORE_PAUSE && !this.paused) {
      this.paused = true;
      this.peer.pause();
    }
  }

  /** The command being handled must finish before the next item: park what follows until `done` settles. */
  waitFor(done: Promise<unknown>, onError: (err: unknown) => void): void {
    this.parked ??= [];
    done.then(
      () => this.resumeContained(),
      (err: unknown) => {
        try {
          onError(err);
        } catch (thrown) {
          this.fail(thrown);
        }
        this.resumeContained();
      },
    );
  }

  /** A continuation is an entry point: nothing it throws may become an unhandled rejection. */
  private resumeContained(): void {
    try {
      this.resume();
    } catch (err) {
      this.clear();
      this.fail(err);
    }
  }

  private resume(): void {
    const items = this.parked ?? [];
    this.parked = null;
    for (let i = 0; i < items.length; i++) {
      if (!this.isOpen()) return;
      if (this.parked !== null) {
        // A command waits again: keep the rest behind it, in order.
        (this.parked as T[]).push(...items.slice(i));
        return;
      }
      this.handle(items[i]!);
    }
    if (this.parked === null && this.paused) {
      this.paused = false;
      this.peer.resume();
    }
  }

  clear(): void {
    this.parked = null;
  }
}
