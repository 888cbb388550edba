// Adapts one uWebSockets.js WebSocket to TransportConnection, with the behaviour of WsConnection.
// uWS rules this file keeps: the ArrayBuffer a message arrives in is only valid during the
// callback (copied here), and a WebSocket must never be touched after its close event (`ws` is
// set to null there and every method checks it).
import { SocketAddress } from 'node:net';
import type { WebSocket } from '@trufflesuite/uws-js-unofficial';
import { CloseCodes } from '../../../protocol/native.js';
import type { ConnectionHostNames, MessageConnection, TransportHandler } from '../transport.js';
import type { SharedFrame } from '../shared-frame.js';
import type { ConnectionOwner, TrackedConnection } from '../connection-set.js';
import type { Batched, TurnBatcher } from '../turn-batcher.js';
import { Outbox } from './outbox.js';
import type { UnauthenticatedSlot } from '../../admission/unauthenticated-sockets.js';

/** uWS reports a socket it dropped itself (too-big message, bad UTF-8, terminate) with this code. */
const ABNORMAL_CLOSURE = 1006;

/**
 * This build of uWS cannot stop reading one socket (no pause()), so pause() holds what arrives
 * instead, up to this multiple of the largest message; a peer that sends past it while its
 * commands wait is closed with 1008.
 */
const HELD_LIMIT_FACTOR = 2;

interface HeldMessage {
  data: Buffer;
  isBinary: boolean;
}

