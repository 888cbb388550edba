// Encodes commands and decodes broker frames for one subprotocol, hiding the encodings'
// differences from the client: raw bytes are always a plain Uint8Array on this side.
import { Packr } from 'msgpackr';
import {
  SUBPROTOCOLS,
  type AckFrame,
  type ChallengeFrame,
  type ClientCommand,
  type Encoding,
  type ErrorCode,
  type ErrorFrame,
  type SubscriptionId,
} from '../protocol/native.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';

/** A delivery as the client sees it: `bytes`, when present, is already decoded to a Uint8Array. */
export interface InboundMessage {
  op: 'msg';
  sids: SubscriptionId[];
  topic: string;
  data?: unknown;
  bytes?: Uint8Array;
}

export type InboundFrame = AckFrame | ChallengeFrame | ErrorFrame | InboundMessage;

/** What a WebSocket may hand us: text, an ArrayBuffer (browsers) or a Buffer/Uint8Array (`ws`). */
export type RawFrame = string | ArrayBuffer | ArrayBufferView;

export class FrameDecodeError extends Error {
  override readonly name = 'FrameDecodeError';
}

export interface Codec {
  readonly encoding: Encoding;
  readonly subprotocol: string;
  encode(command: ClientCommand): string | Uint8Array;
  /** Throws FrameDecodeError when the frame is not a well-formed broker frame. */
  decode(raw: unknown): InboundFrame;
}

export function createCodec(encoding: Encoding): Codec {
  return encoding === 'json' ? new JsonCodec() : new MsgpackCodec();
}

class MsgpackCodec implements Codec {
  readonly encoding = 'msgpack' as const;
  readonly subprotocol = SUBPROTOCOLS.msgpack;
  // Records (msgpackr's extension) would break interop with other msgpack peers: plain maps only.
  private readonly packr = new Packr({ useRecords: false });

  encode(command: ClientCommand): Uint8Array {
    return this.packr.pack(command);
  }

  decode(raw: unknown): InboundFrame {
    if (typeof raw === 'string') throw new FrameDecodeError('text frame on the msgpack subprotocol');
    const bytes = toBytes(raw);
    let value: unknown;
    try {
      value = this.packr.unpack(bytes);
    } catch (error) {
      throw new FrameDecodeError(`undecodable msgpack frame: ${describe(error)}`);
    }
    return validateFrame(value, 'msgpack');
  }
}

class JsonCodec implements Codec {
  readonly encoding = 'json' as const;
  readonly subprotocol = SUBPROTOCOLS.json;
  private readonly textDecoder = new TextDecoder();

  encode(command: ClientCommand): string {
    if (command.op === 'publish' && command.bytes instanceof Uint8Array) {
      return JSON.stringify({ ...command, bytes: bytesToBase64(command.bytes) });
    }
    return JSON.stringify(command);
  }

  decode(raw: unknown): InboundFrame {
    const text = typeof raw === 'string' ? raw : this.textDecoder.decode(toBytes(raw));
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new FrameDecodeError(`undecodable JSON frame: ${describe(error)}`);
    }
    return validateFrame(value, 'json');
  }
}

function toBytes(raw: unknown): Uint8Array {
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  if (ArrayBuffer.isView(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  throw new FrameDecodeError(`unsupported frame payload type: ${Object.prototype.toString.call(raw)}`);
}

/** A plain Uint8Array view (a Node Buffer is a subclass; callers comparing with toEqual shouldn't see it). */
function plainBytes(value: Uint8Array): Uint8Array {
  return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function validateFrame(value: unknown, encoding: Encoding): InboundFrame {
  if (!isRecord(value)) throw new FrameDecodeError('frame is not an object');
  switch (value.op) {
    case 'ack': {
      if (typeof value.rid !== 'number') throw new FrameDecodeError('ack without a numeric rid');
      const ack: AckFrame = { op: 'ack', rid: value.rid };
      if (typeof value.user === 'string') ack.user = value.user;
      if (typeof value.session === 'string') ack.session = value.session;
      if (typeof value.data === 'string') ack.data = value.data;
      return ack;
    }
    case 'challenge': {
      if (typeof value.rid !== 'number') throw new FrameDecodeError('challenge without a numeric rid');
      if (typeof value.data !== 'string') throw new FrameDecodeError('challenge without string data');
      return { op: 'challenge', rid: value.rid, data: value.data };
    }
    case 'error': {
      if (typeof value.code !== 'string') throw new FrameDecodeError('error frame without a code');
      const error: ErrorFrame = {
        op: 'error',
        // The protocol only adds codes; an unknown one is passed through as-is.
        code: value.code as ErrorCode,
        message: typeof value.message === 'string' ? value.message : value.code,
      };
      if (typeof value.rid === 'number') error.rid = value.rid;
      if (typeof value.cmd === 'string') error.cmd = value.cmd;
      if (typeof value.sid === 'number') error.sid = value.sid;
      return error;
    }
    case 'msg': {
      const { sids, topic } = value;
      if (!Array.isArray(sids) || !sids.every((sid) => typeof sid === 'number')) {
        throw new FrameDecodeError('msg frame without numeric sids');
      }
      if (typeof topic !== 'string') throw new FrameDecodeError('msg frame without a topic');
      const message: InboundMessage = { op: 'msg', sids: sids as number[], topic };
      const bytes = decodeBytes(value.bytes, encoding);
      if (bytes !== undefined) {
        message.bytes = bytes;
      } else if (value.data instanceof Uint8Array) {
        // msgpack: a top-level binary `data` means raw bytes (protocol/native.ts).
        message.bytes = plainBytes(value.data);
      } else {
        message.data = value.data;
      }
      return message;
    }
    default:
      throw new FrameDecodeError(`unknown frame op ${JSON.stringify(value.op)}`);
  }
}

function decodeBytes(value: unknown, encoding: Encoding): Uint8Array | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Uint8Array) return plainBytes(value);
  if (typeof value === 'string' && encoding === 'json') {
    try {
      return base64ToBytes(value);
    } catch (error) {
      throw new FrameDecodeError(`msg frame bytes are not base64: ${describe(error)}`);
    }
  }
  throw new FrameDecodeError('msg frame bytes have the wrong type');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
