// What one MQTT message held for a client really costs in memory, for the byte limits
// (listeners[].options.maxSendQueueBytes, limits groups' maxQueuedBytes): its topic, payload and
// v5 properties, plus a fixed overhead for the objects that carry them. Counting payload bytes
// alone let a subscriber that never acknowledges hold 200,000 empty messages on 900-byte topics
// (over 400 MB) without ever reaching the limit. Shared by everything that holds messages.
import type { PublishProperties } from './publish-properties.js';

/**
 * Per held message, the heap around its topic and payload bytes, measured on Node 20 x64 (8-byte
 * pointers) with a v5 subscriber that reads but never acknowledges, 20,000 QoS 1 messages, heap
 * after a full GC (docs/mqtt.md, "What the queued-bytes limit counts"): an empty payload on a
 * 100-character topic costs 256 B queued and 336 B in flight, the topic string 120 B of that. So:
 * the OutgoingPublish, its queue slot, or in flight its InflightPublish and Map entry, and the
 * topic string's header, rounded up.
 */
export const HELD_MESSAGE_OVERHEAD_BYTES = 256;

/** A non-empty payload's Buffer object and, for a large one, its backing store record: measured 185-259 B beyond its bytes; rounded up. */
export const HELD_PAYLOAD_OVERHEAD_BYTES = 256;

/**
 * Payloads shorter than this are copied (detached()) into Node's shared 8 KiB pool, beside the
 * packets encoded for sending, and keep their slab alive while held. Measured in flight: a
 * 1,000-byte payload held 2,481 B, a 10-byte one 259 B. So they count 2.5 times their length.
 */
export const POOLED_PAYLOAD_MAX_BYTES = Buffer.poolSize >>> 1;

/** Per User Property pair (and per other property present): its object slot and two string headers (16 B each), rounded up. */
const PROPERTY_OVERHEAD_BYTES = 64;

/**
 * A topic or property string held in memory: one byte per UTF-16 code unit when the string is
 * Latin-1 (V8 then stores one byte each), two otherwise. Topics are almost always ASCII, so the
 * common case is one pass without allocation.
 */
function stringBytes(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0xff) return 2 * n;
  return n;
}

/** The bytes held by v5 properties: user properties, Response Topic, Correlation Data, Content Type. */
export function propertiesHeldBytes(properties: PublishProperties | null, subscriptionIds: readonly number[] | null): number {
  let bytes = subscriptionIds === null ? 0 : PROPERTY_OVERHEAD_BYTES + 8 * subscriptionIds.length;
  if (properties === null) return bytes;
  const user = properties.userProperties;
  if (user !== null) {
    for (const key in user) {
      const value = user[key]!;
      bytes += stringBytes(key);
      if (typeof value === 'string') bytes += PROPERTY_OVERHEAD_BYTES + stringBytes(value);
      else for (let i = 0; i < value.length; i++) bytes += PROPERTY_OVERHEAD_BYTES + stringBytes(value[i]!);
    }
  }
  const passed = properties.passed;
  if (passed !== null) {
    bytes += PROPERTY_OVERHEAD_BYTES;
    if (passed.responseTopic !== undefined) bytes += stringBytes(passed.responseTopic);
    if (passed.contentType !== undefined) bytes += stringBytes(passed.contentType);
    if (passed.correlationData !== undefined) bytes += PROPERTY_OVERHEAD_BYTES + passed.correlationData.length;
  }
  return bytes;
}

/** The bytes one held message costs: topic, payload, properties and the fixed overhead. */
export function messageHeldBytes(topic: string, payload: Buffer, properties: PublishProperties | null, subscriptionIds: readonly number[] | null): number {
  const length = payload.length;
  const payloadBytes = length === 0 ? 0 : HELD_PAYLOAD_OVERHEAD_BYTES + (length < POOLED_PAYLOAD_MAX_BYTES ? (length * 5) >>> 1 : length);
  return HELD_MESSAGE_OVERHEAD_BYTES + stringBytes(topic) + payloadBytes + propertiesHeldBytes(properties, subscriptionIds);
}

const EMPTY = Buffer.alloc(0);

/** A view may leave this much of its store unused before it is copied out. */
const SLACK_BYTES = 256;

/**
 * `bytes` as a buffer of its own, when it is a view of a larger one. An inbound payload is a view
 * of the socket read it arrived in (up to 64 KiB): held for a client, a 10-byte payload would keep
 * the whole read alive, far more than is counted for it. Once per message, not per receiver.
 *
 * A copy under 4 KiB comes from Node's shared 8 KiB pool, as every small Buffer does, and keeps its
 * slab alive while held; messageHeldBytes counts it at 2.5 times its length (measured). A buffer of
 * its own (Buffer.allocUnsafeSlow) would not share a slab, but costs several times as much per
 * copy (~0.7 us against ~0.1 us), a fifth of the broker's whole cost per QoS 1 message. A copy is
 * itself a view of the pool: call this once per message, not on what it returned.
 */
export function detached(bytes: Buffer): Buffer {
  const length = bytes.length;
  if (length === 0) return EMPTY;
  if (bytes.buffer.byteLength - length <= SLACK_BYTES) return bytes;
  return Buffer.from(bytes);
}
