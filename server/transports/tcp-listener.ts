// A TCP listener (MQTT over TCP, or over TLS: mqtts): accepts sockets and hands each, adapted to
// a TransportConnection, to the protocol's acceptor. With TLS a socket arrives once its handshake
// succeeded; failed handshakes never reach the protocol.
import { listenOn, urlAuthority } from './listen-on.js';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { ServerTls } from '../tls/tls-profiles.js';
import { TlsHandshakes } from '../tls/tls-handshakes.js';
import type { Logger } from 'pino';
import type { TransportHandler } from './transport.js';
import { TcpConnection } from './tcp-connection.js';
import type { TurnBatcher } from './turn-batcher.js';
import type { BoundListener } from './bound-listener.js';
import { ConnectionSet } from './connection-set.js';
import type { PreLogon } from './pre-logon.js';

export interface TcpListenerConfig {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** URL scheme for the bound address (mqtt, mqtts). */
  readonly scheme: string;
  /** Serve TLS with this setup; null: plain TCP. */
  readonly tls?: ServerTls | null;
}

export type TcpAcceptor = (connection: TcpConnection) => TransportHandler;

export class TcpListener {
  private readonly server: Server;
  private readonly connections: ConnectionSet<TcpConnection>;
  /** With TLS: sockets still in their handshake, dropped at close. */
  private readonly handshakes: TlsHandshakes | null = null;

  constructor(
    private readonly config: TcpListenerConfig,
    private readonly accept: TcpAcceptor,
    private readonly batcher: TurnBatcher,
    log: Logger,
    private readonly preLogon: PreLogon,
  ) {
    this.connections = new ConnectionSet(log);
    const tls = config.tls ?? null;
    if (tls === null) this.server = createServer((socket) => this.onConnection(socket));
    else {
      const server = createTlsServer(tls.options, (socket) => this.onConnection(socket));
      tls.adopt(server);
      this.server = server;
      this.handshakes = new TlsHandshakes(server, log);
    }
  }

  async listen(): Promise<BoundListener> {
    const { host, port, name, scheme } = this.config;
    const actual = await listenOn(this.server, host, port, `listener "${name}"`);
    return {
      name,
      protocol: 'mqtt',
      transport: 'tcp',
      host,
      port: actual,
      url: `${scheme}://${urlAuthority(host, actual)}`,
    };
  }

  private onConnection(socket: Socket): void {
    // Over admission.maxUnauthenticated(PerHost): closed before anything is read. A socket that
    // never sends CONNECT is closed by the session after connectTimeoutMs.
    const slot = this.preLogon.sockets.take(socket.remoteAddress ?? '');
    if (slot === null) return void socket.destroy();
    const connection = new TcpConnection(socket, this.batcher, slot);
    this.connections.adopt(connection, this.accept);
  }

  /** Stop accepting, close every connection (sessions said goodbye first), wait up to graceMs for them. */
  async close(code: number, reason: string, graceMs: number): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.connections.closeAll(code, reason, graceMs);
    this.handshakes?.destroyAll();
    await serverClosed;
  }

  dropAll(): number {
    return this.connections.dropAll();
  }
}
