// A published message on its way to subscribers. Everything derived from it is computed at most
// once and shared: the wire body per encoding, the parsed document (only if some receiver has a
// filter or select list), and each distinct projection's body per encoding.
import type { Encoding } from '../../protocol/native.js';
import type { PublishPayload } from '../native/command-parser.js';
import type { CompiledSelect } from '../content/select/index.js';
import type { CompiledFilter } from '../content/filter/index.js';
import type { BrokerStats } from '../stats.js';
import type { PublishProperties } from '../mqtt/publish-properties.js';
import type { OutgoingPublish } from '../mqtt/outbound.js';
import { encodeDeliveryBody } from './delivery-frame.js';
import { Payload } from './payload.js';
import { jsonNestsDeeperThan, MAX_PAYLOAD_DEPTH } from '../content/json-depth.js';

const NOT_PARSED = Symbol('not parsed');
type Document = Record<string, unknown>;

function isDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export class Message {
  private jsonBody: Buffer | null = null;
  private msgpackBody: Buffer | null = null;
  private parsed: Document | null | typeof NOT_PARSED = NOT_PARSED;
  /** Projection -> [json body, msgpack body]; created on the first projection. */
  private projected: Map<CompiledSelect, [Buffer | null, Buffer | null]> | null = null;
  private lastSelect: CompiledSelect | null = null;
  /** Filters already evaluated on this message and their results: receivers with equal rules share one evaluation. */
  private filtersTested: CompiledFilter[] | null = null;
  private filterResults: boolean[] | null = null;
  private lastBodies: [Buffer | null, Buffer | null] | undefined = undefined;
  /** The payload as MQTT receivers get it (computed once); see mqttPayload(). */
  private mqttBytes: Buffer | null = null;
  /** Projection -> its MQTT payload; created on the first projected MQTT delivery. */
  private mqttProjected: Map<CompiledSelect, Buffer> | null = null;
  /** The PUBLISHes MQTT receivers without subscription ids share, one per variant (mqtt/outgoing-publish-for.ts). */
  sharedPublishes: OutgoingPublish[] | null = null;
  /** The publisher's own QoS 0 PUBLISH bytes, when receivers of its flavour can get them unchanged. */
  private forwardBytes: Buffer | null = null;
  private forwardV5 = false;

  constructor(
    readonly topic: string,
    readonly payload: PublishPayload,
    private readonly stats: BrokerStats,
    /** The publishing connection (MQTT no-local compares it), or null. */
    readonly publisher: object | null = null,
    /** The QoS it was published with (native publishes count as 0). */
    readonly qos: 0 | 1 | 2 = 0,
    /** The MQTT retain flag it was published with (kept on delivery for v5 Retain As Published). */
    readonly retain: boolean = false,
    /** True for a message sent from the retained store to a new subscriber (MQTT: retain flag 1). */
    readonly fromRetainedStore: boolean = false,
    /** MQTT 5 properties passed on to MQTT 5 receivers (expiry, user properties, content type, response topic...), or null. */
    readonly mqttProperties: PublishProperties | null = null,
  ) {}

  /** Keep the publisher's packet (mqtt/publish-decoder.ts, forwardableBytes) for plain QoS 0 deliveries. */
  forwardPublishBytes(bytes: Buffer, v5: boolean): void {
    this.forwardBytes = bytes;
    this.forwardV5 = v5;
  }

  /** The publisher's own PUBLISH if it is exactly what a QoS 0, non-retained, unprojected delivery to a `v5` receiver is. */
  forwardedPublish(v5: boolean): Buffer | null {
    return this.forwardV5 === v5 ? this.forwardBytes : null;
  }

  /**
   * The payload for MQTT receivers: raw bytes as they are, any other value as its JSON text in
   * UTF-8 (docs/mqtt.md, "Payload mapping"). Computed once per message.
   */
  mqttPayload(): Buffer {
    if (this.mqttBytes !== null) return this.mqttBytes;
    const payload = this.payload;
    if (payload.isBytes) {
      const bytes = payload.bytes;
      return (this.mqttBytes = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    return (this.mqttBytes = Buffer.from(JSON.stringify(payload.value) ?? 'null', 'utf8'));
  }

  /** The MQTT payload projected by `select` (document() must be non-null): JSON text, once per projection. */
  mqttProjectedPayload(select: CompiledSelect): Buffer {
    this.mqttProjected ??= new Map();
    let bytes = this.mqttProjected.get(select);
    if (bytes === undefined) {
      this.stats.projectionsEncoded++;
      bytes = Buffer.from(JSON.stringify(select.project(this.document()!)), 'utf8');
      this.mqttProjected.set(select, bytes);
    }
    return bytes;
  }

  body(encoding: Encoding): Buffer {
    if (encoding === 'msgpack') return (this.msgpackBody ??= encodeDeliveryBody('msgpack', this.topic, this.payload));
    return (this.jsonBody ??= encodeDeliveryBody('json', this.topic, this.payload));
  }

  /**
   * The payload as an object for filters and select lists, or null when it is not one (filters
   * then fail closed). Raw bytes count when they hold a UTF-8 JSON object (e.g. from MQTT) nesting
   * at most MAX_PAYLOAD_DEPTH levels: a deeper one is not filterable (counted in payloadsTooDeep),
   * as projecting and re-encoding it would overflow the stack.
   */
  document(): Document | null {
    if (this.parsed !== NOT_PARSED) return this.parsed;
    this.stats.payloadsParsed++;
    let value: unknown = this.payload.value;
    if (this.payload.isBytes) {
      const bytes = this.payload.bytes;
      if (jsonNestsDeeperThan(bytes, 0, bytes.byteLength, MAX_PAYLOAD_DEPTH)) {
        this.stats.payloadsTooDeep++;
        return (this.parsed = null);
      }
      try {
        value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
      } catch {
        value = null;
      }
    }
    return (this.parsed = isDocument(value) ? value : null);
  }

  /** Whether `document()` (non-null) matches `filter`, evaluated once per distinct filter per message. */
  matches(filter: CompiledFilter): boolean {
    const tested = (this.filtersTested ??= []);
    const results = (this.filterResults ??= []);
    for (let i = 0; i < tested.length; i++) if (tested[i] === filter) return results[i]!;
    const result = filter.test(this.document());
    // A message rarely meets more than a few distinct filters; past 16 just evaluate.
    if (tested.length < 16) {
      tested.push(filter);
      results.push(result);
    }
    return result;
  }

  /** The body of this message projected by `select` (document() must be non-null), encoded once per encoding. */
  projectedBody(select: CompiledSelect, encoding: Encoding): Buffer {
    // Subscribers of a plan mostly share one projection: check the last one before the map.
    let bodies = this.lastSelect === select ? this.lastBodies : undefined;
    if (bodies === undefined) {
      this.projected ??= new Map();
      bodies = this.projected.get(select);
      if (bodies === undefined) {
        bodies = [null, null];
        this.projected.set(select, bodies);
      }
      this.lastSelect = select;
      this.lastBodies = bodies;
    }
    const slot = encoding === 'json' ? 0 : 1;
    let body = bodies[slot];
    if (body === null) {
      this.stats.projectionsEncoded++;
      body = encodeDeliveryBody(encoding, this.topic, Payload.ofValue(select.project(this.document()!)));
      bodies[slot] = body;
    }
    return body;
  }
}
