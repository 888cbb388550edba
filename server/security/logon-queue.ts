// Credential checks in flight, bounded and shared fairly between remote hosts, against a logon
// flood. A password check is scrypt on libuv's threadpool (4 threads unless UV_THREADPOOL_SIZE
// says otherwise), which runs its jobs first come, first served: 400 CONNECTs from one host put
// 400 jobs ahead of everyone else's logon. Here at most `maxInFlight` checks run at once; the
// rest wait in one queue per host, and a free slot goes to the hosts in turn (round-robin), so a
// host's logon waits for at most one check per other waiting host, however much those queued.
// Each host's queue and all queues together are bounded: over either, the logon is refused at
// once without a check (docs/authentication.md, "Logon flood").
import type { BrokerStats } from '../stats.js';

export interface LogonQueueLimits {
  /** Checks running at once, broker-wide. */
  readonly maxInFlight: number;
  /** Checks one remote host may have waiting. */
  readonly maxQueuedPerHost: number;
  /** Checks waiting over every host. */
  readonly maxQueued: number;
}

/** Starts one check; resolves when it is over (answered, failed or timed out). */
export type CheckStart = () => Promise<void>;

class Waiting {
  constructor(
    readonly start: CheckStart,
    /** False once the connection that asked has gone: its check is skipped. */
    readonly wanted: () => boolean,
    readonly settle: (ran: boolean) => void,
  ) {}
}

class HostQueue {
  readonly items: Waiting[] = [];
  constructor(readonly host: string) {}
}

export class LogonQueue {
  private inFlight = 0;
  private queued = 0;
  private readonly hosts = new Map<string, HostQueue>();
  /** Hosts with checks waiting, in turn order: a Set keeps insertion order, and re-adding moves a host to the back. */
  private readonly turn = new Set<HostQueue>();

  constructor(
    private readonly limits: LogonQueueLimits,
    private readonly stats: BrokerStats,
  ) {}

  /** A check asked now would run at once: a slot is free and no host is waiting for one. */
  get idle(): boolean {
    return this.inFlight < this.limits.maxInFlight && this.queued === 0;
  }

  /**
   * Run `start` when a slot is free and it is `host`'s turn. Resolves true once it ran to its
   * end, false if it was skipped (`wanted()` said no when its turn came); 'busy' at once when
   * the host's queue or the whole queue is full.
   */
  run(host: string, start: CheckStart, wanted: () => boolean): Promise<boolean> | 'busy' {
    if (this.inFlight < this.limits.maxInFlight && this.queued === 0) return this.runNow(start).then(() => true);
    let queue = this.hosts.get(host);
    if (
      (queue !== undefined && queue.items.length >= this.limits.maxQueuedPerHost) ||
      this.queued >= this.limits.maxQueued
    ) {
      this.stats.logonsRefusedBusy++;
      return 'busy';
    }
    if (queue === undefined) {
      queue = new HostQueue(host);
      this.hosts.set(host, queue);
    }
    return new Promise<boolean>((settle) => {
      queue.items.push(new Waiting(start, wanted, settle));
      if (queue.items.length === 1) this.turn.add(queue);
      this.queued++;
      this.stats.logonChecksQueued = this.queued;
    });
  }

  private runNow(start: CheckStart): Promise<void> {
    this.inFlight++;
    this.stats.logonChecksInFlight = this.inFlight;
    let running: Promise<void>;
    try {
      running = start();
    } catch {
      running = Promise.resolve(); // start() contains its own errors; this only keeps a slot from leaking
    }
    return running.then(
      () => this.done(),
      () => this.done(),
    );
  }

  private done(): void {
    this.inFlight--;
    this.stats.logonChecksInFlight = this.inFlight;
    this.next();
  }

  /** Give free slots to waiting checks, one host at a time. */
  private next(): void {
    while (this.inFlight < this.limits.maxInFlight && this.turn.size > 0) {
      const queue = this.turn.values().next().value!;
      this.turn.delete(queue);
      const waiting = queue.items.shift()!;
      if (queue.items.length > 0) this.turn.add(queue);
      else this.hosts.delete(queue.host);
      this.queued--;
      this.stats.logonChecksQueued = this.queued;
      if (!waiting.wanted()) {
        waiting.settle(false);
        continue;
      }
      void this.runNow(waiting.start).then(() => waiting.settle(true));
    }
  }
}
