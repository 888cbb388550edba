// The boundary between a transport (ws today, uWebSockets.js later) and a protocol session.
// A transport delivers whole messages up and takes whole messages down; framing, batching of
// writes and heartbeats are its business.
import type { Encoding } from '../../protocol/native.js';
import type { TlsPeerCertificate } from '../tls/peer-certificate.js';
import type { SharedFrame } from './shared-frame.js';

export interface TransportConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Queue one whole message made of `head` followed by `tail` (tail may be null). */
  send(head: Buffer, tail: Buffer | null): void;
  /** Bytes queued for this peer and not yet handed to the kernel. */
  bufferedAmount(): number;
  /** Close with a close frame; the transport forces the socket shut if the peer does not answer. */
  close(code: number, reason: string): void;
  /** Destroy the socket at once, no close handshake. */
  terminate(): void;
  /** Stop reading from the peer (backpressure while commands wait); resume() undoes it. */
  pause(): void;
  resume(): void;
  /**
   * True when pause() really stops reading the socket, so TCP pushes back on the peer; false when
   * it can only hold what keeps arriving (uWebSockets.js), up to a bound past which it closes.
   */
  readonly pausesReading: boolean;
  /** The session logged on: give back the connection's slot of admission.maxUnauthenticated. */
  loggedOn(): void;
  /** The verified TLS client certificate; transports without TLS need not implement it. Read at logon, not per message. */
  peerCertificate?(): TlsPeerCertificate | undefined;
  /** The host names the client connected to (a vhost's name, docs/vhosts.md); read at logon. */
  hostNames?(): ConnectionHostNames;
}

/** What a client said about the host it connected to; undefined where it said nothing. */
export interface ConnectionHostNames {
  /** The WebSocket upgrade request's Host header. */
  readonly host: string | undefined;
  /** The TLS client hello's server name (SNI). */
  readonly sni: string | undefined;
}

/** The SNI name of a TLS socket, or undefined (plain TCP, or a client that sent none). */
export function serverNameOf(socket: object): string | undefined {
  const name = (socket as { servername?: unknown }).servername;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** A WebSocket connection carrying the native protocol (ws or uWebSockets.js). */
export interface MessageConnection extends TransportConnection {
  /**
   * Queue one whole message that other connections may send too: the transport frames it once,
   * in `frame`, and every connection sending it reuses that (SharedFrame).
   */
  sendShared(frame: SharedFrame): void;
}

/** What a session exposes to its transport. */
export interface TransportHandler {
  onMessage(data: Buffer, isBinary: boolean): void;
  onClose(code: number, reason: string): void;
}

export interface AcceptedConnection {
  connection: MessageConnection;
  encoding: Encoding;
  listenerName: string;
}

/** Called by a listener for every accepted connection; returns the handler for its messages. */
export type ConnectionAcceptor = (accepted: AcceptedConnection) => TransportHandler;
