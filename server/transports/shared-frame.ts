// One message as every receiver of a fan-out that gets the same bytes sends it: its two parts
// (a native delivery's prefix and body) and the WebSocket frame built from them, once, by the first
// connection that sends it. The next connections write that same Buffer: per receiver there is no
// frame header to build and one chunk to batch instead of three, as MQTT receivers share one
// PUBLISH packet. The frame is a server frame (unmasked), so it is the same for every receiver.
import { dataFrameHeaderLength, writeDataFrameHeader } from './ws-frame.js';

export class SharedFrame {
  /** The whole data frame (header, head, tail), or null until a connection first asks for it. */
  private frame: Buffer | null = null;
  private frameBinary = false;
  /** head + tail as one buffer: a view past the frame's header. */
  private joined: Buffer | null = null;

  constructor(
    readonly head: Buffer,
    readonly tail: Buffer,
  ) {}

  /** Bytes of the message (head + tail), without framing. */
  get length(): number {
    return this.head.length + this.tail.length;
  }

  /**
   * The whole unmasked, unfragmented data frame: a binary frame or a text one. A message's
   * receivers all use the same opcode (it follows their encoding, and the body is per encoding),
   * so it is built once; a receiver asking for the other opcode gets a frame of its own.
   */
  wsFrame(binary: boolean): Buffer {
    const frame = this.frame;
    if (frame !== null && this.frameBinary === binary) return frame;
    const built = buildFrame(binary, this.head, this.tail);
    if (frame === null) {
      this.frame = built;
      this.frameBinary = binary;
    }
    return built;
  }

  /**
   * head + tail in one buffer, for a transport that frames messages itself (uWebSockets.js).
   * Built inside the frame (`binary` as wsFrame's), so ws and uws receivers share one copy.
   */
  payload(binary: boolean): Buffer {
    if (this.joined !== null) return this.joined;
    const frame = this.frame ?? this.wsFrame(binary);
    return (this.joined = frame.subarray(frame.length - this.length));
  }
}

function buildFrame(binary: boolean, head: Buffer, tail: Buffer): Buffer {
  const length = head.length + tail.length;
  const headerLength = dataFrameHeaderLength(length);
  // One allocation and two copies: Buffer.concat would add its per-chunk checks for the same work.
  const frame = Buffer.allocUnsafe(headerLength + length);
  writeDataFrameHeader(frame, binary, length);
  frame.set(head, headerLength);
  frame.set(tail, headerLength + head.length);
  return frame;
}
