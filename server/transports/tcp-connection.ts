// Adapts one TCP socket to TransportConnection for a byte-stream protocol (MQTT): whole packets
// down, raw chunks up (the protocol's parser reassembles them). Writes are batched per event-loop turn.
import type { Socket } from 'node:net';
import type { TransportConnection, TransportHandler } from './transport.js';
import { WriteBatch, type Batched, type TurnBatcher } from './turn-batcher.js';
import { CloseTimer } from './close-timer.js';
import { peerCertificateOf, type TlsPeerCertificate } from '../tls/peer-certificate.js';
import type { UnauthenticatedSlot } from '../admission/unauthenticated-sockets.js';

/** How long a closing socket may take to flush before it is destroyed. */
const CLOSE_FLUSH_TIMEOUT_MS = 2000;

export class TcpConnection implements TransportConnection, Batched {
  batched = false;
  private readonly batch = new WriteBatch();
  readonly remoteAddress: string;
  readonly remotePort: number;
  private handler: TransportHandler | null = null;
  private readonly closing = new CloseTimer(() => this.terminate(), CLOSE_FLUSH_TIMEOUT_MS);

  constructor(
    readonly socket: Socket,
    private readonly batcher: TurnBatcher,
    /** Its slot of admission.maxUnauthenticated until CONNACK (or close). */
    private readonly slot: UnauthenticatedSlot,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
  }

  loggedOn(): void {
    this.slot.release();
  }

  attach(handler: TransportHandler, onGone: () => void): void {
    this.handler = handler;
    this.socket.on('data', onSocketData.bind(this));
    this.socket.on('error', () => {}); // a reset peer; 'close' follows
    this.socket.once('close', (hadError: boolean) => {
      this.slot.release();
      this.closing.settle();
      onGone();
      handler.onClose(hadError ? 1006 : 1000, '');
    });
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

  /** TCP has no close frame: flush what is queued, then end; destroy if the peer does not read. */
  close(_code: number, _reason: string): void {
    if (this.socket.destroyed) return;
    this.flushBatch();
    this.socket.end();
    this.closing.arm();
  }

  async closeAndWait(code: number, reason: string, graceMs: number): Promise<void> {
    this.close(code, reason);
    await this.closing.wait(graceMs);
  }

  terminate(): void {
    this.batch.discard();
    this.socket.destroy();
  }

  readonly pausesReading = true;

  pause(): void {
    this.socket.pause();
  }

  peerCertificate(): TlsPeerCertificate | undefined {
    return peerCertificateOf(this.socket);
  }

  resume(): void {
    this.socket.resume();
  }
}

function onSocketData(this: TcpConnection, data: Buffer): void {
  this.deliverChunk(data);
}
