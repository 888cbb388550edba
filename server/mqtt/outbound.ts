// PUBLISH packets to one client: packet ids and the in-flight window for QoS 1 and 2 (v5 Receive
// Maximum), the QoS 2 handshake from the sender's side (PUBLISH -> PUBREC -> PUBREL -> PUBCOMP),
// a bounded queue behind the window, the client's Maximum Packet Size (v5), and the send-queue
// bound (slow consumer): what waits behind the window, what is in flight and the socket's unsent
// bytes count together, each held message at its real cost (held-bytes.ts).
import mqttPacket, { type IPublishPacket } from 'mqtt-packet';
import type { BrokerStats } from '../stats.js';
import type { MqttConnection } from './mqtt-connection.js';
import { ReasonCodes } from './reason-codes.js';
import type { PublishProperties } from './publish-properties.js';
import { encodePublish } from './publish-encoder.js';
import { messageHeldBytes } from './held-bytes.js';
import type { Timers } from '../timers.js';
import type { OutboundJournal } from './delivery-journal.js';

export type DeliveredQos = 0 | 1 | 2;

/**
 * One message for a client, with its effective QoS and the v5 subscription identifiers that
 * matched. Immutable: receivers that get the same variant of a message share one (see
 * outgoing-publish-for.ts), and with it the encoded QoS 0 packet.
 */
export class OutgoingPublish {
  private qos0V4: Buffer | null = null;
  private qos0V5: Buffer | null = null;
  /** What holding this message costs (held-bytes.ts), computed on the first hold; -1 until then. */
  private held = -1;

  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    readonly qos: DeliveredQos,
    readonly subscriptionIds: number[] | null,
    /** The PUBLISH's retain flag: set for messages from the retained store, and under v5 Retain As Published. */
    readonly retain: boolean,
    /** v5 Message Expiry, User Properties and the passed-through properties from the publisher, or null. */
    readonly properties: PublishProperties | null = null,
  ) {}

  isExpired(now: number): boolean {
    return this.properties !== null && this.properties.isExpired(now);
  }

  /** The bytes a client's queue or in-flight window holds for this message: topic, payload, properties and overhead. */
  heldBytes(): number {
    if (this.held < 0) this.held = messageHeldBytes(this.topic, this.payload, this.properties, this.subscriptionIds);
    return this.held;
  }

  /** Take the publisher's own packet bytes, per flavour, where they are exactly this PUBLISH (MqttMessage.forwardedPublish). */
  forwardFrom(v4: Buffer | null, v5: Buffer | null): void {
    this.qos0V4 = v4;
    this.qos0V5 = v5;
  }

  /** The QoS 0 PUBLISH, encoded once per protocol flavour (v5 adds properties); not cached while a remaining expiry must be computed per send. */
  qos0Packet(v5: boolean, timers: Timers): Buffer {
    if (!v5) return (this.qos0V4 ??= encodeOutgoing(this, false, undefined, false, timers));
    if (this.properties !== null && this.properties.expiresAt !== null)
      return encodeOutgoing(this, true, undefined, false, timers);
    return (this.qos0V5 ??= encodeOutgoing(this, true, undefined, false, timers));
  }
}

const V5_OPTIONS = { protocolVersion: 5 } as const;

/** The PUBLISH for `out` under `messageId` (undefined at QoS 0); properties only for v5 receivers (the remaining expiry read from `timers`). */
function encodeOutgoing(
  out: OutgoingPublish,
  v5: boolean,
  messageId: number | undefined,
  dup: boolean,
  timers: Timers,
): Buffer {
  if (!v5 || (out.subscriptionIds === null && out.properties === null))
    return encodePublish(out.topic, out.payload, out.qos, messageId, dup, out.retain, v5);
  return mqttPacket.generate(
    {
      cmd: 'publish',
      topic: out.topic,
      payload: out.payload,
      qos: out.qos,
      dup,
      retain: out.retain,
      messageId,
      ...v5Properties(out, timers),
    },
    V5_OPTIONS,
  );
}

