// Adapts one `ws` WebSocket (and the raw socket under it) to TransportConnection.
import type { Socket } from 'node:net';
import { WebSocket, type RawData } from 'ws';
import { serverNameOf, type ConnectionHostNames, type MessageConnection, type TransportHandler } from './transport.js';
import type { SharedFrame } from './shared-frame.js';
import { WriteBatch, type Batched, type TurnBatcher } from './turn-batcher.js';
import { dataFrameHeader } from './ws-frame.js';
import { CloseTimer } from './close-timer.js';
import type { ConnectionOwner } from './connection-set.js';
import { peerCertificateOf, type TlsPeerCertificate } from '../tls/peer-certificate.js';
import type { UnauthenticatedSlot } from '../admission/unauthenticated-sockets.js';
import { slotOf } from './pre-logon.js';

/** How long a peer gets to answer our close frame before its socket is destroyed. */
const CLOSE_HANDSHAKE_TIMEOUT_MS = 2000;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export class WsConnection implements MessageConnection, Batched {
  batched = false;
  private readonly batch = new WriteBatch();
  readonly remoteAddress: string;
  readonly remotePort: number;
  private alive = true;
  private readonly closing = new CloseTimer(() => this.terminate(), CLOSE_HANDSHAKE_TIMEOUT_MS);
  /** The not-logged-on slot the socket took when it connected (pre-logon.ts); the socket's close gives it back too. */
  private readonly slot: UnauthenticatedSlot | null;

  constructor(
    private readonly ws: WebSocket,
    readonly socket: Socket,
    private readonly binary: boolean,
    private readonly batcher: TurnBatcher,
    /** The upgrade request's Host header. */
    private readonly hostHeader: string | undefined = undefined,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.slot = slotOf(socket);
  }

  hostNames(): ConnectionHostNames {
    return { host: this.hostHeader, sni: serverNameOf(this.socket) };
  }

  loggedOn(): void {
    this.slot?.release();
  }

  start(handler: TransportHandler, owner: ConnectionOwner<WsConnection>): void {
    this.ws.on('message', (data: RawData, isBinary: boolean) => handler.onMessage(toBuffer(data), isBinary));
    this.ws.on('pong', () => (this.alive = true));
    // ws reports protocol errors (bad UTF-8, oversized frame) here and then closes the socket.
    this.ws.on('error', () => {});
    this.ws.on('close', (code: number, reason: Buffer) => {
      this.closing.settle();
      owner.forget(this);
      handler.onClose(code, reason.toString('utf8'));
    });
  }

  send(head: Buffer, tail: Buffer | null): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.batcher.hold(this);
    this.batch.add(dataFrameHeader(this.binary, head.length + (tail === null ? 0 : tail.length)));
    this.batch.add(head);
    if (tail !== null) this.batch.add(tail);
    if (this.batch.full) this.batch.writeTo(this.socket);
  }

  /** The frame built once for all its receivers: one chunk, no header of its own. */
  sendShared(frame: SharedFrame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.batcher.hold(this);
    this.batch.add(frame.wsFrame(this.binary));
    if (this.batch.full) this.batch.writeTo(this.socket);
  }

  flushBatch(): void {
    this.batch.writeTo(this.socket);
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount + this.batch.bytes;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    // ws writes the close frame at once: the data frames batched this turn go first.
    this.flushBatch();
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    // A peer that stopped reading never answers the close frame: do not hold its buffers.
    this.closing.arm();
  }

  async closeAndWait(code: number, reason: string, graceMs: number): Promise<void> {
    this.close(code, reason);
    await this.closing.wait(graceMs);
  }

  terminate(): void {
    this.batch.discard();
    this.ws.terminate();
  }

  readonly pausesReading = true;

  // ws's own pause/resume: it would otherwise resume the socket itself when its parser drains.
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  peerCertificate(): TlsPeerCertificate | undefined {
    return peerCertificateOf(this.socket);
  }

  heartbeat(): void {
    if (!this.alive) {
      this.terminate();
      return;
    }
    this.alive = false;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }
}
