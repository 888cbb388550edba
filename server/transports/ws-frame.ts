// RFC 6455 data frames written straight to the upgraded socket. The broker disables
// permessage-deflate, so ws's own sender never queues and whole frames written here interleave
// safely with the control frames (ping, pong, close) that ws writes to the same socket. This
// saves ws's per-send option objects and second write: one allocation and one write per frame.
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

/** One whole unmasked, unfragmented frame holding head followed by tail. */
export function buildDataFrame(binary: boolean, head: Buffer, tail: Buffer | null): Buffer {
  const payloadLength = head.length + (tail === null ? 0 : tail.length);
  const headerLength = payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + payloadLength);
  frame[0] = 0x80 | (binary ? OPCODE_BINARY : OPCODE_TEXT); // FIN + opcode
  if (headerLength === 2) {
    frame[1] = payloadLength;
  } else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(payloadLength, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(payloadLength / 0x100000000), 2);
    frame.writeUInt32BE(payloadLength >>> 0, 6);
  }
  head.copy(frame, headerLength);
  if (tail !== null) tail.copy(frame, headerLength + head.length);
  return frame;
}
