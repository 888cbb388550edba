// Adapts one TCP socket to TransportConnection for a byte-stream protocol (MQTT): whole packets
// down, raw chunks up (the protocol's parser reassembles them). Writes are batched per event-loop turn.
//
// Nothing here allocates a closure per connection (memory per idle connection is a benchmark
// target, bench:heap): the socket's listeners are module-level functions that find their
// connection through a symbol on the socket (as ws does with `socket[kWebSocket]`), the set that
// tracks the connection is told directly when it goes, and the close timer is made only on close.
import type { Socket } from 'node:net';
import {
  serverNameOf,
  type ConnectionHostNames,
  type TransportConnection,
  type TransportHandler,
} from './transport.js';
import { WriteBatch, type Batched, type TurnBatcher } from './turn-batcher.js';
import { CloseTimer } from './close-timer.js';
import type { ConnectionOwner } from './connection-set.js';
import { peerCertificateOf, type TlsPeerCertificate } from '../tls/peer-certificate.js';
import type { UnauthenticatedSlot } from '../admission/unauthenticated-sockets.js';

/** How long a closing socket may take to flush before it is destroyed. */
const CLOSE_FLUSH_TIMEOUT_MS = 2000;

const kConnection = Symbol('warden.tcpConnection');

interface OwnedSocket extends Socket {
  [kConnection]: TcpConnection;
}

export class TcpConnection implements TransportConnection, Batched {
  batched = false;
  private readonly batch = new WriteBatch();
  readonly remoteAddress: string;
  readonly remotePort: number;
  private handler: TransportHandler | null = null;
  private owner: ConnectionOwner<TcpConnection> | null = null;
  /** Made by the first close (see closer()). */
  private closing: CloseTimer | null = null;
  /** Its slot of admission.maxUnauthenticated until CONNACK (or close); null once given back. */
  private slot: UnauthenticatedSlot | null;
  /** The socket has closed. */
  private gone = false;

  constructor(
    readonly socket: Socket,
    private readonly batcher: TurnBatcher,
    slot: UnauthenticatedSlot,
  ) {
    this.slot = slot;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
  }

  loggedOn(): void {
    this.releaseSlot();
  }

  private releaseSlot(): void {
    const slot = this.slot;
    this.slot = null;
    slot?.release();
  }

  /** Start reading into `handler`. */
  start(handler: TransportHandler, owner: ConnectionOwner<TcpConnection>): void {
    this.handler = handler;
    this.owner = owner;
    const socket = this.socket as OwnedSocket;
    socket[kConnection] = this;
    socket.on('data', socketOnData);
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
  }

  /** The socket closed (it does once): give everything back, then tell the protocol. */
  socketClosed(hadError: boolean): void {
    this.gone = true;
    this.releaseSlot();
    this.closing?.settle();
    this.owner?.forget(this);
    this.handler?.onClose(hadError ? 1006 : 1000, '');
  }

  deliverChunk(data: Buffer): void {
    this.handler?.onMessage(data, true);
  }

  send(head: Buffer, tail: Buffer | null): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.batcher.hold(this);
    this.batch.add(head);
    if (tail !== null) this.batch.add(tail);
    if (this.batch.full) this.batch.writeTo(this.socket);
  }

  flushBatch(): void {
    this.batch.writeTo(this.socket);
  }

  bufferedAmount(): number {
    return this.socket.writableLength + this.batch.bytes;
  }

  private closer(): CloseTimer {
    return (this.closing ??= new CloseTimer(() => this.terminate(), CLOSE_FLUSH_TIMEOUT_MS));
  }

  /** TCP has no close frame: flush what is queued, then end; destroy if the peer does not read. */
  close(_code: number, _reason: string): void {
    if (this.socket.destroyed) return;
    this.flushBatch();
    this.socket.end();
    this.closer().arm();
  }

  async closeAndWait(code: number, reason: string, graceMs: number): Promise<void> {
    if (this.gone) return;
    this.close(code, reason);
    await this.closer().wait(graceMs);
  }

  terminate(): void {
    this.batch.discard();
    this.socket.destroy();
  }

  readonly pausesReading = true;

  pause(): void {
    this.socket.pause();
  }

  hostNames(): ConnectionHostNames {
    return { host: undefined, sni: serverNameOf(this.socket) };
  }

  peerCertificate(): TlsPeerCertificate | undefined {
    return peerCertificateOf(this.socket);
  }

  resume(): void {
    this.socket.resume();
  }
}

function socketOnData(this: OwnedSocket, data: Buffer): void {
  this[kConnection].deliverChunk(data);
}

/** A reset peer: 'close' follows. */
function socketOnError(this: OwnedSocket): void {}

function socketOnClose(this: OwnedSocket, hadError: boolean): void {
  this[kConnection].socketClosed(hadError);
}