/**
 * A QoS 1 or 2 publish sent under a packet id and not yet done: awaiting PUBACK / PUBREC, or (QoS 2,
 * `released`) PUBREC received and PUBREL sent, awaiting PUBCOMP. It holds its id and its window slot
 * (v5 Receive Maximum, spec 4.9) until done.
 */
export class InflightPublish {
  released = false;
  /** Its place in the broker's store while a persistent session's journal writes it (delivery-journal.ts), else -1. */
  place = -1;
  constructor(readonly out: OutgoingPublish) {}
}

/** Shared by every Outbound until its first QoS 1/2 publish (most idle connections never have one); never written. */
const NO_INFLIGHT: ReadonlyMap<number, InflightPublish> = new Map();

export interface SlowConsumerSink {
  onSlowConsumer(heldBytes: number, socketBytes: number): void;
}

export class Outbound {
  /** The client's Receive Maximum (v5), else 65535: QoS 1 and 2 publishes unfinished at once. */
  receiveMaximum = 65_535;
  /** The client's Maximum Packet Size (v5); larger packets are skipped and counted. */
  maxPacketBytes = Number.POSITIVE_INFINITY;
  /** Packet id -> the publish sent under it, in sending order, until done (kept for redelivery). Empty until the first QoS 1/2 publish. */
  private inflight: ReadonlyMap<number, InflightPublish> = NO_INFLIGHT;
  private nextId = 1;
  private queue: OutgoingPublish[] = [];
  /** With a journal: each queued message's place in the broker's store, parallel to `queue`. */
  private queuePlaces: number[] = [];
  private head = 0;
  /** Set for a persistent session: its QoS 1/2 messages are written to the broker's store as they go. */
  journal: OutboundJournal | null = null;
  /** Bytes held for this client by the queue and the in-flight window (OutgoingPublish.heldBytes). */
  private heldBytes = 0;

  constructor(
    private readonly connection: MqttConnection,
    private readonly stats: BrokerStats,
    /** The clock Message Expiry is checked against. */
    private readonly timers: Timers,
    /** Slow-consumer bound: the listener's, narrowed at CONNECT by the user's resource-limit group. */
    public maxSendQueueBytes: number,
    /**
     * Told when the held bytes and the socket's unsent bytes together pass maxSendQueueBytes: the
     * session disconnects the client. `socketBytes` tells whether the client still reads. An
     * object rather than a callback: no closure per connection.
     */
    private readonly owner: SlowConsumerSink,
  ) {}

  /** Publishes written to the connection (resends included), for the admin view. */
  sent = 0;

  /** Bytes held in the queue and the in-flight window (the socket's unsent bytes not included). */
  get held(): number {
    return this.heldBytes;
  }

  send(out: OutgoingPublish): void {
    this.sendPlaced(out, -1);
  }

  /** send(), for a message the journal has at `place` already (-1: not yet). */
  private sendPlaced(out: OutgoingPublish, place: number): void {
    // Only a message with an expiry reads the clock: this runs once per delivery.
    if (out.properties !== null && out.isExpired(this.timers.now())) {
      this.stats.mqttMessagesExpired++;
      if (place >= 0) this.journal?.left(place);
      return;
    }
    if (out.qos === 0 || (this.head === this.queue.length && this.inflight.size < this.receiveMaximum)) {
      this.transmit(out, undefined, place);
      return;
    }
    this.queue.push(out);
    if (this.journal !== null) this.queuePlaces.push(place >= 0 ? place : this.journal.entered(out, null, false));
    this.heldBytes += out.heldBytes();
    this.checkHeld();
  }

  /** The slow-consumer bound, over everything held for this client. */
  private checkHeld(): void {
    const socketBytes = this.connection.bufferedAmount();
    if (this.heldBytes + socketBytes > this.maxSendQueueBytes) this.owner.onSlowConsumer(this.heldBytes, socketBytes);
  }

