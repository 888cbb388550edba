// A minimal streaming reader of the broker's WebSocket frames (unmasked, RFC 6455) for the native
// load generator's receiving side. It walks frame headers and skips payloads, allocating nothing
// per delivery: a `msg` frame (a delivery) is recognised by its fixed first 8 bytes
// (`{op:'msg'` as the broker writes it, server/delivery/delivery-frame.ts) and counted without
// decoding; its stamp is read at a fixed distance from the frame's end (the payload is the
// frame's last value; bench/load/stamp.ts). The rare other frames (acks and errors during setup)
// are decoded with msgpackr and kept for the caller; pings are answered with pongs the caller writes.
// Frames split across reads and many frames per read are both handled: a frame wholly in the
// current chunk is read in place, a split one is copied into a scratch buffer first.
import { Packr } from 'msgpackr';
import { readStamp, type StampFormat } from '../load/stamp.js';
import { OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, clientFrame } from './frames.js';

const packr = new Packr({ useRecords: false });

/** `{op:'msg'` in msgpack: fixmap of 4 entries, "op", "msg" (then sids, topic, data|bytes). */
const DELIVERY_HEAD = Buffer.concat([Buffer.from([0x84]), packr.pack('op'), packr.pack('msg')]);
const HEAD_LENGTH = DELIVERY_HEAD.length;
/** Frames larger than this are a broken stream here (every frame of a run is a few hundred bytes). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

const enum State {
  Header,
  Payload,
}

export interface FrameCounterOptions {
  /** Where a delivery carries its stamp; without it stamps are not read. */
  stamp?: StampFormat;
  /** Called with each stamp (ms since the epoch) read from a sampled delivery. */
  onSample?: (stamp: number) => void;
}

export class NativeFrameCounter {
  /** `msg` frames (deliveries). */
  deliveries = 0;
  /** Deliveries whose payload carried a stamp. */
  stamped = 0;
  /** Deliveries where no well-formed stamp could be read (a payload of another shape). */
  unreadable = 0;
  /** Data frames that are not deliveries, decoded (acks, errors), in order. */
  readonly replies: Record<string, unknown>[] = [];
  /** The broker's close code, once a close frame arrived; else null. */
  closeCode: number | null = null;

  private readonly stamp: StampFormat | null;
  private readonly onSample: ((stamp: number) => void) | undefined;
  private state = State.Header;
  /** Header bytes gathered when a header is split across reads (at most 10). */
  private readonly header = Buffer.alloc(10);
  private headerLen = 0;
  private opcode = 0;
  private payloadLen = 0;
  private payloadGot = 0;
  private scratch = Buffer.alloc(4096);
  private pongs: Buffer[] | null = null;

  constructor(options: FrameCounterOptions = {}) {
    this.stamp = options.stamp ?? null;
    this.onSample = options.onSample;
  }

  feed(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.state === State.Payload) {
        const take = Math.min(this.payloadLen - this.payloadGot, n - i);
        chunk.copy(this.scratch, this.payloadGot, i, i + take);
        this.payloadGot += take;
        i += take;
        if (this.payloadGot === this.payloadLen) {
          this.frame(this.scratch, 0, this.payloadLen);
          this.state = State.Header;
        }
        continue;
      }
      // Fast path: a whole header (and maybe the whole frame) at i, nothing gathered yet.
      if (this.headerLen === 0 && n - i >= 2) {
        const need = headerLength(chunk[i + 1]!);
        if (n - i >= need) {
          this.startFrame(chunk, i);
          i += need;
          if (n - i >= this.payloadLen) {
            this.frame(chunk, i, i + this.payloadLen);
            i += this.payloadLen;
          } else {
            this.beginSplitPayload();
          }
          continue;
        }
      }
      // Slow path: gather the header byte by byte.
      this.header[this.headerLen++] = chunk[i++]!;
      if (this.headerLen >= 2 && this.headerLen === headerLength(this.header[1]!)) {
        this.startFrame(this.header, 0);
        this.headerLen = 0;
        if (this.payloadLen === 0) this.frame(this.header, 0, 0);
        else this.beginSplitPayload();
      }
    }
  }

  /** Pong frames owed for the pings received since the last call, as one buffer, or null. */
  takePongs(): Buffer | null {
    if (this.pongs === null) return null;
    const out = Buffer.concat(this.pongs);
    this.pongs = null;
    return out;
  }

  private startFrame(buf: Buffer, at: number): void {
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    if ((b1 & 0x80) !== 0) throw new Error('the broker sent a masked frame');
    if ((b0 & 0x80) === 0) throw new Error('the broker sent a fragmented frame');
    this.opcode = b0 & 0x0f;
    const len7 = b1 & 0x7f;
    this.payloadLen = len7 < 126 ? len7 : len7 === 126 ? buf.readUInt16BE(at + 2) : Number(buf.readBigUInt64BE(at + 2));
    if (this.payloadLen > MAX_FRAME_BYTES) throw new Error(`frame of ${this.payloadLen} bytes`);
  }

  private beginSplitPayload(): void {
    if (this.scratch.length < this.payloadLen)
      this.scratch = Buffer.alloc(Math.max(this.payloadLen, this.scratch.length * 2));
    this.payloadGot = 0;
    this.state = State.Payload;
  }

  /** A complete frame whose payload spans [start, end) of `buf`. */
  private frame(buf: Buffer, start: number, end: number): void {
    const opcode = this.opcode;
    if (opcode === OPCODE_BINARY) {
      if (isDelivery(buf, start, end)) {
        this.deliveries++;
        if (this.stamp !== null) this.readStamp(buf, start, end, this.stamp);
        return;
      }
      this.replies.push(decodeReply(buf.subarray(start, end)));
    } else if (opcode === OPCODE_PING) {
      (this.pongs ??= []).push(clientFrame(Buffer.from(buf.subarray(start, end)), OPCODE_PONG));
    } else if (opcode === OPCODE_CLOSE) {
      this.closeCode = end - start >= 2 ? buf.readUInt16BE(start) : 1005;
    }
    // Pongs and text frames (none on the msgpack subprotocol) are ignored.
  }

  private readStamp(buf: Buffer, start: number, end: number, format: StampFormat): void {
    const stamp = readStamp(buf, start, end, format);
    if (stamp === 0) return;
    if (Number.isNaN(stamp)) {
      this.unreadable++;
      return;
    }
    this.stamped++;
    this.onSample?.(stamp);
  }
}

/** A reply frame as an object; an undecodable one is kept as such rather than thrown from a socket handler. */
function decodeReply(payload: Buffer): Record<string, unknown> {
  try {
    return packr.unpack(payload) as Record<string, unknown>;
  } catch {
    return { op: 'undecodable', bytes: payload.toString('hex') };
  }
}

/** Header length from the second header byte: 2, or 4 / 10 with an extended length. */
function headerLength(b1: number): number {
  const len7 = b1 & 0x7f;
  return len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
}

function isDelivery(buf: Buffer, start: number, end: number): boolean {
  if (end - start < HEAD_LENGTH) return false;
  for (let k = 0; k < HEAD_LENGTH; k++) if (buf[start + k] !== DELIVERY_HEAD[k]) return false;
  return true;
}
