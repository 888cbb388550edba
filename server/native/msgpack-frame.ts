// Decodes a msgpack command frame (a map) field by field. Every field is decoded except `data`,
// which stays as the original msgpack bytes (validated for extent, depth and types): a publish's
// payload is then forwarded to msgpack subscribers untouched and decoded only if needed.
import { msgpackIn } from './msgpack-codec.js';
import { MsgpackExtentError, msgpackValueEnd } from './msgpack-extent.js';

/** A `data` field still in msgpack form. */
export class RawMsgpack {
  constructor(readonly bytes: Buffer) {}
}

export class MsgpackFrameError extends Error {}

/** The frame as a null-prototype object (a `__proto__` key is just a key); non-map frames decode whole. */
export function decodeMsgpackFrame(data: Buffer): unknown {
  const b = data[0];
  let count: number;
  let pos: number;
  if (b !== undefined && (b & 0xf0) === 0x80) {
    count = b & 0x0f;
    pos = 1;
  } else if (b === 0xde && data.length >= 3) {
    count = (data[1]! << 8) | data[2]!;
    pos = 3;
  } else {
    return msgpackIn.unpack(data); // not a map (or map32): the command parser refuses it
  }
  const frame: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  try {
    for (let i = 0; i < count; i++) {
      const keyEnd = msgpackValueEnd(data, pos);
      const key = decodeValue(data, pos, keyEnd);
      if (typeof key !== 'string') throw new MsgpackFrameError('map keys must be strings');
      const valueEnd = msgpackValueEnd(data, keyEnd);
      frame[key] =
        key === 'data' ? new RawMsgpack(data.subarray(keyEnd, valueEnd)) : decodeValue(data, keyEnd, valueEnd);
      pos = valueEnd;
    }
  } catch (err) {
    if (err instanceof MsgpackExtentError) throw new MsgpackFrameError(err.message);
    throw err;
  }
  if (pos !== data.length) throw new MsgpackFrameError(`${data.length - pos} bytes after the end of the frame`);
  return frame;
}

/** Short strings, small integers and booleans inline (the common fields); anything else through msgpackr. */
function decodeValue(data: Buffer, start: number, end: number): unknown {
  const b = data[start]!;
  if ((b & 0xe0) === 0xa0) return data.toString('utf8', start + 1, end); // fixstr
  if (b <= 0x7f) return b; // positive fixint
  if (b === 0xc3) return true;
  if (b === 0xc2) return false;
  if (b === 0xc0) return null;
  return msgpackIn.unpack(data.subarray(start, end));
}
