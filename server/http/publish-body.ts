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
  /**
   * At least the payload's size (payloadSize): exact for `bytes`; for `data`, 21/4 of the body's
   * length. JSON.stringify gives back a parsed text no longer than it was, but for numbers in
   * exponent notation (`9e20`: 4 bytes, 21 digits), so a body under every limit by that much is
   * not measured.
   */
  readonly sizeBound: number;
  /** Kept as the topic's MQTT retained message (or, with an empty payload, clearing it). */
  readonly retain: boolean;
}

/** The payload's size as limits count it: the UTF-8 JSON text of `data` (what MQTT receivers get), or the bytes of `bytes`. */
export function payloadSize(body: PublishBody): number {
  const payload = body.payload;
  if (payload.isBytes) return payload.bytes.byteLength;
  return Buffer.byteLength(JSON.stringify(payload.value));
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
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    // Only now: trim() copies the text, and a body that parses is not empty.
    if (text.trim() === '')
      throw badBody('the request body is empty; expected a JSON object: {"topic": ..., "data": ...}');
    throw badBody(`invalid JSON: ${(err as Error).message}`);
  }
  // The envelope is one level; its `data` may nest as deep as a native publish's (content/json-depth.ts).
  if (jsonNestsDeeperThan(body, 0, body.length, MAX_PAYLOAD_DEPTH + 1))
    throw badBody(`invalid JSON: nesting deeper than ${MAX_PAYLOAD_DEPTH} levels`);
  if (!isRecord(document)) throw badBody('the request body must be a JSON object: {"topic": ..., "data": ...}');
  // for...in, not Object.keys: no array per request (JSON.parse makes plain objects: no inherited keys).
  for (const key in document)
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
    return { topic, payload: Payload.ofBytes(decoded), sizeBound: decoded.length, retain: retain === true };
  }
  return {
    topic,
    payload: Payload.ofValue(data),
    sizeBound: Math.ceil((body.length * 21) / 4),
    retain: retain === true,
  };
}
