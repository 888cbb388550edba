// Send timestamps carried inside benchmark payloads, shared by the MQTT and native generators.
// Two forms, because payloads come in two kinds:
// - `binary`: a float64 little-endian of ms since the epoch, for opaque byte payloads that the
//   broker forwards untouched (0 means "not sampled");
// - `digits`: 16 ASCII digits of µs since the epoch, as the value of a string field, for JSON /
//   msgpack objects that a broker may decode, project (select list) and re-encode: a fixed-width
//   string survives re-encoding byte for byte in both JSON and msgpack (fixstr 16), where a number
//   could change width ("0000000000000000" means "not sampled").
// Position: `offset` >= 0 counts from the start of the payload, < 0 from its end (-16: the last
// 16 bytes). Deliveries put the payload last in the frame and projections keep field order, so a
// stamp in the last field of an object sits at a fixed distance from the end of every delivery,
// found without decoding anything.

export type StampKind = 'binary' | 'digits';

export interface StampFormat {
  kind: StampKind;
  /** From the start of the delivered payload (>= 0) or from its end (< 0). */
  offset: number;
}

export const DIGITS = 16;

/** Bytes a stamp of this kind occupies. */
export function stampWidth(kind: StampKind): number {
  return kind === 'binary' ? 8 : DIGITS;
}

/**
 * Placeholder bytes of the stamp's width, unlikely to occur elsewhere: a payload is encoded once
 * with the marker in the stamp's place, the encoder finds the marker to learn where the stamp
 * landed, then overwrites it with "not sampled".
 */
export function stampMarker(kind: StampKind): Buffer {
  return Buffer.from(kind === 'binary' ? '#STAMP#!' : '#STAMP-MARKER-16', 'latin1');
}

/** The 16-character string that stands in for the stamp in an object payload before encoding. */
export const DIGITS_MARKER = stampMarker('digits').toString('latin1');

/** Write `ms` (since the epoch), or "not sampled" when `ms` is 0, at `at`. */
export function writeStamp(buf: Buffer, at: number, kind: StampKind, ms: number): void {
  if (kind === 'binary') {
    buf.writeDoubleLE(ms, at);
    return;
  }
  // Whole µs as 16 digits, least significant first (µs since the epoch fit in 16 digits until 2286).
  let us = Math.round(ms * 1000);
  for (let k = at + DIGITS - 1; k >= at; k--) {
    buf[k] = 0x30 + (us % 10);
    us = Math.floor(us / 10);
  }
}

/**
 * The stamp (ms since the epoch) of a payload spanning [start, end) of `buf`: 0 when the payload
 * was not sampled, NaN when the stamp is out of range or not well-formed (the caller counts it).
 */
export function readStamp(buf: Buffer, start: number, end: number, format: StampFormat): number {
  const width = stampWidth(format.kind);
  const at = format.offset >= 0 ? start + format.offset : end + format.offset;
  if (at < start || at + width > end) return Number.NaN;
  if (format.kind === 'binary') return buf.readDoubleLE(at);
  let us = 0;
  for (let k = at; k < at + DIGITS; k++) {
    const d = buf[k]! - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    us = us * 10 + d;
  }
  return us / 1000;
}
