// The fan-out publisher's flow control, shared by the MQTT and native generators. Publisher and
// subscribers live in this one process, so the generator knows both how many messages it
// published and how many deliveries its subscribers counted: it keeps at most `window` messages
// published and not yet delivered to every subscriber, which saturates the broker without pushing
// it into slow-consumer disconnects, and needs no acks from the broker (QoS 0 / plain publish).
import type { Socket } from 'node:net';
import type { BufferPool } from './buffer-pool.js';
import { DRAIN_TIMEOUT_MS, SAMPLE_EVERY, now } from './run-summary.js';

export interface FloodPublisher {
  socket: Socket;
  /** Copies of a buffer of `SAMPLE_EVERY` pre-encoded publishes. */
  pool: BufferPool;
  /** Stamp the first publish of a buffer with the send time, just before the write. */
  stamp(buf: Buffer, ms: number): void;
}

export interface FloodLimit {
  /** Stop publishing after this long. */
  seconds: number;
  /** Or after exactly this many messages (a multiple of SAMPLE_EVERY), if that comes first. */
  messages?: number;
}

export class FanoutWindow {
  /** Messages published so far. */
  published = 0;
  /** Deliveries counted by all subscribers so far. */
  delivered = 0;
  private wake: (() => void) | null = null;
  private readonly lowWater: number;

  constructor(
    private readonly subscribers: number,
    private readonly window: number,
  ) {
    // Wake the publisher once half the window's deliveries are in.
    this.lowWater = (window * subscribers) / 2;
  }

  /** Subscribers call this after each read with the deliveries it completed. */
  add(deliveries: number): void {
    this.delivered += deliveries;
    if (this.wake !== null && this.published * this.subscribers - this.delivered <= this.lowWater) {
      const w = this.wake;
      this.wake = null;
      w();
    }
  }

  /** Publish buffers of SAMPLE_EVERY messages within the window until the limit. */
  async flood(pub: FloodPublisher, limit: FloodLimit): Promise<void> {
    const batchesPerWindow = Math.max(1, Math.floor(this.window / SAMPLE_EVERY));
    if (limit.messages !== undefined && limit.messages % SAMPLE_EVERY !== 0)
      throw new Error(`messages must be a multiple of ${SAMPLE_EVERY}`);
    const maxMessages = limit.messages ?? Number.POSITIVE_INFINITY;
    const deadline = now() + limit.seconds * 1000;
    const { socket, pool } = pub;
    while (now() < deadline && this.published < maxMessages) {
      const outstanding = this.published - this.delivered / this.subscribers;
      const batches = Math.min(
        batchesPerWindow,
        Math.floor((this.window - outstanding) / SAMPLE_EVERY),
        (maxMessages - this.published) / SAMPLE_EVERY,
      );
      let ok = true;
      if (batches > 0) {
        socket.cork();
        for (let b = 0; b < batches; b++) {
          const buf = pool.get();
          pub.stamp(buf, now());
          ok = socket.write(buf, () => pool.release(buf));
          this.published += SAMPLE_EVERY;
        }
        socket.uncork();
      }
      const progress = new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
      if (!ok)
        await Promise.race([new Promise((r) => socket.once('drain', r)), new Promise((r) => setTimeout(r, 100))]);
      await progress;
      this.wake = null;
    }
  }

  /**
   * Publish single stamped messages at `rate`/s for `seconds`, in the bursts each timer tick makes
   * due: latency at a known load rather than at saturation. The pool's buffers hold one message
   * each (every one stamped), and the window does not apply.
   */
  async pace(pub: FloodPublisher, rate: number, seconds: number): Promise<void> {
    const { socket, pool } = pub;
    const start = now();
    const first = this.published;
    const deadline = start + seconds * 1000;
    for (let t = start; t < deadline; t = now()) {
      const due = Math.floor(((t - start) * rate) / 1000) - (this.published - first);
      for (let k = 0; k < due; k++) {
        const buf = pool.get();
        pub.stamp(buf, now());
        socket.write(buf, () => pool.release(buf));
        this.published++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Wait (at most DRAIN_TIMEOUT_MS) for every published message to reach every subscriber. */
  async drain(): Promise<void> {
    const expected = this.published * this.subscribers;
    const drainEnd = now() + DRAIN_TIMEOUT_MS;
    while (this.delivered < expected && now() < drainEnd) await new Promise((r) => setTimeout(r, 2));
  }
}
