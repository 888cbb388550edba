// RFC 6455 data frames written straight to the upgraded socket. The broker disables
// permessage-deflate, so ws's own sender never queues and whole frames written here interleave
// safely with the control frames (ping, pong, close) that ws writes to the same socket. This
// saves ws's per-send option objects and second write. The header is its own small buffer so the
// payload parts are never copied until the turn's batch is written (turn-batcher.ts).
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

/** The header of one whole unmasked, unfragmented frame of `payloadLength` bytes. */
export function dataFrameHeader(binary: boolean, payloadLength: number): Buffer {
  const headerLength = payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
  const header = Buffer.allocUnsafe(headerLength);
  header[0] = 0x80 | (binary ? OPCODE_BINARY : OPCODE_TEXT); // FIN + opcode
  if (headerLength === 2) {
    header[1] = payloadLength;
  } else if (headerLength === 4) {
    header[1] = 126;
    header.writeUInt16BE(payloadLength, 2);
  } else {
    header[1] = 127;
    header.writeUInt32BE(Math.floor(payloadLength / 0x100000000), 2);
    header.writeUInt32BE(payloadLength >>> 0, 6);
  }
  return header;
}
