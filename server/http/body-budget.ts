// Request bodies an HTTP publish listener holds at once, in bytes (options.maxBufferedBytes): each
// connection reads one request at a time, but admitted connections are many, and each could send
// the largest body. A request takes its bytes before they are read (its Content-Length, or chunk
// by chunk) and gives them back once it is answered; one that does not fit is refused with 503
// SERVER_BUSY. Counted in httpBufferedBytes (now) and httpRequestsBusy (refused).
import type { BrokerStats } from '../stats.js';

export class BodyBudget {
  private held = 0;

  constructor(
    private readonly max: number,
    private readonly stats: BrokerStats,
  ) {}

  /** Take `bytes` if they fit; false (counted) otherwise. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.max) {
      this.stats.httpRequestsBusy++;
      return false;
    }
    this.held += bytes;
    this.stats.httpBufferedBytes += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held -= bytes;
    this.stats.httpBufferedBytes -= bytes;
  }
}
