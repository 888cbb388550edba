// One mqtt-packet parser for every connection. The framer hands it whole packets only, and it
// parses a whole packet synchronously, so between calls it holds no connection's state: sharing it
// saves each connection a parser, a BufferList stream and two packet objects (about 1.5 KiB per
// idle connection), and the CONNECT packet (password included) that the parser would otherwise
// keep as its settings.
import mqttPacket, { type Packet } from 'mqtt-packet';

type Parser = ReturnType<typeof mqttPacket.parser>;

/** What the parser needs to know of a connection: its protocol version, and v3 bridge mode (from CONNECT). */
export interface ParseSettings {
  protocolVersion: number;
  bridgeMode?: boolean;
}

/** The parser's internals this relies on: its settings and its unread bytes. */
interface ParserInternals {
  settings: Partial<ParseSettings>;
  _list: { length: number };
}

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
