// Keeps a connection's commands in arrival order when one of them has to wait (an
// authentication or entitlement module answering asynchronously): what arrives meanwhile is
// parked and handled, in order, once the wait is over. Past a bound the peer stops being read,
// so a client cannot grow the queue without limit (TCP backpressure does the rest).
//
// It also keeps one connection from holding the event loop: a socket read can carry thousands
// of commands, and each may be costly (a publish to a new topic that 200 wildcards match costs
// about 100 us), so after INPUT_SLICE_MS of handling the rest of what arrived is parked, the peer
// paused, and handling goes on in a later turn, after other connections' input and timers. Only
// for a peer whose pause() stops reading: one that can only hold what keeps arriving (uWS) would
// hold a pipelining client's whole backlog, and close it past its bound, for no gain in memory.

/** Parked items before reading from the peer pauses. */
const PARKED_BEFORE_PAUSE = 256;
/** Handling time one connection gets in one go before it yields the event loop. */
export const INPUT_SLICE_MS = 10;
/** The clock is read every this many items (and at a slice's first), not at every one. */
const ITEMS_PER_CLOCK_READ = 4;

/**
 * Event-loop turns, counted by one setImmediate per turn shared by every connection (one per
 * connection per turn cost QoS 1 throughput a quarter): a slice ends when the turn does.
 */
let turn = 0;
let turnTickArmed = false;
function nextTurn(): void {
  turn++;
  turnTickArmed = false;
}

export interface Pausable {
  pause(): void;
  resume(): void;
  /** Whether pause() stops reading (only then does this yield after a time slice). */
  readonly pausesReading: boolean;
}

/**
 * What handles the items: the session itself, so a connection makes no closures for them
 * (memory per idle connection, bench:heap).
 */
export interface InboundHandler<T> {
  /** Handles one item now; it may call waitFor() to make the items behind it wait. */
  handleInbound(item: T): void;
  /** False once the connection is closing: parked items are then dropped. */
  inboundOpen(): boolean;
  /** Contains what handling a parked item throws (it runs in a promise continuation): must not throw. */
  inboundFailed(err: unknown): void;
}

export class OrderedInbound<T> {
  /** Items that arrived while a command was waiting; null when nothing waits. */
  private parked: T[] | null = null;
  private paused = false;
  /** When this connection's slice began (performance.now()), in turn `sliceTurn`. */
  private sliceStart = 0;
  private sliceTurn = -1;
  private sinceClockRead = 0;
  /** Whether this connection's input is handled in time slices (its peer can stop reading). */
  private readonly sliced: boolean;

  constructor(
    private readonly peer: Pausable,
    private readonly handler: InboundHandler<T>,
  ) {
    this.sliced = peer.pausesReading;
  }

  /** An item arrived: handle it now, or park it behind a waiting command. */
  accept(item: T): void {
    if (this.parked === null) {
      this.handler.handleInbound(item);
      if (this.parked === null && this.sliceSpent()) this.yieldTurn([]);
      return;
    }
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
          this.handler.inboundFailed(thrown);
        }
        this.resumeContained();
      },
    );
  }

  /**
   * Handle the parked items, from a timer or a promise continuation: an entry point, so nothing
   * it throws may become an unhandled rejection.
   */
  resumeContained(): void {
    try {
      this.resume();
    } catch (err) {
      this.clear();
      this.handler.inboundFailed(err);
    }
  }

  private resume(): void {
    const items = this.parked ?? [];
    this.parked = null;
    for (let i = 0; i < items.length; i++) {
      if (!this.handler.inboundOpen()) return;
      if (this.parked !== null) {
        // A command waits again: keep the rest behind it, in order.
        (this.parked as T[]).push(...items.slice(i));
        return;
      }
      if (this.sliceSpent()) return this.yieldTurn(items.slice(i));
      this.handler.handleInbound(items[i]!);
    }
    if (this.parked === null && this.paused) {
      this.paused = false;
      this.peer.resume();
    }
  }

  clear(): void {
    this.parked = null;
  }

  /** Whether this connection's slice in this turn is used up; the first item of a turn starts one. */
  private sliceSpent(): boolean {
    if (!this.sliced) return false;
    if (this.sliceTurn !== turn) {
      this.sliceTurn = turn;
      this.sliceStart = performance.now();
      this.sinceClockRead = 0;
      if (!turnTickArmed) {
        turnTickArmed = true;
        setImmediate(nextTurn);
      }
      return false;
    }
    if (++this.sinceClockRead < ITEMS_PER_CLOCK_READ) return false;
    this.sinceClockRead = 0;
    return performance.now() - this.sliceStart >= INPUT_SLICE_MS;
  }

  /** Park `rest` (and what arrives after it), stop reading, and go on after other work has run. */
  private yieldTurn(rest: T[]): void {
    this.parked = rest;
    if (!this.paused) {
      this.paused = true;
      this.peer.pause();
    }
    setImmediate(resumeAfterYield, this);
  }
}

/** The parked items' turn after a yield (a timer callback is an entry point); module-level, not a closure per connection. */
function resumeAfterYield(inbound: { resumeContained(): void }): void {
  inbound.resumeContained();
}
