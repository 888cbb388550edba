// A delivery frame is `{op:'msg', sids:[...], topic, data|bytes}`. It is assembled from a prefix
// that depends only on the subscriber's subscription ids (cached on the delivery plan) and a body
// that depends only on the message (encoded once per message): no per-subscriber encoding.
import type { Encoding, SubscriptionId } from '../../protocol/native.js';
import type { PublishPayload } from '../native/command-parser.js';
import { msgpack, msgpackMapHeaderLength } from '../native/codec.js';

// msgpack: fixmap of 4 entries, then "op":"msg","sids":
const MSGPACK_PREFIX_HEAD = Buffer.concat([
  Buffer.from([0x84]),
  msgpack.pack('op'),
  msgpack.pack('msg'),
  msgpack.pack('sids'),
]);

export function encodeDeliveryPrefix(encoding: Encoding, sids: readonly SubscriptionId[]): Buffer {
  if (encoding === 'json') return Buffer.from(`{"op":"msg","sids":${JSON.stringify(sids)},`, 'utf8');
  return Buffer.concat([MSGPACK_PREFIX_HEAD, msgpack.pack(sids)]);
}

const TOPIC_KEY = msgpack.pack('topic');
const DATA_KEY = msgpack.pack('data');

/** The frame's tail: `"topic":...,"data":...}` in JSON, the last two map entries in msgpack. */
export function encodeDeliveryBody(encoding: Encoding, topic: string, payload: PublishPayload): Buffer {
  if (encoding === 'json') {
    const tail = payload.isBytes ? { topic, bytes: base64(payload.bytes) } : { topic, data: payload.value };
    const text = JSON.stringify(tail);
    return Buffer.from(text.slice(1), 'utf8'); // drop the opening brace: the prefix has it
  }
  // A payload that arrived as msgpack goes out as the same bytes.
  if (payload.msgpack !== null) return Buffer.concat([TOPIC_KEY, msgpack.pack(topic), DATA_KEY, payload.msgpack]);
  const packed = msgpack.pack(payload.isBytes ? { topic, bytes: payload.bytes } : { topic, data: payload.value });
  return packed.subarray(msgpackMapHeaderLength(packed));
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