  /** PUBACK from the client; false when the id was not a QoS 1 publish in flight. */
  acknowledged(id: number): boolean {
    const entry = this.inflight.get(id);
    if (entry === undefined || entry.out.qos !== 1) return false;
    this.finish(id);
    return true;
  }

  /**
   * PUBREC from the client: answer PUBREL and wait for PUBCOMP (spec 4.3.3). A v5 PUBREC with an
   * error reason (>= 0x80) ends the exchange, without PUBREL. An unknown id: PUBREL (v5: 0x92).
   */
  received(id: number, reasonCode: number | undefined, v5: boolean): void {
    const entry = this.inflight.get(id);
    if (entry === undefined || entry.out.qos !== 2) {
      this.connection.send(
        v5
          ? { cmd: 'pubrel', messageId: id, reasonCode: ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND }
          : { cmd: 'pubrel', messageId: id },
      );
      return;
    }
    if (reasonCode !== undefined && reasonCode >= ReasonCodes.UNSPECIFIED_ERROR) {
      this.finish(id);
      return;
    }
    entry.released = true;
    if (this.journal !== null && entry.place >= 0) this.journal.updated(entry.place, entry.out, id, true);
    this.connection.send({ cmd: 'pubrel', messageId: id });
  }

  /** PUBCOMP from the client: the QoS 2 exchange is over; false when the id was not released. */
  completed(id: number): boolean {
    const entry = this.inflight.get(id);
    if (entry === undefined || !entry.released) return false;
    this.finish(id);
    return true;
  }

  private finish(id: number): void {
    this.release(id);
    const now = this.timers.now();
    while (this.head < this.queue.length && this.inflight.size < this.receiveMaximum) {
      const place = this.queuePlaces[this.head] ?? -1;
      const next = this.queue[this.head++]!;
      this.heldBytes -= next.heldBytes();
      // [MQTT-3.3.2-5] a message that expired while queued is not sent.
      if (next.isExpired(now)) {
        this.stats.mqttMessagesExpired++;
        if (place >= 0) this.journal?.left(place);
      } else this.transmit(next, undefined, place);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.queuePlaces = [];
      this.head = 0;
    }
  }

  /** Send `out`; QoS 1/2 under `resendId` (a resumed session's) or a new id. `place`: where the journal already has it. */
  private transmit(out: OutgoingPublish, resendId?: number, place = -1): void {
    const v5 = this.connection.protocolVersion === 5;
    let bytes: Buffer;
    let messageId: number | undefined;
    if (out.qos === 0) bytes = out.qos0Packet(v5, this.timers);
    else {
      messageId = resendId ?? this.allocateId();
      const entry = new InflightPublish(out);
      const journal = this.journal;
      if (journal !== null) {
        if (place < 0) place = journal.entered(out, messageId, false);
        // A resent one is stored with its packet id already.
        else if (resendId === undefined) journal.updated(place, out, messageId, false);
        entry.place = place;
      }
      this.hold(messageId, entry);
      // [MQTT-3.3.1-1] a redelivery of an unacknowledged publish has DUP set.
      bytes = encodeOutgoing(out, v5, messageId, resendId !== undefined, this.timers);
    }
    if (bytes.length > this.maxPacketBytes) {
      // v5 [MQTT-3.1.2-25]: never send a packet larger than the client's maximum; it is discarded.
      this.stats.mqttPacketsTooLargeForClient++;
      if (messageId !== undefined) this.release(messageId);
      return;
    }
    this.connection.sendEncoded(bytes);
    this.sent++;
    this.checkHeld();
  }

  /** Put `entry` in the in-flight window under `id`, counting what it holds. */
  private hold(id: number, entry: InflightPublish): void {
    this.window().set(id, entry);
    this.heldBytes += entry.out.heldBytes();
  }

  /** Take `id` out of the in-flight window. */
  private release(id: number): void {
    const entry = this.inflight.get(id);
    if (entry === undefined) return;
    this.window().delete(id);
    this.heldBytes -= entry.out.heldBytes();
    if (entry.place >= 0) this.journal?.left(entry.place);
  }

