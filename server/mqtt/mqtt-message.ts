// What the MQTT adapter keeps with a message (Message.adapterState): how it was published (QoS,
// retain flag, v5 properties, the publishing session), and what MQTT receivers share of it,
// derived once per message: the payload as MQTT carries it, each projection's payload, the
// PUBLISHes receivers without subscription ids share, and the publisher's own PUBLISH bytes.
// An MQTT publish (or will, or retained message) attaches one when it creates the message; a
// native publish gets one on its first delivery to an MQTT receiver.
import type { CompiledSelect } from '../content/select/index.js';
import type { Message } from '../delivery/message.js';
import type { DeliveredQos, OutgoingPublish } from './outbound.js';
import type { PublishProperties } from './publish-properties.js';

export class MqttMessage {
  /**
   * What of() recognises an MqttMessage by (`#brand in state`, a type-safe check like
   * `instanceof`). V8 compiles it to one map check on the attachment, which the field loads after
   * it then share; `instanceof` walks the prototype chain on every MQTT delivery instead.
   */
  readonly #brand = true;
  /** The payload as MQTT receivers get it (computed once); see payload(). */
  private bytes: Buffer | null = null;
  /** Projection -> its MQTT payload; created on the first projected delivery. */
  private projected: Map<CompiledSelect, Buffer> | null = null;
  /**
   * The PUBLISHes MQTT receivers without subscription ids share, one per variant
   * (outgoing-publish-for.ts): the first in a field (mostly the only one), any others after it.
   */
  private shared: OutgoingPublish | null = null;
  private moreShared: OutgoingPublish[] | null = null;
  /** The publisher's own QoS 0 PUBLISH bytes, when receivers of its flavour can get them unchanged. */
  private forwardBytes: Buffer | null = null;
  private forwardV5 = false;

  private constructor(
    readonly message: Message,
    /** The publishing session (no-local compares it), or null. */
    readonly publisher: object | null,
    /** The QoS it was published with (native publishes count as 0). */
    readonly qos: DeliveredQos,
    /** The retain flag it was published with (kept on delivery for v5 Retain As Published). */
    readonly retain: boolean,
    /** True for a message sent from the retained store to a new subscriber (retain flag 1). */
    readonly fromRetainedStore: boolean,
    /** MQTT 5 properties passed on to MQTT 5 receivers (expiry, user properties, content type, response topic...), or null. */
    readonly properties: PublishProperties | null,
  ) {}

  /** Make `message` an MQTT publish: its attachment, set before the message reaches any receiver. */
  static attach(
    message: Message,
    publisher: object | null,
    qos: DeliveredQos,
    retain: boolean,
    fromRetainedStore: boolean,
    properties: PublishProperties | null,
  ): MqttMessage {
    const state = new MqttMessage(message, publisher, qos, retain, fromRetainedStore, properties);
    message.adapterState = state;
    return state;
  }

  /**
   * The MQTT side of `message`: its attachment, or for a message published otherwise (native: no
   * publisher to compare, QoS 0, not retained) a new one, attached on this first MQTT delivery.
   */
  static of(message: Message): MqttMessage {
    const state = message.adapterState;
    if (state !== null && #brand in state) return state;
    const created = new MqttMessage(message, null, 0, false, false, null);
    // Another adapter's slot is left to it; this delivery then shares nothing.
    if (state === null) message.adapterState = created;
    return created;
  }

  /** The MQTT side of `message` if it has one (an MQTT publish, a will, a retained message), else null. */
  static peek(message: Message): MqttMessage | null {
    const state = message.adapterState;
    return state !== null && #brand in state ? state : null;
  }

  /** Keep the publisher's packet (publish-decoder.ts, forwardableBytes) for plain QoS 0 deliveries. */
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
  payload(): Buffer {
    if (this.bytes !== null) return this.bytes;
    const payload = this.message.payload;
    if (payload.isBytes) {
      const bytes = payload.bytes;
      return (this.bytes = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    return (this.bytes = Buffer.from(JSON.stringify(payload.value) ?? 'null', 'utf8'));
  }

  /** The payload projected by `select` (the message's document() must be non-null): JSON text, once per projection. */
  projectedPayload(select: CompiledSelect): Buffer {
    this.projected ??= new Map();
    let bytes = this.projected.get(select);
    if (bytes === undefined) {
      bytes = Buffer.from(JSON.stringify(this.message.projectedValue(select)), 'utf8');
      this.projected.set(select, bytes);
    }
    return bytes;
  }

  /** The shared PUBLISH of this variant (see `shared`), or null when there is none yet. */
  sharedPublish(qos: DeliveredQos, retain: boolean, payload: Buffer): OutgoingPublish | null {
    const first = this.shared;
    if (first === null) return null;
    if (first.qos === qos && first.retain === retain && first.payload === payload) return first;
    const more = this.moreShared;
    if (more === null) return null;
    for (let i = 0; i < more.length; i++) {
      const out = more[i]!;
      if (out.qos === qos && out.retain === retain && out.payload === payload) return out;
    }
    return null;
  }

  /** Share `out`, a variant sharedPublish did not find, with the receivers after this one. */
  share(out: OutgoingPublish): void {
    if (this.shared === null) this.shared = out;
    else (this.moreShared ??= []).push(out);
  }
}
