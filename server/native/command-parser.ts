// Validates a decoded frame into a typed command. Everything a client sends passes through here,
// so every rejection names the field and what was expected.
import {
  ErrorCodes,
  FILTER_SYNTAXES,
  MAX_SUBSCRIPTION_ID,
  type ClientCommand,
  type CommandName,
  type FilterSyntax,
  type RequestId,
} from '../../protocol/native.js';
import { BrokerError } from '../errors.js';
import { Payload } from '../delivery/payload.js';
import { isFilterSyntax } from '../content/filter/index.js';
import { msgpackIn } from './msgpack-codec.js';
import { RawMsgpack } from './msgpack-frame.js';

const COMMANDS: ReadonlySet<string> = new Set<CommandName>([
  'logon',
  'auth',
  'subscribe',
  'unsubscribe',
  'publish',
  'ping',
]);
const MAX_USER_LENGTH = 256;
const MAX_SECRET_LENGTH = 16 * 1024;
const MAX_CONTENT_EXPRESSION_LENGTH = 4096;
const MAX_MECHANISM_LENGTH = 64;

/** Payload of a publish: a JSON-compatible value (possibly still msgpack-encoded), or raw bytes. */
export type PublishPayload = Payload;

export type ParsedCommand =
  | {
      op: 'logon';
      rid: RequestId;
      user: string;
      password: string | undefined;
      token: string | undefined;
      mechanism: string | undefined;
      data: string | undefined;
    }
  | { op: 'auth'; rid: RequestId; data: string }
  | {
      op: 'subscribe';
      rid: RequestId;
      sid: number;
      topic: string | undefined;
      regex: string | undefined;
      filter: string | undefined;
      /** The syntax of `filter`; undefined: the broker's default (content.filterSyntax). */
      filterSyntax: FilterSyntax | undefined;
      select: string | undefined;
    }
  | { op: 'unsubscribe'; rid: RequestId; sid: number }
  | { op: 'publish'; rid: RequestId | undefined; ack: boolean; topic: string; payload: PublishPayload }
  | { op: 'ping'; rid: RequestId };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function isRequestId(v: unknown): v is RequestId {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** The rid of a frame if it has a usable one, so even a refused command can be answered by rid. */
export function peekRequestId(frame: unknown): RequestId | undefined {
  return isRecord(frame) && isRequestId(frame.rid) ? frame.rid : undefined;
}

function invalid(message: string, rid: RequestId | undefined, cmd: string): BrokerError {
  return new BrokerError(ErrorCodes.INVALID_FIELD, message, rid, cmd);
}

/** A `data` field of a msgpack frame arrives undecoded (see msgpack-frame.ts); other commands want its value. */
function plain(v: unknown): unknown {
  return v instanceof RawMsgpack ? msgpackIn.unpack(v.bytes) : v;
}

function optionalString(
  f: Record<string, unknown>,
  key: string,
  max: number,
  rid: RequestId | undefined,
  cmd: string,
): string | undefined {
  const v = plain(f[key]);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`"${key}" must be a string`, rid, cmd);
  if (v.length > max) throw invalid(`"${key}" is longer than ${max} characters`, rid, cmd);
  return v;
}

function optionalFilterSyntax(f: Record<string, unknown>, rid: RequestId, cmd: string): FilterSyntax | undefined {
  const v = plain(f.filterSyntax);
  if (v === undefined || v === null) return undefined;
  if (!isFilterSyntax(v)) throw invalid(`"filterSyntax" must be ${FILTER_SYNTAXES.join(' or ')}`, rid, cmd);
  return v;
}

function requiredRid(f: Record<string, unknown>, cmd: string): RequestId {
  if (!isRequestId(f.rid)) throw invalid('"rid" must be a non-negative integer', undefined, cmd);
  return f.rid;
}

function requiredSid(f: Record<string, unknown>, rid: RequestId, cmd: string): number {
  const sid = f.sid;
  if (typeof sid !== 'number' || !Number.isInteger(sid) || sid < 0 || sid > MAX_SUBSCRIPTION_ID) {
    throw invalid(`"sid" must be an integer from 0 to ${MAX_SUBSCRIPTION_ID}`, rid, cmd);
  }
  return sid;
}

function base64Bytes(text: string, rid: RequestId | undefined): Uint8Array {
  // Buffer.from(..., 'base64') silently skips bad characters; check the alphabet so garbage is refused.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
    throw invalid('"bytes" must be base64 text', rid, 'publish');
  }
  return Buffer.from(text, 'base64');
}

