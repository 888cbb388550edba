// PUBLISH packets without properties, encoded straight into one buffer: the delivery hot path.
// mqtt-packet's generator builds a stream object, calls its debug logger and copies through
// intermediate buffers per packet; this is one allocation and two copies (topic, payload).
// Packets with v5 properties still go through mqtt-packet (outbound.ts).

/** Bytes of the Remaining Length field for `n` (spec 1.5.5). */
function varIntLength(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/**
 * One PUBLISH (spec 3.3): fixed header, topic, packet id when QoS > 0, an empty property list
 * under v5, then the payload.
 */
export function encodePublish(
  topic: string,
  payload: Buffer,
  qos: 0 | 1 | 2,
  messageId: number | undefined,
  dup: boolean,
  retain: boolean,
  v5: boolean,
): Buffer {
  const topicBytes = Buffer.byteLength(topic, 'utf8');
  const remaining = 2 + topicBytes + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) + payload.length;
  const lengthBytes = varIntLength(remaining);
  const packet = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  packet[0] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  let offset = 1;
  let rest = remaining;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    packet[offset++] = byte;
  } while (rest > 0);
  packet[offset++] = topicBytes >> 8;
  packet[offset++] = topicBytes & 0xff;
  offset += packet.write(topic, offset, topicBytes, 'utf8');
  if (qos > 0) {
    packet[offset++] = messageId! >> 8;
    packet[offset++] = messageId! & 0xff;
  }
  if (v5) packet[offset++] = 0; // property length
  payload.copy(packet, offset);
  return packet;
}
