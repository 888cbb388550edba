// One mqtt-packet parser for every connection. The framer hands it whole packets only, and it
// parses a whole packet synchronously, so between calls it holds no connection's state: sharing it
// saves each connection a parser, a BufferList stream and two packet objects (about 1.5 KiB per
// idle connection), and the CONNECT packet (password included) that the parser would otherwise
// keep as its settings.
//
// Every UTF-8 Encoded String the parser reads (client id, will topic, user name, topic names and
// filters, string properties and user properties) must be well-formed UTF-8 [MQTT-1.5.4-1]
// (v3.1.1: [MQTT-1.5.3-1]); mqtt-packet decodes with replacement characters instead, so its string
// reader is wrapped and a packet with an ill-formed one is malformed (DISCONNECT 0x81 / close).
import { isUtf8 } from 'node:buffer';
import mqttPacket, { type Packet } from 'mqtt-packet';

type Parser = ReturnType<typeof mqttPacket.parser>;

/** What the parser needs to know of a connection: its protocol version, and v3 bridge mode (from CONNECT). */
export interface ParseSettings {
  protocolVersion: number;
  bridgeMode?: boolean;
}

/** The parser's internals this relies on: its settings, its unread bytes and its string reader. */
interface ParserInternals {
  settings: Partial<ParseSettings>;
  _list: { length: number; slice(start: number, end: number): Buffer; readUInt8(offset: number): number };
  _pos: number;
  _parseString(): string | null;
  _parseBuffer(): Buffer | null;
  _parseProperties(): Record<string, unknown> | false;
}

/** Why a packet with an ill-formed UTF-8 string is refused (the reason logged; the client gets 0x81). */
export const INVALID_UTF8 = 'Malformed Packet: a UTF-8 Encoded String is not well-formed UTF-8 [MQTT-1.5.4-1]';

/** Why a packet with a field longer than what is left of it is refused (0x81). */
export const FIELD_PAST_END = 'Malformed Packet: a field runs past the end of the packet or of its properties';

/** A well-formed packet that breaks a rule of the protocol: v5 DISCONNECT 0x82 Protocol Error, not 0x81. */
export class PacketProtocolError extends Error {}

/**
 * v5 properties a client's packet may carry more than once (MQTT 5 2.2.2.2): User Properties only.
 * Subscription Identifiers repeat only in a PUBLISH to a client; a SUBSCRIBE has at most one.
 */
const REPEATABLE_PROPERTIES = new Set(['userProperties']);

class SharedParser {
  private parser: Parser;
  private packet: Packet | null = null;
  private error: Error | null = null;
  /** A string or binary field ran past the packet's end: mqtt-packet then reads it as null and goes on. */
  private pastEnd = false;
  private busy = false;

  constructor() {
    this.parser = this.create();
  }

  private create(): Parser {
    const parser = mqttPacket.parser({});
    parser.on('packet', (packet: Packet) => (this.packet = packet));
    parser.on('error', (err: Error) => (this.error ??= err));
    const internals = parser as unknown as ParserInternals;
    const readString = internals._parseString;
    const illFormed = (): void => {
      this.error ??= new Error(INVALID_UTF8);
    };
    const readBuffer = internals._parseBuffer;
    const pastEnd = (): void => {
      this.pastEnd = true;
    };
    internals._parseString = function (this: ParserInternals): string | null {
      const start = this._pos + 2; // past the two-byte length
      const text = readString.call(this);
      if (text === null) pastEnd();
      // Ill-formed bytes decode to U+FFFD: only then are the bytes themselves checked.
      else if (text.indexOf('\uFFFD') !== -1 && !isUtf8(this._list.slice(start, this._pos))) illFormed();
      return text;
    };
    internals._parseBuffer = function (this: ParserInternals): Buffer | null {
      const data = readBuffer.call(this);
      if (data === null) pastEnd();
      return data;
    };
    // mqtt-packet reads properties while it is short of their end, so the last one may run on
    // into the payload: the properties must end exactly where their Property Length says.
    const readProperties = internals._parseProperties;
    internals._parseProperties = function (this: ParserInternals): Record<string, unknown> | false {
      const at = this._pos;
      const properties = readProperties.call(this);
      if (properties !== false && this._pos !== propertiesEnd(this._list, at)) pastEnd();
      return properties;
    };
    return parser;
  }

