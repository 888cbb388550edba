// Connection tracking shared by the listeners (native WS, MQTT over WS, MQTT over TCP): adopt a
// new connection, beat a heartbeat, close all with a grace period, or drop all at once.
import type { Logger } from 'pino';
import type { TransportHandler } from './transport.js';

export interface TrackedConnection {
  closeAndWait(code: number, reason: string, graceMs: number): Promise<void>;
  terminate(): void;
}

/** A connection told by a callback when it has gone. */
export interface AttachableConnection extends TrackedConnection {
  attach(handler: TransportHandler, onGone: () => void): void;
}

/** A connection that calls forget() on its set itself when it has gone: no callback to make per connection. */
export interface StartableConnection extends TrackedConnection {
  start(handler: TransportHandler): void;
}

export class ConnectionSet<C extends TrackedConnection> {
  private readonly connections = new Set<C>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly log: Logger) {}

  get size(): number {
    return this.connections.size;
  }

  /** Track `connection` and attach the handler `accept` builds; if `accept` throws, drop it. */
  adopt(connection: C & AttachableConnection, accept: () => TransportHandler): void {
    const handler = this.track(connection, accept);
    if (handler !== null) connection.attach(handler, () => this.connections.delete(connection));
  }

  /** Like adopt, for a connection that calls forget() when it has gone. */
  adoptStartable(connection: C & StartableConnection, accept: (connection: C) => TransportHandler): void {
    const handler = this.track(connection, accept);
    if (handler !== null) connection.start(handler);
  }

  /** The connection has gone: stop tracking it. */
  forget(connection: C): void {
    this.connections.delete(connection);
  }

  private track(connection: C, accept: (connection: C) => TransportHandler): TransportHandler | null {
    this.connections.add(connection);
    try {
      return accept(connection);
    } catch (err) {
      this.log.error({ err }, 'failed to set up a connection');
      connection.terminate();
      this.connections.delete(connection);
      return null;
    }
  }

  /** Call `beat` on every connection each intervalMs, until closeAll. */
  startHeartbeat(intervalMs: number, beat: (connection: C) => void): void {
    this.heartbeat = setInterval(() => {
      for (const connection of this.connections) {
        // A timer is an entry point: one connection's failure drops that connection, not the beat.
        try {
          beat(connection);
        } catch (err) {
          this.log.error({ err }, 'heartbeat failed; dropping the connection');
          connection.terminate();
        }
      }
    }, intervalMs);
    this.heartbeat.unref();
  }

  /** Stop the heartbeat, close every connection and wait up to graceMs for them. */
  async closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const open = [...this.connections];
    await Promise.all(open.map((c) => c.closeAndWait(code, reason, graceMs)));
  }

  /** Drop every connection without a close handshake; returns how many there were. */
  dropAll(): number {
    const open = [...this.connections];
    for (const c of open) c.terminate();
    return open.length;
  }
}
