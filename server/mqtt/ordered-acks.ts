// PUBACKs and PUBRECs that wait for the store (persistence.sync), in the order their PUBLISHes
// came [MQTT-4.6.0-2]: once one waits, every later acknowledgement of the connection queues behind
// it, even one that needs no write. Made for a connection on its first wait; most never wait.
//
// The store answers the writes of one transaction with one promise, so the acknowledgements
// waiting for it share one handler: a queue of (batch, ack), drained in order as batches settle.

/** The writes one acknowledgement waits for: a store transaction's promise, and whether it settled. */
class Batch {
  settled = false;
  failure: unknown = null;
  constructor(readonly durable: Promise<void> | null) {}
}

/** Already settled: an acknowledgement that waits only for those ahead of it. */
const NOTHING = new Batch(null);
NOTHING.settled = true;

export class OrderedAcks {
  private readonly batches: Batch[] = [];
  private readonly acks: (() => void)[] = [];
  private head = 0;
  private last: Batch = NOTHING;

  constructor(
    /** A write an acknowledgement waited for failed: it is not sent, and the caller closes the connection. */
    private readonly failed: (err: unknown) => void,
  ) {}

  /** True while an acknowledgement waits: the next one must queue behind it. */
  get busy(): boolean {
    return this.head < this.acks.length;
  }

  /** Send `ack` once `durable` has resolved (null: nothing to wait for but the ones ahead of it). */
  after(durable: Promise<void> | null, ack: () => void): void {
    let batch = this.last;
    if (durable === null) batch = NOTHING;
    else if (durable !== batch.durable) {
      const created = new Batch(durable);
      durable.then(
        () => this.settle(created, null),
        (err: unknown) => this.settle(created, err ?? new Error('a store write failed')),
      );
      batch = created;
    }
    this.last = batch;
    this.batches.push(batch);
    this.acks.push(ack);
    // Nothing ahead of it and nothing to wait for: at once.
    if (batch.settled) this.drain();
  }

  private settle(batch: Batch, failure: unknown): void {
    batch.settled = true;
    batch.failure = failure;
    this.drain();
  }

  /** Send, in order, every acknowledgement whose batch has settled, up to the first that has not. */
  private drain(): void {
    while (this.head < this.acks.length) {
      const batch = this.batches[this.head]!;
      if (!batch.settled) return;
      const ack = this.acks[this.head]!;
      this.head++;
      if (batch.failure === null) ack();
      else this.failed(batch.failure);
    }
    this.batches.length = 0;
    this.acks.length = 0;
    this.head = 0;
  }
}
