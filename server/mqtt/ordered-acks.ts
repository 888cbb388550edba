// PUBACKs and PUBRECs that wait for the store (persistence.sync), in the order their PUBLISHes
// came [MQTT-4.6.0-2]: once one waits, every later acknowledgement of the connection queues behind
// it, even one that needs no write. Made for a connection on its first wait; most never wait.

export class OrderedAcks {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(
    /** A write an acknowledgement waited for failed: it is not sent, and the caller closes the connection. */
    private readonly failed: (err: unknown) => void,
  ) {}

  /** True while an acknowledgement waits: the next one must queue behind it. */
  get busy(): boolean {
    return this.waiting > 0;
  }

  /** Send `ack` once `durable` has resolved (null: nothing to wait for but the ones ahead of it). */
  after(durable: Promise<void> | null, ack: () => void): void {
    this.waiting++;
    // Handled now: it may reject before the acknowledgements ahead of it have gone out.
    durable?.catch(() => undefined);
    const ahead = this.tail;
    this.tail = ahead
      .then(() => durable ?? undefined)
      .then(
        () => {
          this.waiting--;
          ack();
        },
        (err: unknown) => {
          this.waiting--;
          this.failed(err);
        },
      )
      // Both handlers contain their own errors; this keeps the chain from ever rejecting.
      .catch(() => undefined);
  }
}