  /** The packet `bytes` (exactly one whole packet) holds for a connection with `settings`, or why it is malformed. */
  parse(bytes: Buffer, settings: ParseSettings): Packet | Error {
    // Re-entry (a packet handler parsing another connection's input) gets a parser of its own.
    if (this.busy) return new SharedParser().parse(bytes, settings);
    this.busy = true;
    try {
      const internals = this.parser as unknown as ParserInternals;
      internals.settings = settings;
      this.parser.parse(bytes);
      const packet = this.packet;
      const error = this.error ?? (packet === null ? new Error('incomplete packet') : null);
      // After an error, or bytes the packet did not account for, start from a clean parser.
      if (error !== null || internals._list.length !== 0) this.parser = this.create();
      internals.settings = {};
      // mqtt-packet's own error first (it names the field); else a field it read as null or -1.
      if (error !== null) return error;
      if (this.pastEnd) return new Error(FIELD_PAST_END);
      return truncatedField(packet!) ?? repeatedProperty(packet!) ?? packet!;
    } finally {
      this.packet = null;
      this.error = null;
      this.pastEnd = false;
      this.busy = false;
    }
  }
}

export const sharedParser = new SharedParser();

/**
 * mqtt-packet reads past the end of a packet as -1 (two- and four-byte integers) or null
 * (strings) and still emits the packet: a QoS 1 PUBLISH that ends after its topic arrives with
 * packet id -1, a v5 property cut short as -1 or null. Such a packet is malformed [MQTT-1.5.5,
 * MQTT-2.2.2]: refuse it here, before it is routed or answered (an acknowledgement for id -1
 * cannot even be encoded).
 */
function truncatedField(packet: Packet): Error | null {
  const fields = packet as {
    messageId?: unknown;
    properties?: Record<string, unknown>;
    will?: { properties?: Record<string, unknown> };
  };
  if (fields.messageId === -1) return new Error('Cannot parse messageId');
  return truncatedProperty(fields.properties) ?? truncatedProperty(fields.will?.properties);
}

function truncatedProperty(properties: Record<string, unknown> | undefined): Error | null {
  if (properties === undefined) return null;
  for (const name in properties) {
    const value = properties[name];
    if (value === -1 || value === null || (Array.isArray(value) && value.some((v) => v === -1 || v === null)))
      return new Error(`Cannot parse property ${name}`);
  }
  return null;
}

/** Where properties whose Property Length (a Variable Byte Integer) starts at `at` end; -1 if it is not one. */
function propertiesEnd(list: ParserInternals['_list'], at: number): number {
  let length = 0;
  for (let i = 0; i < 4; i++) {
    if (at + i >= list.length) return -1;
    const byte = list.readUInt8(at + i);
    length += (byte & 0x7f) * 128 ** i;
    if ((byte & 0x80) === 0) return at + i + 1 + length;
  }
  return -1;
}

/**
 * mqtt-packet gathers a property given twice into an array. In a client's packet only User
 * Properties may repeat; any other twice is a Protocol Error (e.g. MQTT 5 3.3.2.3.3 for the
 * Message Expiry Interval), refused before the array reaches code that expects one value.
 */
function repeatedProperty(packet: Packet): PacketProtocolError | null {
  const fields = packet as { properties?: Record<string, unknown>; will?: { properties?: Record<string, unknown> } };
  return repeatedIn(fields.properties) ?? repeatedIn(fields.will?.properties);
}

function repeatedIn(properties: Record<string, unknown> | undefined): PacketProtocolError | null {
  if (properties === undefined) return null;
  for (const name in properties) {
    if (Array.isArray(properties[name]) && !REPEATABLE_PROPERTIES.has(name))
      return new PacketProtocolError(`Protocol Error: the property ${name} appears more than once`);
  }
  return null;
}
