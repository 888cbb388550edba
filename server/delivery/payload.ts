// A message's payload in whichever form it arrived, converted only when someone needs another:
// a decoded value (JSON publishers), raw bytes (`bytes`, or MQTT later), or still-encoded
// msgpack (msgpack publishers: forwarded to msgpack subscribers as the original bytes, decoded
// only for JSON subscribers, filters and select lists).
import { msgpackIn } from '../native/msgpack-codec.js';

const NOT_DECODED = Symbol('not decoded');

export class Payload {
  private decoded: unknown = NOT_DECODED;

  private constructor(
    /** True when the payload is raw bytes rather than a JSON-compatible value. */
    readonly isBytes: boolean,
    /** The value, the bytes, or NOT_DECODED while only `msgpack` holds it. */
    value: unknown,
    /** The msgpack encoding of the value, when it arrived that way; else null. */
    readonly msgpack: Buffer | null,
  ) {
    this.decoded = value;
  }

  static ofValue(value: unknown): Payload {
    return new Payload(false, value, null);
  }

  static ofBytes(bytes: Uint8Array): Payload {
    return new Payload(true, bytes, null);
  }

  /** `encoded` is one complete msgpack value (the caller checked its extent). */
  static ofMsgpack(encoded: Buffer): Payload {
    return new Payload(false, NOT_DECODED, encoded);
  }

  /** The value (or the bytes), decoding the msgpack form on first use. */
  get value(): unknown {
    if (this.decoded === NOT_DECODED) {
      try {
        this.decoded = msgpackIn.unpack(this.msgpack!);
      } catch {
        // Structure, depth and types were checked on receipt; never let a decoder surprise stop a delivery loop.
        this.decoded = undefined;
      }
    }
    return this.decoded;
  }

  get bytes(): Uint8Array {
    return this.value as Uint8Array;
  }
}