function parsePublish(f: Record<string, unknown>): ParsedCommand {
  const ack = f.ack === true;
  if (f.ack !== undefined && typeof f.ack !== 'boolean')
    throw invalid('"ack" must be a boolean', peekRequestId(f), 'publish');
  const rid = ack ? requiredRid(f, 'publish') : peekRequestId(f);
  const topic = f.topic;
  if (typeof topic !== 'string') throw invalid('"topic" must be a string', rid, 'publish');
  const hasData = 'data' in f && f.data !== undefined;
  const hasBytes = 'bytes' in f && f.bytes !== undefined;
  if (hasData === hasBytes) throw invalid('exactly one of "data" or "bytes" is required', rid, 'publish');
  let payload: PublishPayload;
  if (hasBytes) {
    const b = f.bytes;
    if (b instanceof Uint8Array) payload = Payload.ofBytes(b);
    else if (typeof b === 'string') payload = Payload.ofBytes(base64Bytes(b, rid));
    else throw invalid('"bytes" must be binary (msgpack) or base64 text (JSON)', rid, 'publish');
  } else if (f.data instanceof RawMsgpack) {
    // A top-level msgpack binary in "data" is raw bytes too; anything else stays encoded until needed.
    const first = f.data.bytes[0]!;
    payload =
      first >= 0xc4 && first <= 0xc6
        ? Payload.ofBytes(msgpackIn.unpack(f.data.bytes) as Uint8Array)
        : Payload.ofMsgpack(f.data.bytes);
  } else {
    payload = Payload.ofValue(f.data);
  }
  return { op: 'publish', rid, ack, topic, payload };
}

/** Validate a decoded frame. Throws BrokerError (UNKNOWN_COMMAND, INVALID_FIELD). */
export function parseCommand(frame: unknown): ParsedCommand {
  if (!isRecord(frame)) throw new BrokerError(ErrorCodes.BAD_FRAME, 'a frame must be an object (map)');
  const op = frame.op;
  if (typeof op !== 'string' || !COMMANDS.has(op)) {
    const what = typeof op === 'string' ? `unknown command "${op.slice(0, 64)}"` : '"op" must name a command';
    throw new BrokerError(
      ErrorCodes.UNKNOWN_COMMAND,
      `${what}; expected one of ${[...COMMANDS].join(', ')}`,
      peekRequestId(frame),
    );
  }
  switch (op as CommandName) {
    case 'logon': {
      const rid = requiredRid(frame, op);
      // An empty user name is the authentication module's to judge (anonymous logon).
      const user = frame.user ?? '';
      if (typeof user !== 'string' || user.length > MAX_USER_LENGTH) {
        throw invalid(`"user" must be a string of at most ${MAX_USER_LENGTH} characters`, rid, op);
      }
      return {
        op: 'logon',
        rid,
        user,
        password: optionalString(frame, 'password', MAX_SECRET_LENGTH, rid, op),
        token: optionalString(frame, 'token', MAX_SECRET_LENGTH, rid, op),
        mechanism: optionalString(frame, 'mechanism', MAX_MECHANISM_LENGTH, rid, op),
        data: optionalString(frame, 'data', MAX_SECRET_LENGTH, rid, op),
      };
    }
    case 'auth': {
      const rid = requiredRid(frame, op);
      const data = optionalString(frame, 'data', MAX_SECRET_LENGTH, rid, op);
      if (data === undefined) throw invalid('"data" must be a string', rid, op);
      return { op: 'auth', rid, data };
    }
    case 'subscribe': {
      const rid = requiredRid(frame, op);
      return {
        op: 'subscribe',
        rid,
        sid: requiredSid(frame, rid, op),
        // Length limits for topic and regex are the topic engine's (they are configurable).
        topic: optionalString(frame, 'topic', Number.MAX_SAFE_INTEGER, rid, op),
        regex: optionalString(frame, 'regex', Number.MAX_SAFE_INTEGER, rid, op),
        filter: optionalString(frame, 'filter', MAX_CONTENT_EXPRESSION_LENGTH, rid, op),
        filterSyntax: optionalFilterSyntax(frame, rid, op),
        select: optionalString(frame, 'select', MAX_CONTENT_EXPRESSION_LENGTH, rid, op),
      };
    }
    case 'unsubscribe': {
      const rid = requiredRid(frame, op);
      return { op: 'unsubscribe', rid, sid: requiredSid(frame, rid, op) };
    }
    case 'publish':
      return parsePublish(frame);
    case 'ping':
      return { op: 'ping', rid: requiredRid(frame, op) };
  }
}

export type { ClientCommand };
