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
  _list: { length: number; slice(start: number, end: number): Buffer };
  _pos: number;
  _parseString(): string | null;
}

/** Why a packet with an ill-formed UTF-8 string is refused (the reason logged; the client gets 0x81). */
export const INVALID_UTF8 = 'Malformed Packet: a UTF-8 Encoded String is not well-formed UTF-8 [MQTT-1.5.4-1]';

class SharedParser {
  private parser: Parser;
  private packet: Packet | null = null;
  private error: Error | null = null;
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
    internals._parseString = function (this: ParserInternals): string | null {
      const start = this._pos + 2; // past the two-byte length
      const text = readString.call(this);
      // Ill-formed bytes decode to U+FFFD: only then are the bytes themselves checked.
      if (text !== null && text.indexOf('\uFFFD') !== -1 && !isUtf8(this._list.slice(start, this._pos))) illFormed();
      return text;
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
      return error ?? truncatedField(packet!) ?? packet!;
    } finally {
      this.packet = null;
      this.error = null;
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
  const fields = packet as { messageId?: unknown; properties?: Record<string, unknown>; will?: { properties?: Record<string, unknown> } };
  if (fields.messageId === -1) return new Error('Cannot parse messageId');
  return truncatedProperty(fields.properties) ?? truncatedProperty(fields.will?.properties);
}

function truncatedProperty(properties: Record<string, unknown> | undefined): Error | null {
  if (properties === undefined) return null;
  for (const name in properties) {
    const value = properties[name];
    if (value === -1 || value === null || (Array.isArray(value) && value.some((v) => v === -1 || v === null))) return new Error(`Cannot parse property ${name}`);
  }
  return null;
}
