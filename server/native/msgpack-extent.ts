// Where a msgpack value ends, without decoding it: lets the broker keep a publish's payload as
// the original bytes. It also enforces what payloads may hold (JSON-like values: no extension
// types) and a nesting limit, so decoding the bytes later cannot fail on structure or depth.

import { MAX_PAYLOAD_DEPTH } from '../content/json-depth.js';

export class MsgpackExtentError extends Error {}

/** Deeper values are refused: decoding is recursive, and no JSON-like message needs more (JSON payloads have the same limit). */
export const MAX_MSGPACK_DEPTH = MAX_PAYLOAD_DEPTH;

// Values still to skip at each open nesting level, and whether the level is a map (its values
// alternate key, value); reused (the broker is single-threaded).
const remainingAt = new Float64Array(MAX_MSGPACK_DEPTH + 1);
const mapAt = new Uint8Array(MAX_MSGPACK_DEPTH + 1);

/**
 * The offset just past the msgpack value starting at `start`; throws MsgpackExtentError if it is
 * malformed, cut short, too deep, uses an extension type, or has a map key that is a map, an array
 * or bytes (msgpackr, like JSON, cannot make an object key of those: decoding it later would throw).
 */
export function msgpackValueEnd(buf: Uint8Array, start: number): number {
  let pos = start;
  let depth = 0;
  remainingAt[0] = 1;
  mapAt[0] = 0;
  while (depth >= 0) {
    if (remainingAt[depth] === 0) {
      depth--;
      continue;
    }
    // In a map of n entries the count runs down from 2n: a key at each even count.
    const isKey = mapAt[depth] === 1 && remainingAt[depth]! % 2 === 0;
    remainingAt[depth]!--;
    need(buf, pos, 1);
    const b = buf[pos]!;
    if (isKey && ((b >= 0x80 && b <= 0x9f) || (b >= 0xc4 && b <= 0xc6) || (b >= 0xdc && b <= 0xdf))) {
      throw new MsgpackExtentError(
        'a map key is a map, an array or bytes: keys must be strings, numbers, booleans or nil',
      );
    }
    let children = 0;
    if (b <= 0x7f || b >= 0xe0)
      pos += 1; // fixint
    else if (b <= 0x8f) {
      children = (b & 0x0f) * 2; // fixmap
      pos += 1;
    } else if (b <= 0x9f) {
      children = b & 0x0f; // fixarray
      pos += 1;
    } else if (b <= 0xbf)
      pos += 1 + (b & 0x1f); // fixstr
    else {
      switch (b) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          pos += 1;
          break; // nil, false, true
        case 0xc4:
        case 0xd9:
          need(buf, pos, 2);
          pos += 2 + buf[pos + 1]!;
          break; // bin8, str8
        case 0xc5:
        case 0xda:
          need(buf, pos, 3);
          pos += 3 + readU16(buf, pos + 1);
          break; // bin16, str16
        case 0xc6:
        case 0xdb:
          need(buf, pos, 5);
          pos += 5 + readU32(buf, pos + 1);
          break; // bin32, str32
        case 0xca:
          pos += 5;
          break; // float32
        case 0xcb:
          pos += 9;
          break; // float64
        case 0xcc:
        case 0xd0:
          pos += 2;
          break; // uint8, int8
        case 0xcd:
        case 0xd1:
          pos += 3;
          break; // uint16, int16
        case 0xce:
        case 0xd2:
          pos += 5;
          break; // uint32, int32
        case 0xcf:
        case 0xd3:
          pos += 9;
          break; // uint64, int64
        case 0xdc:
          need(buf, pos, 3);
          children = readU16(buf, pos + 1);
          pos += 3;
          break; // array16
        case 0xdd:
          need(buf, pos, 5);
          children = readU32(buf, pos + 1);
          pos += 5;
          break; // array32
        case 0xde:
          need(buf, pos, 3);
          children = readU16(buf, pos + 1) * 2;
          pos += 3;
          break; // map16
        case 0xdf:
          need(buf, pos, 5);
          children = readU32(buf, pos + 1) * 2;
          pos += 5;
          break; // map32
        case 0xc1:
          throw new MsgpackExtentError('invalid msgpack type byte 0xc1');
        default:
          throw new MsgpackExtentError(
            `msgpack extension types (0x${b.toString(16)}) are not supported: payloads are JSON-like values or bytes`,
          );
      }
    }
    if (children > 0) {
      if (++depth > MAX_MSGPACK_DEPTH) throw new MsgpackExtentError(`nesting deeper than ${MAX_MSGPACK_DEPTH} levels`);
      remainingAt[depth] = children;
      mapAt[depth] = (b & 0xf0) === 0x80 || b === 0xde || b === 0xdf ? 1 : 0;
    }
  }
  if (pos > buf.length) throw new MsgpackExtentError('truncated msgpack value');
  return pos;
}

function need(buf: Uint8Array, pos: number, n: number): void {
  if (pos + n > buf.length) throw new MsgpackExtentError('truncated msgpack value');
}

function readU16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

function readU32(buf: Uint8Array, at: number): number {
  need(buf, at, 4);
  return ((buf[at]! << 24) >>> 0) + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!);
}
