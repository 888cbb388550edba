// How deeply a JSON text nests, without parsing it. JSON payloads get the same nesting limit as
// msgpack ones (native/msgpack-extent.ts): JSON.parse is iterative in V8, but
// JSON.stringify, msgpack encoding and every other walk of the value recurse, and ~40 KB of
// `[[[[…]]]]` overflows the stack. A value deeper than this is never parsed into a
// document nor re-encoded.

/** The deepest nesting of objects and arrays a payload may have (as MAX_MSGPACK_DEPTH). */
export const MAX_PAYLOAD_DEPTH = 64;

/**
 * True when the JSON text in `bytes[start, end)` opens more than `max` objects or arrays inside
 * one another. Brackets inside strings do not count. Linear, allocation-free; a text too short to
 * hold max + 1 openers and their closers is not scanned at all (the common small message).
 */
export function jsonNestsDeeperThan(bytes: Uint8Array, start: number, end: number, max: number): boolean {
  if (end - start < 2 * (max + 1)) return false;
  let depth = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0x22) {
      // Skip the string: to its closing quote, past escaped characters.
      for (i++; i < end; i++) {
        const c = bytes[i]!;
        if (c === 0x5c) i++;
        else if (c === 0x22) break;
      }
    } else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}
