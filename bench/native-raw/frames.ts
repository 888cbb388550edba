// Client-to-broker WebSocket frames for the native load generator, built once up front. RFC 6455
// requires client frames to be masked; the mask key here is 0, so the masked payload equals the
// plain one and a timestamp can be patched into a pre-encoded frame with one write (a real
// client picks a random key to defeat proxy cache poisoning, which is irrelevant on loopback).
// Commands are msgpack maps packed like the SDK packs them (msgpackr, no records), with the same
// fields in the same order: `{op:'publish', topic, bytes}` or `{op:'publish', topic, data}`.
import { Packr } from 'msgpackr';
import { stampMarker, writeStamp, type StampKind } from '../load/stamp.js';

const packr = new Packr({ useRecords: false });

export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** One final, masked (key 0) frame holding `payload`. */
export function clientFrame(payload: Buffer, opcode = OPCODE_BINARY): Buffer {
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + lengthBytes + 4 + n); // zeroed: the 4-byte mask key is 0
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) {
    frame[1] = 0x80 | n;
  } else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, 2 + lengthBytes + 4);
  return frame;
}

/** A command (logon, subscribe, ping...) as one frame. */
export function commandFrame(command: Record<string, unknown>): Buffer {
  return clientFrame(packr.pack(command));
}

/** Close frame with status 1000 (normal closure). */
export const CLOSE_FRAME = clientFrame(Buffer.from([0x03, 0xe8]), OPCODE_CLOSE);

/** Raw bytes (`bytes`, a msgpack bin) or a JSON-compatible object (`data`, a msgpack map). */
export type NativePayload = { bytes: Buffer } | { data: Record<string, unknown> };

export interface NativePublishTemplate {
  /** `count` identical publish frames back to back. */
  bytes: Buffer;
  frameLength: number;
  /** Offset of the first frame's stamp. */
  stampAt: number;
  /**
   * Bytes from the stamp to the end of its frame. The payload is the last value of the publish
   * and of the delivery frame (`{op, sids, topic, data|bytes}`), so a subscriber finds the stamp
   * at this distance from the end of every delivery (also after a select list, if the stamp field
   * is the object's last and is kept).
   */
  stampFromEnd: number;
}

/**
 * `count` publish frames of `payload`, which holds `stampMarker(stampKind)` where the stamp goes
 * (in `bytes`, or as the string value of a field in `data`); the marker is replaced by "not sampled".
 */
export function publishTemplate(
  topic: string,
  payload: NativePayload,
  stampKind: StampKind,
  count = 1,
): NativePublishTemplate {
  const one = commandFrame({ op: 'publish', topic, ...payload });
  const stampAt = one.indexOf(stampMarker(stampKind));
  if (stampAt < 0) throw new Error('payload has no stamp marker');
  writeStamp(one, stampAt, stampKind, 0);
  return {
    bytes: Buffer.concat(Array.from({ length: count }, () => one)),
    frameLength: one.length,
    stampAt,
    stampFromEnd: one.length - stampAt,
  };
}
