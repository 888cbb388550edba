// Messages to other nodes: each frame (encoded once per publish, bus-codec.ts) is queued for every
// node it goes to, and each node's frames of one turn of the event loop leave as one Redis PUBLISH
// on that node's channel. One connection carries them all, so a publisher's messages reach every
// node in the order they were published. What waits for Redis is bounded (maxBytes in flight):
// past it, or while Redis is away, a message is dropped for that node and counted, never queued
// without limit or replayed late.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BrokerStats } from '../stats.js';
import { encodeBatch } from './bus-codec.js';
import type { ClusterKeys } from './cluster-keys.js';

/** A node's frames are sent before the turn ends once they reach this many bytes. */
const MAX_BATCH_BYTES = 1024 * 1024;

export class MessageBus {
  private readonly outgoing = new Map<string, { frames: Buffer[]; bytes: number }>();
  private scheduled = false;
  /** Bytes handed to Redis and not yet answered. */
  private inFlight = 0;
  /** Set while sends fail, so the failure is logged once per outage. */
  private failing = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
    /** Most bytes waiting for Redis to take them (cluster.maxBusBytes). */
    private readonly maxBytes: number,
  ) {}

  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** Queue `frame` for each of `nodes`; sent at the end of this turn. */
  send(nodes: readonly string[], frame: Buffer): void {
    const size = frame.length + 4;
    for (const node of nodes) {
      if (!this.connected() || this.inFlight + size > this.maxBytes) {
        this.stats.clusterMessagesDropped++;
        continue;
      }
      let queue = this.outgoing.get(node);
      if (queue === undefined) this.outgoing.set(node, (queue = { frames: [], bytes: 0 }));
      queue.frames.push(frame);
      queue.bytes += size;
      this.inFlight += size;
      if (queue.bytes >= MAX_BATCH_BYTES) this.flushNode(node);
    }
    if (!this.scheduled && this.outgoing.size > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Send everything queued now (also at shutdown). */
  flush(): void {
    this.scheduled = false;
    for (const node of [...this.outgoing.keys()]) this.flushNode(node);
  }

  private connected(): boolean {
    return this.redis.status === 'ready';
  }

  private flushNode(node: string): void {
    const queue = this.outgoing.get(node);
    if (queue === undefined) return;
    this.outgoing.delete(node);
    const { frames, bytes } = queue;
    this.stats.clusterBatchesSent++;
    this.redis.publish(this.keys.busChannel(node), encodeBatch(frames)).then(
      () => {
        this.inFlight -= bytes;
        this.stats.clusterMessagesSent += frames.length;
        this.failing = false;
      },
      (err: unknown) => {
        this.inFlight -= bytes;
        this.stats.clusterMessagesDropped += frames.length;
        if (this.failing) return;
        this.failing = true;
        this.log.warn(
          { node, messages: frames.length, err: (err as Error).message },
          'cluster bus: messages for another node dropped (Redis unavailable); counted in clusterMessagesDropped',
        );
      },
    );
  }
}
