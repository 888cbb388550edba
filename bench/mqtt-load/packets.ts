// MQTT 3.1.1 packets for the load generator, encoded once up front with mqtt-packet's `generate`.
// A publish template knows where its payload's timestamp and (QoS 1) packet id sit, so the
// generator stamps them in place instead of encoding per message.
import mqttPacket from 'mqtt-packet';

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
    ...(credentials === undefined ? {} : { username: credentials.username, password: Buffer.from(credentials.password, 'utf8') }),
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
}

/** `count` identical PUBLISH packets of a zeroed `payloadBytes` payload, concatenated. */
export function publishTemplate(topic: string, payloadBytes: number, qos: 0 | 1, count = 1): PublishTemplate {
  if (payloadBytes < STAMP_OFFSET + 8) throw new Error('payload too small for a timestamp');
  const one = generate({
    cmd: 'publish',
    topic,
    payload: Buffer.alloc(payloadBytes),
    qos,
    retain: false,
    dup: false,
    ...(qos === 1 ? { messageId: 1 } : {}),
  });
  const payloadStart = one.length - payloadBytes;
  return {
    bytes: Buffer.concat(Array.from({ length: count }, () => one)),
    packetLength: one.length,
    stampAt: payloadStart + STAMP_OFFSET,
    idAt: qos === 1 ? payloadStart - 2 : -1,
  };
}

/**
 * One PUBLISH packet per topic, concatenated (QoS 0): the many-topics publisher writes this whole
 * buffer at once. Only the first packet's payload timestamp offset is returned (`stampAt`).
 */
export function multiTopicTemplate(topics: readonly string[], payloadBytes: number): { bytes: Buffer; stampAt: number } {
  const parts = topics.map((topic) => publishTemplate(topic, payloadBytes, 0));
  return { bytes: Buffer.concat(parts.map((p) => p.bytes)), stampAt: parts[0]!.stampAt };
}

/** Copies of a template buffer, reused only once the socket is done with them (write callback). */
export class BufferPool {
  private readonly free: Buffer[] = [];
  allocated = 0;

  constructor(private readonly template: Buffer) {}

  get(): Buffer {
    const b = this.free.pop();
    if (b !== undefined) return b;
    this.allocated++;
    return Buffer.from(this.template);
  }

  release(b: Buffer): void {
    this.free.push(b);
  }
}
