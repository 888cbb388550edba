// Frame codecs for the two native subprotocols. Decoding turns bytes into an unvalidated object
// (command-parser.ts validates it); encoding builds broker frames. Delivery frames are built in two
// parts so the expensive part (topic + payload) is encoded once per message and shared by every
// subscriber: see delivery-frame.ts.
import type { Encoding, ServerFrame } from '../../protocol/native.js';
import { msgpack } from './msgpack-codec.js';
import { decodeMsgpackFrame, MsgpackFrameError } from './msgpack-frame.js';
import { jsonNestsDeeperThan, MAX_PAYLOAD_DEPTH } from '../content/json-depth.js';

export { msgpack } from './msgpack-codec.js';

export class FrameDecodeError extends Error {
  constructor(
    message: string,
    /** The decoded frame when only a limit refused it, so the refusal can carry its rid. */
    readonly frame: unknown = undefined,
  ) {
    super(message);
  }
}

/** Decode one client frame. Throws FrameDecodeError with a specific reason. */
export function decodeFrame(encoding: Encoding, data: Buffer, isBinary: boolean): unknown {
  if (encoding === 'json') {
    if (isBinary) throw new FrameDecodeError('warden.v1.json expects text frames, got a binary frame');
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString('utf8'));
    } catch (err) {
      throw new FrameDecodeError(`invalid JSON: ${(err as Error).message}`);
    }
    // Each field of the frame (one level) may nest as deep as a msgpack field: a deeper publish is
    // refused here rather than held as a value that re-encoding would overflow the stack on.
    if (jsonNestsDeeperThan(data, 0, data.length, MAX_PAYLOAD_DEPTH + 1))
      throw new FrameDecodeError(`invalid JSON: nesting deeper than ${MAX_PAYLOAD_DEPTH} levels`, frame);
    return frame;
  }
  if (!isBinary) throw new FrameDecodeError('warden.v1.msgpack expects binary frames, got a text frame');
  try {
    return decodeMsgpackFrame(data);
  } catch (err) {
    const reason =
      err instanceof RangeError
        ? 'nesting too deep'
        : err instanceof MsgpackFrameError
          ? err.message
          : (err as Error).message;
    throw new FrameDecodeError(`invalid msgpack: ${reason}`);
  }
}

/** Encode a whole (non-delivery) frame. */
export function encodeFrame(encoding: Encoding, frame: ServerFrame): Buffer {
  return encoding === 'json' ? Buffer.from(JSON.stringify(frame), 'utf8') : msgpack.pack(frame);
}

/** Length of a msgpack map header starting at buf[0] (fixmap, map16 or map32). */
export function msgpackMapHeaderLength(buf: Uint8Array): number {
  const b = buf[0]!;
  if ((b & 0xf0) === 0x80) return 1;
  if (b === 0xde) return 3;
  if (b === 0xdf) return 5;
  throw new Error(`not a msgpack map header: 0x${b.toString(16)}`);
}
