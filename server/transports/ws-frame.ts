// RFC 6455 data frames written straight to the upgraded socket. The broker disables
// permessage-deflate, so ws's own sender never queues and whole frames written here interleave
// safely with the control frames (ping, pong, close) that ws writes to the same socket. This
// saves ws's per-send option objects and second write. The header is its own small buffer so the
// payload parts are never copied until the turn's batch is written (turn-batcher.ts); a frame
// that many connections send is built whole, once (shared-frame.ts).
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

/** The length of the header of an unmasked frame of `payloadLength` bytes. */
export function dataFrameHeaderLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
}

/** The header of one whole unmasked, unfragmented frame of `payloadLength` bytes. */
export function dataFrameHeader(binary: boolean, payloadLength: number): Buffer {
  const header = Buffer.allocUnsafe(dataFrameHeaderLength(payloadLength));
  writeDataFrameHeader(header, binary, payloadLength);
  return header;
}

/** Write that header at the start of `target`, which has room for it (dataFrameHeaderLength). */
export function writeDataFrameHeader(target: Buffer, binary: boolean, payloadLength: number): void {
  target[0] = 0x80 | (binary ? OPCODE_BINARY : OPCODE_TEXT); // FIN + opcode
  if (payloadLength < 126) {
    target[1] = payloadLength;
  } else if (payloadLength < 65536) {
    target[1] = 126;
    target.writeUInt16BE(payloadLength, 2);
  } else {
    target[1] = 127;
    target.writeUInt32BE(Math.floor(payloadLength / 0x100000000), 2);
    target.writeUInt32BE(payloadLength >>> 0, 6);
  }
}
