// PUBLISH packets and the QoS acknowledgements decoded straight from the packet's bytes: the
// inbound hot path. Only the plain cases are handled here: a PUBLISH with QoS 0-2, a topic that
// fits and under v5 an empty property list; an acknowledgement with only its packet id. Anything
// else (properties, a topic alias, a malformed packet) returns null and goes to mqtt-packet's
// parser, so errors and property handling stay exactly mqtt-packet's. The payload is a view of
// the packet's buffer, as mqtt-packet's would be.
import { isUtf8 } from 'node:buffer';
import type { IPublishPacket, Packet } from 'mqtt-packet';

interface PlainPublish extends IPublishPacket {
  wire: Buffer | null;
}

/**
 * The packet's own bytes when they are exactly the PUBLISH a receiver of the same flavour (v5 or
 * not) gets: QoS 0, no retain, no DUP, no properties. Delivery then forwards them as they are.
 */
export function forwardableBytes(packet: IPublishPacket): Buffer | null {
  return (packet as Partial<PlainPublish>).wire ?? null;
}

export function decodePlainPublish(
  buf: Buffer,
  start: number,
  end: number,
  bodyStart: number,
  v5: boolean,
): IPublishPacket | null {
  const flags = buf[start]!;
  const qos = (flags >> 1) & 0x03;
  if (qos === 3) return null;
  let pos = bodyStart;
  if (end - pos < 2) return null;
  const topicBytes = (buf[pos]! << 8) | buf[pos + 1]!;
  pos += 2;
  if (pos + topicBytes > end) return null;
  const topic = buf.toString('utf8', pos, pos + topicBytes);
  // [MQTT-1.5.4-1] ill-formed UTF-8 makes the packet malformed. Decoding replaces it with U+FFFD,
  // so only a topic holding one (rare: it may also be a genuine U+FFFD) has its bytes checked; such
  // a packet goes to mqtt-packet's parser, whose strings are all checked (packet-parser.ts).
  if (topic.indexOf('\uFFFD') !== -1 && !isUtf8(buf.subarray(pos, pos + topicBytes))) return null;
  pos += topicBytes;
  let messageId: number | undefined;
  if (qos > 0) {
    if (end - pos < 2) return null;
    messageId = (buf[pos]! << 8) | buf[pos + 1]!;
    pos += 2;
  }
  if (v5) {
    if (pos >= end || buf[pos] !== 0) return null;
    pos++;
  }
  const packet: PlainPublish = {
    cmd: 'publish',
    retain: (flags & 0x01) !== 0,
    qos: qos as 0 | 1 | 2,
    dup: (flags & 0x08) !== 0,
    length: end - bodyStart,
    topic,
    payload: buf.subarray(pos, end),
    messageId,
    wire: (flags & 0x0f) === 0 ? buf.subarray(start, end) : null,
  };
  return packet;
}

const ACK_COMMANDS = [null, null, null, null, 'puback', 'pubrec', 'pubrel', 'pubcomp'] as const;

/**
 * PUBACK, PUBREC, PUBREL or PUBCOMP with Remaining Length 2 (spec 3.4-3.7; under v5 the reason
 * code is then Success), with the flag bits the spec requires (0010 for PUBREL, else 0000).
 */
export function decodePlainAck(buf: Buffer, start: number, end: number, v5: boolean): Packet | null {
  const first = buf[start]!;
  const cmd = ACK_COMMANDS[first >> 4];
  if (cmd === undefined || cmd === null || end - start !== 4 || buf[start + 1] !== 2) return null;
  if ((first & 0x0f) !== (cmd === 'pubrel' ? 0x02 : 0)) return null;
  const messageId = (buf[start + 2]! << 8) | buf[start + 3]!;
  return v5 ? { cmd, messageId, reasonCode: 0 } : { cmd, messageId };
}
