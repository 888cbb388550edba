// Sockets not logged on yet (`bench:abuse` attack 10): a native connection from its TCP
// connection (so the HTTP upgrade counts) until its logon is accepted, an MQTT connection until
// its CONNACK. They hold buffers and timers while proving nothing, so there is a cap over every
// listener (admission.maxUnauthenticated) and one per remote host (maxUnauthenticatedPerHost);
// a socket over either is closed at once, before anything is read, and counted. A slot is given
// back once: on logon or when the socket closes, whichever comes first.
import type { Logger } from 'pino';
import type { BrokerStats } from '../stats.js';
import { HostAddress } from './host-address.js';

const LOG_INTERVAL_MS = 10_000;

export class UnauthenticatedSlot {
  private held = true;

  constructor(
    private readonly owner: UnauthenticatedSockets,
    readonly host: string,
  ) {}

  /** Logged on, or closed: later calls do nothing. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.owner.give(this.host);
  }
}

export class UnauthenticatedSockets {
  private open = 0;
  private readonly perHost = new Map<string, number>();
  /** When the log last reported a refusal: at most one line per LOG_INTERVAL_MS, since a flood makes thousands. */
  private loggedAt = Number.NEGATIVE_INFINITY;
  private refusedSinceLog = 0;

  constructor(
    private max: number,
    private maxPerHost: number,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
  ) {}

  /** A slot for a new socket from `remoteAddress`, or null (counted) when it must be closed at once. */
  take(remoteAddress: string): UnauthenticatedSlot | null {
    const host = HostAddress.of(remoteAddress).key;
    const fromHost = this.perHost.get(host) ?? 0;
    if (this.open >= this.max || fromHost >= this.maxPerHost) {
      this.stats.connectionsRefusedUnauthenticated++;
      this.refusedSinceLog++;
      const now = Date.now();
      if (now - this.loggedAt >= LOG_INTERVAL_MS) {
        this.loggedAt = now;
        const which =
          this.open >= this.max
            ? `admission.maxUnauthenticated (${this.max})`
            : `admission.maxUnauthenticatedPerHost (${this.maxPerHost}) for ${host}`;
        this.log.warn(
          { remote: remoteAddress, refused: this.refusedSinceLog },
          `too many connections not logged on: ${which} reached; new sockets are closed at once`,
        );
        this.refusedSinceLog = 0;
      }
      return null;
    }
    this.open++;
    this.perHost.set(host, fromHost + 1);
    this.stats.unauthenticatedConnections = this.open;
    return new UnauthenticatedSlot(this, host);
  }

  /** A live reload's new caps: they apply to the next socket; sockets over them now are not closed. */
  resize(max: number, maxPerHost: number): void {
    this.max = max;
    this.maxPerHost = maxPerHost;
  }

  /** Called once per slot, by the slot. */
  give(host: string): void {
    this.open--;
    this.stats.unauthenticatedConnections = this.open;
    const fromHost = (this.perHost.get(host) ?? 1) - 1;
    if (fromHost === 0) this.perHost.delete(host);
    else this.perHost.set(host, fromHost);
  }
}
