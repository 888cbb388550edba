// A published message on its way to subscribers. Everything derived from it is computed at most
// once and shared: the wire body per encoding, the parsed document (only if some receiver has a
// filter or select list), each distinct projection's body per encoding, and what a protocol
// adapter derives from it (`adapterState`).
import type { Encoding } from '../../protocol/native.js';
import type { PublishPayload } from '../native/command-parser.js';
import type { CompiledSelect } from '../content/select/index.js';
import type { CompiledFilter } from '../content/filter/index.js';
import type { BrokerStats } from '../stats.js';
import { encodeDeliveryBody } from './delivery-frame.js';
import { SharedFrame } from '../transports/shared-frame.js';
import { Payload } from './payload.js';
import { VhostNamespace } from '../vhosts/vhost-namespace.js';
import { jsonNestsDeeperThan, MAX_PAYLOAD_DEPTH } from '../content/json-depth.js';

const NOT_PARSED = Symbol('not parsed');

/**
 * Distinct frames a message keeps for its receivers to share. A fan-out has one per distinct
 * (prefix, body): receivers with equal subscription ids and rules share one. Past this many, a
 * receiver gets a frame of its own (as before sharing) rather than a longer search.
 */
const MAX_SHARED_FRAMES = 16;
type Document = Record<string, unknown>;

function isDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * What a protocol adapter keeps with a message it delivers: its own encoding of the payload, the
 * packets its receivers share, what its publisher sent with it. The core never reads it; an
 * adapter declares a class of its own and recognises it with a type-safe check, never a cast
 * (the MQTT adapter checks a private brand).
 */
export type MessageAttachment = object;

/** Which `$share` groups, by key, this node delivers a message to (a cluster decides; see Message.sharesHere). */
export interface SharedGroupChoice {
  has(group: string): boolean;
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
  /** Frames built for this message, most recent last; found by prefix and body identity. */
  private frames: SharedFrame[] | null = null;
  /**
   * Derived once per message by the protocol adapter that delivers it (or that published it), and
   * reached here in one field load: no lookup per delivery. Null for a message only native
   * receivers get. One adapter's at a time: another one finding it taken does without.
   */
  adapterState: MessageAttachment | null = null;
  /**
   * In a cluster: the `$share` groups (by key) this node delivers this message to; the others
   * get it on another node (cluster/cluster-router.ts). Null outside a cluster: every group.
   */
  sharesHere: SharedGroupChoice | null = null;

  /**
   * The topic its receivers see: `topic` without its vhost's hidden first level (docs/vhosts.md).
   * The same string as `topic` outside vhosts; computed once per message, never per delivery.
   */
  readonly clientTopic: string;

  constructor(
    /** The internal topic the router routes on: in a vhost, prefixed with its hidden namespace level. */
    readonly topic: string,
    readonly payload: PublishPayload,
    private readonly stats: BrokerStats,
  ) {
    this.clientTopic = VhostNamespace.clientTopic(topic);
  }

  body(encoding: Encoding): Buffer {
    if (encoding === 'msgpack')
      return (this.msgpackBody ??= encodeDeliveryBody('msgpack', this.clientTopic, this.payload));
    return (this.jsonBody ??= encodeDeliveryBody('json', this.clientTopic, this.payload));
  }

  /**
   * The delivery of `body` (body() or projectedBody() of this message) after `prefix` (a plan's
   * cached one), as one frame that every receiver with the same two Buffers shares: the transport
   * builds its framing once, in the SharedFrame, and each receiver writes the same bytes.
   */
  frame(prefix: Buffer, body: Buffer): SharedFrame {
    const frames = (this.frames ??= []);
    for (let i = frames.length - 1; i >= 0; i--) {
      const frame = frames[i]!;
      if (frame.head === prefix && frame.tail === body) return frame;
    }
    const frame = new SharedFrame(prefix, body);
    if (frames.length < MAX_SHARED_FRAMES) frames.push(frame);
    return frame;
  }

  /**
   * Forget the frames: the router calls this once a fan-out is done with them. A message can live
   * on (retained, queued for an MQTT session), and its receivers' sockets hold what they still
   * have to write; keeping up to MAX_SHARED_FRAMES copies of the message here would not be counted
   * anywhere. A later delivery (a held one, a retained one) builds its frame again.
   */
  releaseFrames(): void {
    this.frames = null;
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
      body = encodeDeliveryBody(encoding, this.clientTopic, Payload.ofValue(this.projectedValue(select)));
      bodies[slot] = body;
    }
    return body;
  }

  /**
   * `select` applied to document() (which must be non-null), counted in projectionsEncoded: the
   * caller encodes it once and keeps the bytes (projectedBody per encoding, an adapter its own).
   */
  projectedValue(select: CompiledSelect): unknown {
    this.stats.projectionsEncoded++;
    return select.project(this.document()!);
  }
}
