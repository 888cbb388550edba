// What one message the broker holds really costs in memory, for every byte limit on held messages:
// an online client's queue and in-flight window (listeners[].options.maxSendQueueBytes, limits
// groups' maxQueuedBytes), an absent client's kept session (mqtt.sessions.maxQueuedBytes /
// maxBytes), and the retained store (mqtt.retained.maxBytes). It counts the topic, the payload, the
// v5 properties and a fixed overhead for the objects around them. Counting payload bytes alone let
// a subscriber that never acknowledges hold 200,000 empty messages on 900-byte topics (over 400 MB),
// or a publisher keep 1-byte payloads with 900 KB of user properties, inside any limit.
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

/**
 * Per retained message: the Message, its Payload, the copied payload's Buffer object and the map
 * entry. Measured at about 400 bytes with a short topic (Node 22, x64); rounded up.
 */
export const RETAINED_MESSAGE_OVERHEAD_BYTES = 512;

/** A non-empty payload's Buffer object and, for a large one, its backing store record: measured 185-259 B beyond its bytes; rounded up. */
export const HELD_PAYLOAD_OVERHEAD_BYTES = 256;

/**
 * Payloads shorter than this are copied (detached-bytes.ts) into Node's shared 8 KiB pool and keep
 * their slab alive while held. Measured in flight: a 1,000-byte payload held 2,481 B, a 10-byte one
 * 259 B. So they count 2.5 times their length.
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

/** The bytes a message's v5 properties hold; computed once per PublishProperties (they are immutable and shared by every receiver). */
export function propertiesBytes(properties: PublishProperties | null): number {
  if (properties === null) return 0;
  if (properties.heldBytes < 0) properties.heldBytes = countProperties(properties);
  return properties.heldBytes;
}

/** The bytes one held message costs: topic, payload, properties, v5 subscription identifiers and `overhead`. */
export function messageHeldBytes(
  topic: string,
  payload: Uint8Array,
  properties: PublishProperties | null,
  subscriptionIds: readonly number[] | null,
  overhead: number = HELD_MESSAGE_OVERHEAD_BYTES,
): number {
  const length = payload.length;
  const payloadBytes =
    length === 0 ? 0 : HELD_PAYLOAD_OVERHEAD_BYTES + (length < POOLED_PAYLOAD_MAX_BYTES ? (length * 5) >>> 1 : length);
  const ids = subscriptionIds === null ? 0 : PROPERTY_OVERHEAD_BYTES + 8 * subscriptionIds.length;
  return overhead + stringBytes(topic) + payloadBytes + propertiesBytes(properties) + ids;
}

function countProperties(properties: PublishProperties): number {
  let bytes = 0;
  const user = properties.userProperties;
  if (user !== null) {
    for (const key in user) {
      const value = user[key]!;
      bytes += stringBytes(key);
      if (typeof value === 'string') bytes += PROPERTY_OVERHEAD_BYTES + stringBytes(value);
      // A repeated key: mqtt-packet gathers its values in an array.
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
