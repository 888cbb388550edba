// MQTT 3.1.1 packets for the load generator, encoded once up front with mqtt-packet's `generate`.
// A publish template knows where its payload's timestamp and (QoS 1) packet id sit, so the
// generator stamps them in place instead of encoding per message.
import mqttPacket from 'mqtt-packet';
import { stampMarker, writeStamp, type StampKind } from '../load/stamp.js';

export { BufferPool } from '../load/buffer-pool.js';

const { generate } = mqttPacket;

/** Byte offset of the timestamp within every payload the generator sends. */
export const STAMP_OFFSET = 0;

/** User name and password sent in CONNECT (the connection storm logs on with them). */
export interface Credentials {
  username: string;
  password: string;
}

export function connectPacket(clientId: string, credentials?: Credentials): Buffer {
  return generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId,
    clean: true,
    keepalive: 0,
    ...(credentials === undefined
      ? {}
      : { username: credentials.username, password: Buffer.from(credentials.password, 'utf8') }),
  });
}

export function subscribePacket(topic: string, qos: 0 | 1, messageId = 1): Buffer {
  return generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
}

export const DISCONNECT = generate({ cmd: 'disconnect' });

export interface PublishTemplate {
  /** `count` PUBLISH packets back to back. */
  bytes: Buffer;
  /** Length of one packet. */
  packetLength: number;
  /** Offset of the first packet's timestamp (add k * packetLength for the k-th). */
  stampAt: number;
  /** Offset of the first packet's packet id (QoS 1), or -1. */
  idAt: number;
  /** Bytes from the stamp's first byte to the end of its packet (= of the payload). */
  stampFromEnd: number;
}

/**
 * `count` identical PUBLISH packets, concatenated. `payload` is a size (a zeroed payload, binary
 * stamp at STAMP_OFFSET) or the payload itself with `stampMarker(stampKind)` where the stamp goes
 * (e.g. a JSON object whose last field holds the digits marker); the marker is found in the
 * encoded packet and replaced by "not sampled".
 */
export function publishTemplate(
  topic: string,
  payload: number | Buffer,
  qos: 0 | 1,
  count = 1,
  stampKind: StampKind = 'binary',
): PublishTemplate {
  if (typeof payload === 'number' && payload < STAMP_OFFSET + 8) throw new Error('payload too small for a timestamp');
  const body = typeof payload === 'number' ? Buffer.alloc(payload) : payload;
  const one = generate({
    cmd: 'publish',
    topic,
    payload: body,
    qos,
    retain: false,
    dup: false,
    ...(qos === 1 ? { messageId: 1 } : {}),
  });
  const payloadStart = one.length - body.length;
  let stampAt = payloadStart + STAMP_OFFSET;
  if (typeof payload !== 'number') {
    stampAt = one.indexOf(stampMarker(stampKind), payloadStart);
    if (stampAt < 0) throw new Error('payload has no stamp marker');
    writeStamp(one, stampAt, stampKind, 0);
  }
  return {
    bytes: Buffer.concat(Array.from({ length: count }, () => one)),
    packetLength: one.length,
    stampAt,
    idAt: qos === 1 ? payloadStart - 2 : -1,
    stampFromEnd: one.length - stampAt,
  };
}

/**
 * One PUBLISH packet per topic, concatenated (QoS 0): the many-topics publisher writes this whole
 * buffer at once. Only the first packet's payload timestamp offset is returned (`stampAt`).
 */
export function multiTopicTemplate(
  topics: readonly string[],
  payloadBytes: number,
): { bytes: Buffer; stampAt: number } {
  const parts = topics.map((topic) => publishTemplate(topic, payloadBytes, 0));
  return { bytes: Buffer.concat(parts.map((p) => p.bytes)), stampAt: parts[0]!.stampAt };
}
