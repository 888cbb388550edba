// A delivered message, and reading its payload the same way whichever protocol published it: a
// native publish carries a value (`data`) or raw bytes, an MQTT publish always bytes, which are
// JSON text when the publisher sent JSON (docs/mqtt.md, "Payload mapping").
import type { SubscriptionId } from '../protocol/native.js';
import { ClientErrorCodes, WardenError } from './errors.js';

export interface Message {
  topic: string;
  /** The payload; for a raw-bytes payload (every MQTT publish included) this is the same Uint8Array as `bytes`. */
  data: unknown;
  /** Set when the payload was published as raw bytes: by an MQTT client, or a native publish of bytes. */
  bytes?: Uint8Array;
  /** Every subscription id of this client the message matched (one delivery covers all of them). */
  subscriptionIds: SubscriptionId[];
  /**
   * The payload as a value: `data` for a published value; raw bytes parsed as UTF-8 JSON text.
   * Throws a WardenError with code PAYLOAD_NOT_JSON when the bytes are not JSON. Bytes are parsed
   * anew on every call, so handlers sharing the message never share a parsed object.
   */
  json(): unknown;
  /**
   * The payload as text: raw bytes decoded as UTF-8 (invalid sequences become U+FFFD), a string
   * value as it is, any other value as JSON text (what an MQTT subscriber receives).
   */
  text(): string;
}

// Module-level: one decoder each for every message. `fatal`: JSON must be valid UTF-8 (RFC 8259 §8.1).
const utf8 = new TextDecoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** @internal The SDK's Message; every field is set in the constructor, so all messages share one shape. */
export class DeliveredMessage implements Message {
  readonly topic: string;
  readonly data: unknown;
  readonly bytes: Uint8Array | undefined;
  readonly subscriptionIds: SubscriptionId[];

  constructor(topic: string, data: unknown, bytes: Uint8Array | undefined, subscriptionIds: SubscriptionId[]) {
    this.topic = topic;
    this.data = data;
    this.bytes = bytes;
    this.subscriptionIds = subscriptionIds;
  }

  json(): unknown {
    if (this.bytes === undefined) return this.data;
    let text: string;
    try {
      text = strictUtf8.decode(this.bytes);
    } catch (error) {
      throw notJson(this.topic, 'its bytes are not UTF-8 text', error);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw notJson(this.topic, error instanceof Error ? error.message : String(error), error);
    }
  }

  text(): string {
    if (this.bytes !== undefined) return utf8.decode(this.bytes);
    if (typeof this.data === 'string') return this.data;
    // `?? null`: a frame without a value still reads as JSON text (JSON.stringify(undefined) is not a string).
    return JSON.stringify(this.data ?? null);
  }
}

function notJson(topic: string, detail: string, cause: unknown): WardenError {
  return new WardenError(
    ClientErrorCodes.PAYLOAD_NOT_JSON,
    `the message on ${JSON.stringify(topic)} is not JSON: ${detail}`,
    { cause },
  );
}
