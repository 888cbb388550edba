// An HTTP publish request's JSON body, validated into a publish: `{ topic, data | bytes, retain? }`,
// the native protocol's publish fields (docs/protocol.md, "Payloads") plus MQTT's retain flag.
// Every refusal is a BrokerError with the native code (BAD_FRAME for a body that is not a JSON
// object, INVALID_FIELD naming the field), so the answer reads as the native protocol's would.
import { isUtf8 } from 'node:buffer';
import { ErrorCodes } from '../../protocol/native.js';
import { jsonNestsDeeperThan, MAX_PAYLOAD_DEPTH } from '../content/json-depth.js';
import { Payload } from '../delivery/payload.js';
import { BrokerError } from '../errors.js';

export interface PublishBody {
  readonly topic: string;
  readonly payload: Payload;
  /** The payload's size as limits count it: the UTF-8 JSON text of `data` (what MQTT receivers get), or the bytes of `bytes`. */
  readonly size: number;
  /** Kept as the topic's MQTT retained message (or, with an empty payload, clearing it). */
  readonly retain: boolean;
}

const FIELDS: ReadonlySet<string> = new Set(['topic', 'data', 'bytes', 'retain']);
// As the native protocol checks it: Buffer.from(..., 'base64') would silently skip bad characters.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function badBody(message: string): BrokerError {
  return new BrokerError(ErrorCodes.BAD_FRAME, message, undefined, 'publish');
}

function invalid(message: string): BrokerError {
  return new BrokerError(ErrorCodes.INVALID_FIELD, message, undefined, 'publish');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The publish in `body`; throws a BrokerError saying what is wrong with it. */
export function parsePublishBody(body: Buffer): PublishBody {
  if (!isUtf8(body)) throw badBody('the request body is not valid UTF-8');
  const text = body.toString('utf8');
  if (text.trim() === '')
    throw badBody('the request body is empty; expected a JSON object: {"topic": ..., "data": ...}');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw badBody(`invalid JSON: ${(err as Error).message}`);
  }
  // The envelope is one level; its `data` may nest as deep as a native publish's (content/json-depth.ts).
  if (jsonNestsDeeperThan(body, 0, body.length, MAX_PAYLOAD_DEPTH + 1))
    throw badBody(`invalid JSON: nesting deeper than ${MAX_PAYLOAD_DEPTH} levels`);
  if (!isRecord(document)) throw badBody('the request body must be a JSON object: {"topic": ..., "data": ...}');
  for (const key of Object.keys(document))
    if (!FIELDS.has(key))
      // Unlike a native frame's extra fields, refused: a misspelt "retain" would otherwise be silently ignored.
      throw invalid(`unknown field ${JSON.stringify(key.slice(0, 64))}; expected topic, data or bytes, and retain`);
  const { topic, data, bytes, retain } = document;
  if (typeof topic !== 'string') throw invalid('"topic" must be a string');
  if (retain !== undefined && typeof retain !== 'boolean') throw invalid('"retain" must be a boolean');
  if ((data === undefined) === (bytes === undefined)) throw invalid('exactly one of "data" or "bytes" is required');
  if (bytes !== undefined) {
    if (typeof bytes !== 'string' || !BASE64.test(bytes) || bytes.length % 4 === 1)
      throw invalid('"bytes" must be base64 text');
    const decoded = Buffer.from(bytes, 'base64');
    return { topic, payload: Payload.ofBytes(decoded), size: decoded.length, retain: retain === true };
  }
  // The JSON text MQTT receivers get (mqtt-message.ts): the size the limits count, however the body spelt it.
  const size = Buffer.byteLength(JSON.stringify(data));
  return { topic, payload: Payload.ofValue(data), size, retain: retain === true };
}
