// The cluster bus's wire format: a published message as one binary frame, encoded once per publish
// and shared by every node it goes to; a batch is the frames for one node in one turn of the event
// loop, each after its length. Which node delivers each `$share` group is in the frame, for every
// node at once, so the frame stays the same for all of them.
//
// frame:  u8 version | u8 flags | u16 topic bytes | topic | u32 payload bytes | payload
//         [if MQTT: u8 qos | u32 properties bytes | properties (msgpack, 0 bytes: none)]
//         u16 assignments | per assignment: u16 group bytes | group | u16 node bytes | node
// batch:  (u32 frame bytes | frame)*
import { Packr, Unpackr } from 'msgpackr';
import type { PropertiesRecord } from '../store/records.js';

const VERSION = 1;
const FLAG_BYTES = 1; // payload is raw bytes
const FLAG_MSGPACK = 2; // payload is one msgpack value (a native JSON or msgpack publish)
const FLAG_MQTT = 4; // MQTT publish fields follow the payload
const FLAG_RETAIN = 8;

const properties = new Packr({ useRecords: false, int64AsType: 'number' });
const propertiesIn = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** What an MQTT publish carries beyond topic and payload. */
export interface BusMqttFields {
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly properties: PropertiesRecord | null;
}

/** A message as the bus carries it, before encoding and after decoding. */
export interface BusMessage {
  readonly topic: string;
  /** `bytes`: raw bytes; `msgpack`: one msgpack-encoded value. */
  readonly payloadKind: 'bytes' | 'msgpack';
  readonly payload: Buffer;
  readonly mqtt: BusMqttFields | null;
  /** `$share` group key -> the node that delivers the message to that group. */
  readonly shares: ReadonlyMap<string, string> | null;
}

export class BusFrameError extends Error {}

function stringBytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function encodeBusFrame(message: BusMessage): Buffer {
  const topicBytes = stringBytes(message.topic);
  const props =
    message.mqtt !== null && message.mqtt.properties !== null ? properties.pack(message.mqtt.properties) : null;
  let size = 2 + 2 + topicBytes + 4 + message.payload.length + 2;
  if (message.mqtt !== null) size += 1 + 4 + (props?.length ?? 0);
  if (message.shares !== null)
    for (const [group, node] of message.shares) size += 4 + stringBytes(group) + stringBytes(node);
  const out = Buffer.allocUnsafe(size);
  let flags = message.payloadKind === 'bytes' ? FLAG_BYTES : FLAG_MSGPACK;
  if (message.mqtt !== null) flags |= FLAG_MQTT | (message.mqtt.retain ? FLAG_RETAIN : 0);
  let at = out.writeUInt8(VERSION, 0);
  at = out.writeUInt8(flags, at);
  at = out.writeUInt16BE(topicBytes, at);
  at += out.write(message.topic, at, 'utf8');
  at = out.writeUInt32BE(message.payload.length, at);
  at += message.payload.copy(out, at);
  if (message.mqtt !== null) {
    at = out.writeUInt8(message.mqtt.qos, at);
    at = out.writeUInt32BE(props?.length ?? 0, at);
    if (props !== null) at += props.copy(out, at);
  }
  at = out.writeUInt16BE(message.shares?.size ?? 0, at);
  if (message.shares !== null) {
    for (const [group, node] of message.shares) {
      at = out.writeUInt16BE(stringBytes(group), at);
      at += out.write(group, at, 'utf8');
      at = out.writeUInt16BE(stringBytes(node), at);
      at += out.write(node, at, 'utf8');
    }
  }
  return out;
}

/** Reads one frame; throws BusFrameError on anything malformed (a frame from a newer version, a cut batch). */
export function decodeBusFrame(frame: Buffer): BusMessage {
  const reader = new Reader(frame);
  const version = reader.u8();
  if (version !== VERSION) throw new BusFrameError(`bus frame version ${version}, expected ${VERSION}`);
  const flags = reader.u8();
  const topic = reader.string(reader.u16());
  const payload = reader.bytes(reader.u32());
  let mqtt: BusMqttFields | null = null;
  if ((flags & FLAG_MQTT) !== 0) {
    const qos = reader.u8();
    if (qos > 2) throw new BusFrameError(`bus frame QoS ${qos}`);
    const propsLength = reader.u32();
    const props = propsLength === 0 ? null : (propertiesIn.unpack(reader.bytes(propsLength)) as PropertiesRecord);
    mqtt = { qos: qos as 0 | 1 | 2, retain: (flags & FLAG_RETAIN) !== 0, properties: props };
  }
  const count = reader.u16();
  let shares: Map<string, string> | null = null;
  for (let i = 0; i < count; i++) {
    const group = reader.string(reader.u16());
    const node = reader.string(reader.u16());
    (shares ??= new Map()).set(group, node);
  }
  if (!reader.done) throw new BusFrameError('bus frame has trailing bytes');
  return { topic, payloadKind: (flags & FLAG_BYTES) !== 0 ? 'bytes' : 'msgpack', payload, mqtt, shares };
}

/** One node's frames of a turn as one Redis message. */
export function encodeBatch(frames: readonly Buffer[]): Buffer {
  let size = 0;
  for (const frame of frames) size += 4 + frame.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const frame of frames) {
    at = out.writeUInt32BE(frame.length, at);
    at += frame.copy(out, at);
  }
  return out;
}

/** The frames of a batch (views of it); throws BusFrameError when it is cut. */
export function splitBatch(batch: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  while (at < batch.length) {
    if (at + 4 > batch.length) throw new BusFrameError('bus batch cut inside a frame length');
    const length = batch.readUInt32BE(at);
    at += 4;
    if (at + length > batch.length) throw new BusFrameError('bus batch cut inside a frame');
    frames.push(batch.subarray(at, at + length));
    at += length;
  }
  return frames;
}

class Reader {
  private at = 0;
  constructor(private readonly buffer: Buffer) {}

  get done(): boolean {
    return this.at === this.buffer.length;
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.buffer.length) throw new BusFrameError('bus frame cut short');
  }

  u8(): number {
    this.need(1);
    return this.buffer.readUInt8(this.at++);
  }

  u16(): number {
    this.need(2);
    const value = this.buffer.readUInt16BE(this.at);
    this.at += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  bytes(length: number): Buffer {
    this.need(length);
    const out = this.buffer.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  string(length: number): string {
    return this.bytes(length).toString('utf8');
  }
}
