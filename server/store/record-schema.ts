// The shapes of the store's records (records.ts) as zod schemas: what `warden store check`
// verifies each stored value against, and what `warden store import` accepts. One definition for
// both; only bytes differ: a Buffer in the store, `{"$base64": "..."}` in an export. Parsing
// yields the fields in the order written here, so an export does not depend on the order in
// which the broker happened to build a record.
import { z } from 'zod';
import { formatKeyPath } from '../config/key-path.js';
import type { RecordTable, TableRecords } from './records.js';

/** A packet identifier is a two-byte integer, never 0 [MQTT-2.2.1-3]. */
const MAX_PACKET_ID = 65_535;
/** A Subscription Identifier is a Variable Byte Integer from 1 to 268,435,455 (MQTT 5, 3.3.2.3.8). */
const MAX_SUBSCRIPTION_ID = 268_435_455;
/** Session Expiry and Message Expiry Intervals are four-byte integers of seconds (MQTT 5, 3.1.2.11.2, 3.3.2.3.3). */
const MAX_INTERVAL_SEC = 0xffff_ffff;

type RecordSchemas = { readonly [T in RecordTable]: z.ZodType<TableRecords[T]> };

function recordSchemas(bytes: z.ZodType<Buffer>): RecordSchemas {
  const text = z.string().min(1);
  const time = z.number(); // epoch milliseconds (finite: zod refuses NaN and Infinity)
  const qos = z.literal([0, 1, 2]);
  const packetId = z.int().min(1).max(MAX_PACKET_ID);
  const subscriptionId = z.int().min(1).max(MAX_SUBSCRIPTION_ID);
  const userProperties = z.record(z.string(), z.union([z.string(), z.array(z.string())])).nullable();
  const passed = {
    userProperties,
    payloadFormatIndicator: z.boolean().optional(),
    contentType: z.string().optional(),
    responseTopic: z.string().optional(),
    correlationData: bytes.optional(),
  };
  const properties = z.strictObject({ expiresAt: time.nullable(), ...passed }).nullable();

  const retained = z.strictObject({ topic: text, payload: bytes, qos, properties });
  const subscription = z.strictObject({
    clientId: text,
    filter: text,
    qos,
    noLocal: z.boolean(),
    retainAsPublished: z.boolean(),
    subscriptionId: subscriptionId.nullable(),
  });
  const session = z.strictObject({
    clientId: text,
    user: z.string(),
    listener: text,
    expirySec: z.int().min(0).max(MAX_INTERVAL_SEC),
    expiresAt: time.nullable(),
    incomingQos2: z.array(packetId),
  });
  const message = z.strictObject({
    clientId: text,
    seq: z.int().min(0),
    topic: text,
    payload: bytes,
    qos: z.literal([1, 2]),
    retain: z.boolean(),
    subscriptionIds: z.array(subscriptionId).nullable(),
    properties,
    packetId: packetId.nullable(),
    released: z.boolean(),
  });
  const will = z.strictObject({
    clientId: text,
    user: z.string(),
    listener: text,
    publishAt: time,
    topic: text,
    payload: bytes,
    qos,
    retain: z.boolean(),
    messageExpirySec: z.int().min(0).max(MAX_INTERVAL_SEC).nullable(),
    properties: z.strictObject(passed).nullable(),
  });
  return { retained, sessions: session, subscriptions: subscription, messages: message, wills: will };
}

/** Bytes as the store holds them. */
const storedBytes = z.custom<Buffer>((value) => Buffer.isBuffer(value), { error: 'expected bytes' });

/**
 * Bytes in an export: `{"$base64": "..."}`, in canonical base64 (padded, no line breaks), so that a
 * file that imports exports again byte for byte.
 */
const exportedBytes = z.strictObject({ $base64: z.string() }).transform((value, ctx) => {
  const bytes = Buffer.from(value.$base64, 'base64');
  if (bytes.toString('base64') === value.$base64) return bytes;
  ctx.addIssue({ code: 'custom', input: value, message: 'expected canonical base64 (A-Z a-z 0-9 + /, padded with =)' });
  return z.NEVER;
}) as unknown as z.ZodType<Buffer>;

const STORED = recordSchemas(storedBytes);
const EXPORTED = recordSchemas(exportedBytes);

export type RecordParse<T> =
  { readonly ok: true; readonly record: T } | { readonly ok: false; readonly problem: string };

/** A value read from the store, checked as a record of `table`. */
export function parseStoredRecord<T extends RecordTable>(table: T, value: unknown): RecordParse<TableRecords[T]> {
  return parseWith(STORED[table], value);
}

/** A record from an export line (bytes as `{"$base64": ...}`), checked as a record of `table`. */
export function parseExportedRecord<T extends RecordTable>(table: T, value: unknown): RecordParse<TableRecords[T]> {
  return parseWith(EXPORTED[table], value);
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown): RecordParse<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, record: result.data };
  return { ok: false, problem: describeIssue(result.error.issues[0]!) };
}

/** `subscriptions[0].qos: expected one of 0|1|2`: the first thing wrong, and where. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length === 0 ? 'the record' : formatKeyPath(issue.path);
  if (issue.code === 'unrecognized_keys')
    return `${where}: unknown field ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  if (issue.input === undefined) return `${where}: missing`;
  return `${where}: ${issue.message.replace(/^Invalid (input|option): /, '')}`;
}
