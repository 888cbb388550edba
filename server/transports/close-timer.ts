// Close bookkeeping shared by TcpConnection and WsConnection: a one-shot timer that forces a
// closing peer off, and the "closed" promise closeAndWait waits on (forcing it after graceMs).
// The promise is made only when something waits for it (a shutdown), not for every connection.
export class CloseTimer {
  private timer: NodeJS.Timeout | null = null;
  private closed: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;
  private settled = false;

  constructor(
    /** Drops the connection without ceremony (its `terminate`). */
    private readonly force: () => void,
    /** How long a closing peer may take before `force` runs. */
    private readonly timeoutMs: number,
  ) {}

  /** A close has begun: force it after timeoutMs unless the connection goes first. */
  arm(): void {
    if (this.timer !== null || this.settled) return;
    this.timer = setTimeout(this.force, this.timeoutMs);
    this.timer.unref();
  }

  /** The connection is gone: stop the timer and wake closeAndWait. */
  settle(): void {
    this.settled = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.resolveClosed?.();
  }

  /** Wait for settle(), forcing the connection off if it takes longer than graceMs. */
  async wait(graceMs: number): Promise<void> {
    if (this.settled) return;
    this.closed ??= new Promise((resolve) => (this.resolveClosed = resolve));
    const timer = setTimeout(this.force, graceMs);
    await this.closed;
    clearTimeout(timer);
  }
}
