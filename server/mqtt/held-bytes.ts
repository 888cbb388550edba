// What a message the broker keeps for later really holds, in bytes: its topic, its v5 properties,
// its payload, and a fixed overhead for the objects around them. Limits on kept messages
// (mqtt.retained.maxBytes, mqtt.sessions.maxQueuedBytes / maxBytes) count this, so a client cannot
// make the broker hold more than a limit says by moving bytes out of the payload (a 1-byte
// payload with 900 KB of user properties, an empty payload on a 64 KB topic).
//
// Strings count their UTF-8 length: never less than what V8 holds for them (1 byte per Latin-1
// code unit, 2 per UTF-16 one), and what the client sent. A payload counts its length, not the
// network chunk it may be a view of (detached-bytes.ts copies such views before keeping them).
import type { PublishProperties } from './publish-properties.js';
import type { OutgoingPublish } from './outbound.js';

/**
 * Per queued PUBLISH (a persistent session's queue, an outbound queue): the OutgoingPublish, its
 * payload Buffer object and the queue slot. Measured at about 195 bytes (Node 22, x64); rounded up.
 */
export const QUEUED_PUBLISH_OVERHEAD_BYTES = 256;

/**
 * Per retained message: the Message, its Payload, the copied payload's Buffer object and the map
 * entry. Measured at about 400 bytes with a short topic (Node 22, x64); rounded up.
 */
export const RETAINED_MESSAGE_OVERHEAD_BYTES = 512;

/** Per user property key or value, and per other property: the string or slot that holds it. */
export const PROPERTY_OVERHEAD_BYTES = 32;

/** The bytes a message's v5 properties hold; computed once per PublishProperties (they are immutable and shared). */
export function propertiesBytes(properties: PublishProperties | null): number {
  if (properties === null) return 0;
  if (properties.heldBytes < 0) properties.heldBytes = countProperties(properties);
  return properties.heldBytes;
}

/** A kept message: topic, properties, payload, and `overhead` (one of the constants above). */
export function heldMessageBytes(topic: string, payload: Uint8Array, properties: PublishProperties | null, overhead: number): number {
  return Buffer.byteLength(topic, 'utf8') + payload.length + propertiesBytes(properties) + overhead;
}

/** A queued PUBLISH, with its v5 subscription identifiers. */
export function queuedPublishBytes(out: OutgoingPublish): number {
  const ids = out.subscriptionIds === null ? 0 : out.subscriptionIds.length * 8;
  return heldMessageBytes(out.topic, out.payload, out.properties, QUEUED_PUBLISH_OVERHEAD_BYTES) + ids;
}

function countProperties(properties: PublishProperties): number {
  let bytes = PROPERTY_OVERHEAD_BYTES;
  const user = properties.userProperties;
  if (user !== null) {
    for (const key in user) {
      bytes += Buffer.byteLength(key, 'utf8') + PROPERTY_OVERHEAD_BYTES;
      const value = user[key]!;
      if (typeof value === 'string') bytes += Buffer.byteLength(value, 'utf8') + PROPERTY_OVERHEAD_BYTES;
      // A repeated key: mqtt-packet gathers its values in an array.
      else for (const v of value) bytes += Buffer.byteLength(v, 'utf8') + PROPERTY_OVERHEAD_BYTES;
    }
  }
  const passed = properties.passed;
  if (passed !== null) {
    if (passed.contentType !== undefined) bytes += Buffer.byteLength(passed.contentType, 'utf8') + PROPERTY_OVERHEAD_BYTES;
    if (passed.responseTopic !== undefined) bytes += Buffer.byteLength(passed.responseTopic, 'utf8') + PROPERTY_OVERHEAD_BYTES;
    if (passed.correlationData !== undefined) bytes += passed.correlationData.length + PROPERTY_OVERHEAD_BYTES;
    if (passed.payloadFormatIndicator !== undefined) bytes += PROPERTY_OVERHEAD_BYTES;
  }
  return bytes;
}
