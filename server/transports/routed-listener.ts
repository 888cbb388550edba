// What every WebSocket listener shares, whichever engine serves it: its connections, and the path
// it holds on an endpoint shared by host:port (HttpEndpoint for ws, UwsEndpoint for uws).
import type { Logger } from 'pino';
import { ConnectionSet, type TrackedConnection } from './connection-set.js';

/** The part of an endpoint a listener gives back when it closes. */
export interface PathRoutes {
  /** New upgrades to `path` are refused (503) from now on: its listener is closing. */
  stopRouting(path: string): void;
  release(path: string): Promise<void>;
}

export abstract class RoutedListener<C extends TrackedConnection> {
  protected readonly connections: ConnectionSet<C>;

  constructor(
    private readonly routes: PathRoutes,
    private readonly path: string,
    log: Logger,
  ) {
    this.connections = new ConnectionSet(log);
  }

  /** Send close frames to every connection, wait up to graceMs for them, then give the path back. */
  async close(code: number, reason: string, graceMs: number): Promise<void> {
    // No new connection during the grace period: a reconnecting client goes to another node.
    this.routes.stopRouting(this.path);
    await this.connections.closeAll(code, reason, graceMs);
    await this.routes.release(this.path);
  }

  /** Drop every connection without a close handshake (tests, admin). */
  dropAll(): number {
    return this.connections.dropAll();
  }

  get connectionCount(): number {
    return this.connections.size;
  }
}