/** uWS gives the peer address as 4 or 16 bytes; format it as Node's sockets do (`::1`, `::ffff:127.0.0.1`). */
export function formatAddress(bytes: ArrayBuffer): string {
  const b = new Uint8Array(bytes);
  if (b.length === 4) return b.join('.');
  if (b.length !== 16) return '';
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

function copyMessage(message: ArrayBuffer): Buffer {
  const data = Buffer.allocUnsafe(message.byteLength);
  data.set(new Uint8Array(message));
  return data;
}

export class UwsConnection implements MessageConnection, TrackedConnection, Batched {
  batched = false;
  readonly remoteAddress: string;
  /** uWS does not expose the peer's port. */
  readonly remotePort = 0;
  /** Its user data is the endpoint's (uws-endpoint.ts); a connection never reads it. */
  private ws: WebSocket<unknown> | null;
  private handler: TransportHandler | null = null;
  private owner: ConnectionOwner<UwsConnection> | null = null;
  private alive = true;
  /** Messages sent this turn, written in one cork at the end of the turn (TurnBatcher). */
  private readonly outbox = new Outbox();
  /** The cork callback, made once per connection rather than per flush. */
  private readonly sendOutbox: () => void;
  /** What arrived while paused, in order; null when not paused. */
  private held: HeldMessage[] | null = null;
  private heldBytes = 0;
  /** What uWS held unsent after this connection's last write to it (see bufferedAmount). */
  private uwsBuffered = 0;
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    ws: WebSocket<unknown>,
    private readonly binary: boolean,
    private readonly maxMessageBytes: number,
    /** Outbox size past which send() writes at once instead of at the end of the turn. */
    private readonly flushAtBytes: number,
    private readonly flusher: TurnBatcher,
    /** Its slot of admission.maxUnauthenticated until logon (or close). */
    private readonly slot: UnauthenticatedSlot,
    /** The upgrade request's Host header (uWebSockets.js listeners have no TLS, so no SNI). */
    private readonly hostHeader: string | undefined = undefined,
  ) {
    this.ws = ws;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.sendOutbox = () => {
      if (this.ws !== null) this.outbox.sendAll(this.ws, this.binary);
    };
    this.remoteAddress = formatAddress(ws.getRemoteAddress());
  }

  start(handler: TransportHandler, owner: ConnectionOwner<UwsConnection>): void {
    this.handler = handler;
    this.owner = owner;
  }

  // ---- events from the endpoint -----------------------------------------------------------

  onMessage(message: ArrayBuffer, isBinary: boolean): void {
    if (this.ws === null || this.handler === null) return;
    if (message.byteLength > this.maxMessageBytes)
      return this.close(CloseCodes.MESSAGE_TOO_BIG, 'Max payload size exceeded');
    const data = copyMessage(message);
    if (this.held !== null) return this.hold(data, isBinary);
    this.handler.onMessage(data, isBinary);
  }

  onPong(): void {
    this.alive = true;
  }

  /** uWS closed the socket (either side, or dropped): forget it, then tell the handler. */
  onClosed(code: number, message: ArrayBuffer): void {
    if (this.ws === null) return;
    this.ws = null;
    this.slot.release();
    this.outbox.clear();
    this.held = null;
    this.resolveClosed();
    this.owner?.forget(this);
    // The reason is read before returning (the buffer dies with the callback); uWS's own reason
    // for a dropped socket ("Received too big message") is not the peer's, so ws's empty one is given.
    const reason = code === ABNORMAL_CLOSURE ? '' : Buffer.from(message).toString('utf8');
    const handler = this.handler;
    // uWS calls this from inside end()/close(): the session gets it after its own close() returns, as with ws.
    if (handler !== null) process.nextTick(notifyClosed, handler, code, reason);
  }

  // ---- TransportConnection ------------------------------------------------------------------

  hostNames(): ConnectionHostNames {
    return { host: this.hostHeader, sni: undefined };
  }

  loggedOn(): void {
    this.slot.release();
  }

  send(head: Buffer, tail: Buffer | null): void {
    if (this.ws === null) return;
    this.outbox.add(head, tail);
    this.queued();
  }

  /**
   * uWS frames what it sends itself (and copies it into its cork buffer), so this sends the
   * frame's payload: one view joined once for every receiver, not a join per receiver.
   */
  sendShared(frame: SharedFrame): void {
    if (this.ws === null) return;
    this.outbox.add(frame.payload(this.binary), null);
    this.queued();
  }

  private queued(): void {
    // What waits here counts against the slow-consumer bound while the peer may well be reading, so
    // a burst past half of it is written at once (one syscall per message while another socket
    // holds the cork, but such bursts are rare).
    if (this.outbox.bytes >= this.flushAtBytes) this.writeOutbox();
    else this.flusher.hold(this);
  }

  /** The batcher's end-of-turn call. */
  flushBatch(): void {
    this.writeOutbox();
  }

  /** Write the queued messages in one cork. */
  private writeOutbox(): void {
    if (this.ws === null || this.outbox.isEmpty) return;
    // From setImmediate no socket holds uWS's cork, so this is one syscall; from inside another
    // socket's handler cork() cannot take it and each send is written on its own.
    this.ws.cork(this.sendOutbox);
    if (this.ws !== null) this.uwsBuffered = this.ws.getBufferedAmount();
  }

  bufferedAmount(): number {
    if (this.ws === null) return 0;
    // Sessions ask after every send. What uWS holds grows only when this writes to it (its own
    // pongs aside, a few bytes), so when it held nothing after the last write it still holds
    // nothing: no call into uWS per delivery for a peer that keeps up (it was 5% of a fan-out).
    if (this.uwsBuffered !== 0) this.uwsBuffered = this.ws.getBufferedAmount();
    return this.outbox.bytes + this.uwsBuffered;
  }

  close(code: number, reason: string): void {
    if (this.ws === null) return;
    // Data sent before the close goes before the close frame.
    this.writeOutbox();
    // end() sends the close frame, FINs once it is written, and runs the close event at once;
    // uWS itself drops the socket if the peer has not finished closing within a few seconds.
    this.ws.end(code, reason);
  }

  /**
   * uWS runs the close event inside end(), and says nothing once the socket is really gone. With
   * nothing unsent the close frame is with the kernel at once; with a backlog it goes out after
   * it, so the peer gets up to graceMs before the endpoint closes what remains (uWS itself drops
   * a closing socket after 4-8 s).
   */
  async closeAndWait(code: number, reason: string, graceMs: number): Promise<void> {
    this.writeOutbox();
    const backlog = this.ws !== null && this.ws.getBufferedAmount() > 0;
    this.close(code, reason);
    await this.closed;
    if (backlog) await new Promise((resolve) => setTimeout(resolve, graceMs));
  }

  terminate(): void {
    this.ws?.close();
  }

  /** This build of uWS cannot stop reading one socket: pause() holds what arrives (see above). */
  readonly pausesReading = false;

  pause(): void {
    this.held ??= [];
  }

  resume(): void {
    const held = this.held;
    this.held = null;
    this.heldBytes = 0;
    if (held === null) return;
    for (let i = 0; i < held.length; i++) {
      if (this.ws === null || this.handler === null) return;
      if (this.held !== null) {
        // Paused again by one of these: keep the rest, in order.
        for (let j = i; j < held.length; j++) this.hold(held[j]!.data, held[j]!.isBinary);
        return;
      }
      this.handler.onMessage(held[i]!.data, held[i]!.isBinary);
    }
  }

  heartbeat(): void {
    if (this.ws === null) return;
    if (!this.alive) return this.terminate();
    this.alive = false;
    this.ws.ping();
  }

  private hold(data: Buffer, isBinary: boolean): void {
    this.heldBytes += data.length;
    if (this.heldBytes > this.maxMessageBytes * HELD_LIMIT_FACTOR) {
      this.held = null;
      return this.close(CloseCodes.POLICY_VIOLATION, 'too much input while earlier commands wait');
    }
    this.held!.push({ data, isBinary });
  }
}

function notifyClosed(handler: TransportHandler, code: number, reason: string): void {
  handler.onClose(code, reason);
}
