// The bytes of a queued message in the LMDB store (the `messages` table): the record a persistent
// session writes for each QoS 1/2 message, the most frequent write of all. A fixed layout costs a
// third of msgpack's encoding time and half its size, which is also less for LMDB's writer to
// copy. The rare parts (subscription ids, v5 properties) follow only when present; properties
// are msgpack. Layout, little-endian:
//
//   u8 version (1) | u8 flags | f64 seq | u16 packetId | u16 clientId bytes | clientId
//   | u32 topic bytes | topic | [u16 count, u32 id...] | [u32 bytes, msgpack properties] | payload
import { Packr } from 'msgpackr';
import type { PropertiesRecord, QueuedRecord } from './records.js';

const VERSION = 1;
/** version, flags, seq, packet id, client id length (14), and the topic's length (4). */
const HEADER_BYTES = 18;
const RETAIN = 0x04;
const RELEASED = 0x08;
const HAS_PACKET_ID = 0x10;
const HAS_SUBSCRIPTION_IDS = 0x20;
const HAS_PROPERTIES = 0x40;

const properties = new Packr({ useRecords: false, copyBuffers: true });

export function encodeQueued(record: QueuedRecord): Buffer {
  const clientIdBytes = Buffer.byteLength(record.clientId);
  const topicBytes = Buffer.byteLength(record.topic);
  const ids = record.subscriptionIds;
  const props = record.properties === null ? null : properties.pack(record.properties);
  const size =
    HEADER_BYTES +
    clientIdBytes +
    topicBytes +
    (ids === null ? 0 : 2 + 4 * ids.length) +
    (props === null ? 0 : 4 + props.length) +
    record.payload.length;
  const out = Buffer.allocUnsafe(size);
  let flags = record.qos;
  if (record.retain) flags |= RETAIN;
  if (record.released) flags |= RELEASED;
  if (record.packetId !== null) flags |= HAS_PACKET_ID;
  if (ids !== null) flags |= HAS_SUBSCRIPTION_IDS;
  if (props !== null) flags |= HAS_PROPERTIES;
  out[0] = VERSION;
  out[1] = flags;
  out.writeDoubleLE(record.seq, 2);
  out.writeUInt16LE(record.packetId ?? 0, 10);
  out.writeUInt16LE(clientIdBytes, 12);
  let at = 14 + out.write(record.clientId, 14, 'utf8');
  out.writeUInt32LE(topicBytes, at);
  at += 4;
  at += out.write(record.topic, at, 'utf8');
  if (ids !== null) {
    out.writeUInt16LE(ids.length, at);
    at += 2;
    for (const id of ids) {
      out.writeUInt32LE(id, at);
      at += 4;
    }
  }
  if (props !== null) {
    out.writeUInt32LE(props.length, at);
    at += 4;
    at += props.copy(out, at);
  }
  record.payload.copy(out, at);
  return out;
}

/**
 * The record the first `size` of `bytes` hold (all of them without `size`); throws on bytes that
 * are not one (a damaged entry). Copies what it keeps: lmdb-js reuses its read buffer.
 */
export function decodeQueued(bytes: Uint8Array, size?: unknown): QueuedRecord {
  const length = typeof size === 'number' && size < bytes.byteLength ? size : bytes.byteLength;
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, length);
  if (data.length < HEADER_BYTES || data[0] !== VERSION) throw new Error('not a queued message of this format');
  const flags = data[1]!;
  const qos = flags & 0x03;
  if (qos !== 1 && qos !== 2) throw new Error(`a queued message with QoS ${qos}`);
  const seq = data.readDoubleLE(2);
  const packetId = data.readUInt16LE(10);
  const clientIdEnd = 14 + data.readUInt16LE(12);
  const clientId = data.toString('utf8', 14, clientIdEnd);
  let at = clientIdEnd + 4;
  const topicEnd = at + data.readUInt32LE(clientIdEnd);
  if (topicEnd > data.length) throw new Error('a queued message cut short');
  const topic = data.toString('utf8', at, topicEnd);
  at = topicEnd;
  let subscriptionIds: number[] | null = null;
  if ((flags & HAS_SUBSCRIPTION_IDS) !== 0) {
    const count = data.readUInt16LE(at);
    at += 2;
    subscriptionIds = [];
    for (let i = 0; i < count; i++, at += 4) subscriptionIds.push(data.readUInt32LE(at));
  }
  let props: PropertiesRecord | null = null;
  if ((flags & HAS_PROPERTIES) !== 0) {
    const end = at + 4 + data.readUInt32LE(at);
    props = properties.unpack(data.subarray(at + 4, end)) as PropertiesRecord;
    at = end;
  }
  if (at > data.length) throw new Error('a queued message cut short');
  return {
    clientId,
    seq,
    topic,
    payload: Buffer.from(data.subarray(at)),
    qos,
    retain: (flags & RETAIN) !== 0,
    subscriptionIds,
    properties: props,
    packetId: (flags & HAS_PACKET_ID) !== 0 ? packetId : null,
    released: (flags & RELEASED) !== 0,
  };
}

/** The codec as lmdb-js takes it for a table (a stable buffer for each read, so a range read slices). */
export const queuedMessageEncoder = { encode: encodeQueued, decode: decodeQueued, needsStableBuffer: true };
