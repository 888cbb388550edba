// The part of a TLS server's life before a connection exists: sockets still in their handshake,
// and handshakes that fail. Nothing else owns these sockets, so this does:
// - a failed handshake (no client certificate, untrusted CA, refused version, timeout) destroys
//   its socket and is logged at debug with OpenSSL's reason (a client's refusal is not the
//   broker's problem, but an operator chasing one needs the why). Node would otherwise leave a
//   client that never sent a ClientHello connected past the handshake timeout;
// - at close, sockets still in their handshake are dropped: server.close() would wait for them.
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';

export class TlsHandshakes {
  private readonly sockets = new Set<Socket>();

  constructor(server: Server, log: Logger | null) {
    // 'connection' is the raw TCP socket, before TLS; it closes with the TLS socket built on it.
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('tlsClientError', (err: Error & { code?: string; reason?: string }, socket: Socket) => {
      log?.debug(
        { remote: socket.remoteAddress, reason: err.reason ?? err.code ?? err.message },
        'TLS handshake failed',
      );
      socket.destroy();
    });
  }

  /** Destroy every raw socket still open (call after the established connections were closed). */
  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