  private allocateId(): number {
    // The window is at most 65535, so a free id exists.
    let id = this.nextId;
    while (this.inflight.has(id)) id = id === 65_535 ? 1 : id + 1;
    this.nextId = id === 65_535 ? 1 : id + 1;
    return id;
  }

  /** Everything not yet done, for a session that outlives its connection: in flight (by packet id, in order), then queued. */
  takeUnacknowledged(): {
    inflight: Map<number, InflightPublish>;
    queued: OutgoingPublish[];
    /** With a journal: the queued messages' places in the broker's store (they keep them). */
    queuedPlaces: number[];
  } {
    const inflight = new Map(this.inflight);
    const queued = this.queue.slice(this.head);
    const queuedPlaces = this.queuePlaces.slice(this.head);
    this.clear();
    return { inflight, queued, queuedPlaces };
  }

  /** A persistent session ends with its connection after all: what the journal wrote goes. */
  forgetJournal(): void {
    const journal = this.journal;
    if (journal === null) return;
    for (const entry of this.inflight.values()) if (entry.place >= 0) journal.left(entry.place);
    for (let i = this.head; i < this.queuePlaces.length; i++) journal.left(this.queuePlaces[i]!);
  }

  /**
   * A resumed session [MQTT-4.4.0-1]: in the original order, resend each unacknowledged PUBLISH
   * (same id, DUP) and each PUBREL still awaiting PUBCOMP; then send the queued ones.
   */
  resume(
    inflight: ReadonlyMap<number, InflightPublish>,
    queued: readonly OutgoingPublish[],
    /** With a journal: where the broker's store has each message already (kept there, not written again). */
    inflightPlaceOf: (id: number) => number = () => -1,
    queuedPlaces: readonly number[] = [],
  ): void {
    const journal = this.journal;
    for (const [id, entry] of inflight) {
      const place = journal === null ? -1 : inflightPlaceOf(id);
      if (!entry.released) this.transmit(entry.out, id, place);
      else {
        const again = new InflightPublish(entry.out);
        again.released = true;
        if (journal !== null) again.place = place >= 0 ? place : journal.entered(entry.out, id, true);
        this.hold(id, again);
        this.connection.send({ cmd: 'pubrel', messageId: id });
      }
    }
    for (let i = 0; i < queued.length; i++)
      this.sendPlaced(queued[i]!, journal === null ? -1 : (queuedPlaces[i] ?? -1));
  }

  clear(): void {
    this.queue = [];
    this.queuePlaces = [];
    this.head = 0;
    this.heldBytes = 0;
    this.inflight = NO_INFLIGHT;
  }

  /** The in-flight map, made on the first write. */
  private window(): Map<number, InflightPublish> {
    if (this.inflight === NO_INFLIGHT) this.inflight = new Map();
    return this.inflight as Map<number, InflightPublish>;
  }
}

/**
 * The v5 PUBLISH properties: subscription ids, the remaining Message Expiry Interval
 * [MQTT-3.3.2-6], and the publisher's user properties, Payload Format Indicator, Content Type,
 * Response Topic and Correlation Data, unchanged [MQTT-3.3.2-4, 3.3.2-15, 3.3.2-16, 3.3.2-17, 3.3.2-20].
 */
function v5Properties(out: OutgoingPublish, timers: Timers): Pick<IPublishPacket, 'properties'> {
  const props = out.properties;
  if (out.subscriptionIds === null && props === null) return {};
  const properties: NonNullable<IPublishPacket['properties']> = props?.passed ? { ...props.passed } : {};
  if (out.subscriptionIds !== null) properties.subscriptionIdentifier = out.subscriptionIds;
  if (props !== null && props.expiresAt !== null) properties.messageExpiryInterval = props.remainingSec(timers.now());
  if (props !== null && props.userProperties !== null) properties.userProperties = props.userProperties;
  return { properties };
}
