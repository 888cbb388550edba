// One client frame to a validated command, or a BrokerError with the most specific code and,
// whenever the frame had one, its rid.
import { ErrorCodes, type Encoding } from '../../protocol/native.js';
import { BrokerError } from '../errors.js';
import { decodeFrame, FrameDecodeError } from './codec.js';
import { parseCommand, peekRequestId, type ParsedCommand } from './command-parser.js';

export function parseFrame(encoding: Encoding, data: Buffer, isBinary: boolean, maxFrameBytes: number): ParsedCommand {
  const tooLarge = data.length > maxFrameBytes;
  let frame: unknown;
  try {
    frame = decodeFrame(encoding, data, isBinary);
  } catch (err) {
    if (!(err instanceof FrameDecodeError)) throw err;
    if (!tooLarge) throw new BrokerError(ErrorCodes.BAD_FRAME, err.message, peekRequestId(err.frame));
  }
  if (tooLarge) {
    // Decoded anyway (the transport caps frames at a small multiple of the limit) so the refusal carries the rid.
    throw new BrokerError(
      ErrorCodes.FRAME_TOO_LARGE,
      `frame is ${data.length} bytes; the limit is ${maxFrameBytes}`,
      peekRequestId(frame),
    );
  }
  try {
    return parseCommand(frame);
  } catch (err) {
    // Answer by rid when the frame had one, so the client can match the refusal.
    if (err instanceof BrokerError && err.rid === undefined)
      throw new BrokerError(err.code, err.message, peekRequestId(frame), err.cmd);
    throw err;
  }
}
