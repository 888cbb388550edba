// Connection tracking shared by the listeners (native WS, MQTT over WS, MQTT over TCP): adopt a
// new connection, beat a heartbeat, close all with a grace period, or drop all at once.
import type { Logger } from 'pino';
import type { TransportHandler } from './transport.js';

/** What tracks a connection (ConnectionSet): told once, when the connection has gone. */
export interface ConnectionOwner<C> {
  forget(connection: C): void;
}

export interface TrackedConnection {
  /**
   * Start delivering to `handler`; once the connection has gone, tell `owner` (an object, not a
   * callback: no closure per connection).
   */
  start(handler: TransportHandler, owner: ConnectionOwner<this>): void;
  closeAndWait(code: number, reason: string, graceMs: number): Promise<void>;
  terminate(): void;
}

export class ConnectionSet<C extends TrackedConnection> implements ConnectionOwner<C> {
  private readonly connections = new Set<C>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly log: Logger) {}

  get size(): number {
    return this.connections.size;
  }

  /** Track `connection` and start it with the handler `accept` builds; if `accept` throws, drop it. */
  adopt(connection: C, accept: (connection: C) => TransportHandler): void {
    this.connections.add(connection);
    let handler: TransportHandler;
    try {
      handler = accept(connection);
    } catch (err) {
      this.log.error({ err }, 'failed to set up a connection');
      connection.terminate();
      this.connections.delete(connection);
      return;
    }
    connection.start(handler, this);
  }

  /** The connection has gone: stop tracking it. */
  forget(connection: C): void {
    this.connections.delete(connection);
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
