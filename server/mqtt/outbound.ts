// PUBLISH packets to one client: packet ids and the in-flight window for QoS 1 (v5 Receive
// Maximum), a bounded queue behind the window, the client's Maximum Packet Size (v5), and the
// send-queue bound (slow consumer).
import type { Packet } from 'mqtt-packet';
import type { BrokerStats } from '../stats.js';
import type { MqttConnection } from './mqtt-connection.js';

/** One message for this client, with its effective QoS and the v5 subscription identifiers that matched. */
export class OutgoingPublish {
  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    readonly qos: 0 | 1,
    readonly subscriptionIds: number[] | null,
    /** The PUBLISH's retain flag: set for messages from the retained store, and under v5 Retain As Published. */
    readonly retain: boolean,
  ) {}
}

export class Outbound {
  /** The client's Receive Maximum (v5), else 65535: QoS 1 publishes unacknowledged at once. */
  receiveMaximum = 65_535;
  /** The client's Maximum Packet Size (v5); larger packets are skipped and counted. */
  maxPacketBytes = Number.POSITIVE_INFINITY;
  /** Packet id -> the QoS 1 publish sent under it, until its PUBACK (kept for redelivery). */
  private readonly inflight = new Map<number, OutgoingPublish>();
  private nextId = 1;
  private queue: OutgoingPublish[] = [];
  private head = 0;
  private queuedBytes = 0;

  constructor(
    private readonly connection: MqttConnection,
    private readonly stats: BrokerStats,
    private readonly maxSendQueueBytes: number,
    /** Called when more than maxSendQueueBytes wait: the session disconnects the client. */
    private readonly onSlowConsumer: (queuedBytes: number) => void,
  ) {}

  send(out: OutgoingPublish): void {
    if (out.qos === 0 || (this.head === this.queue.length && this.inflight.size < this.receiveMaximum)) {
      this.transmit(out);
      return;
    }
    this.queue.push(out);
    this.queuedBytes += out.payload.length;
    if (this.queuedBytes + this.connection.bufferedAmount() > this.maxSendQueueBytes) this.onSlowConsumer(this.queuedBytes);
  }

  /** PUBACK from the client; false when the id was not in flight. */
  acknowledged(id: number): boolean {
    if (!this.inflight.delete(id)) return false;
    while (this.head < this.queue.length && this.inflight.size < this.receiveMaximum) {
      const next = this.queue[this.head++]!;
      this.queuedBytes -= next.payload.length;
      this.transmit(next);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return true;
  }

  private transmit(out: OutgoingPublish, resendId?: number): void {
    const messageId = out.qos === 0 ? undefined : (resendId ?? this.allocateId());
    const packet: Packet = {
      cmd: 'publish',
      topic: out.topic,
      payload: out.payload,
      qos: out.qos,
      // [MQTT-3.3.1-1] a redelivery of an unacknowledged publish has DUP set.
      dup: resendId !== undefined,
      retain: out.retain,
      messageId,
      ...(out.subscriptionIds !== null && this.connection.protocolVersion === 5 ? { properties: { subscriptionIdentifier: out.subscriptionIds } } : {}),
    };
    if (messageId !== undefined) this.inflight.set(messageId, out);
    const bytes = this.connection.encode(packet);
    if (bytes.length > this.maxPacketBytes) {
      // v5 [MQTT-3.1.2-25]: never send a packet larger than the client's maximum; it is discarded.
      this.stats.mqttPacketsTooLargeForClient++;
      if (messageId !== undefined) this.inflight.delete(messageId);
      return;
    }
    this.connection.sendEncoded(bytes);
    const buffered = this.connection.bufferedAmount();
    if (buffered > this.maxSendQueueBytes) this.onSlowConsumer(buffered);
  }

  private allocateId(): number {
    // The window is at most 65535, so a free id exists.
    let id = this.nextId;
    while (this.inflight.has(id)) id = id === 65_535 ? 1 : id + 1;
    this.nextId = id === 65_535 ? 1 : id + 1;
    return id;
  }

  /** Everything not yet acknowledged, for a session that outlives its connection: in flight (by packet id), then queued. */
  takeUnacknowledged(): { inflight: Map<number, OutgoingPublish>; queued: OutgoingPublish[] } {
    const inflight = new Map(this.inflight);
    const queued = this.queue.slice(this.head);
    this.clear();
    return { inflight, queued };
  }

  /** A resumed session: resend what was in flight (same ids, DUP), then send the queued ones [MQTT-4.4.0-1]. */
  resume(inflight: ReadonlyMap<number, OutgoingPublish>, queued: readonly OutgoingPublish[]): void {
    for (const [id, out] of inflight) this.transmit(out, id);
    for (let i = 0; i < queued.length; i++) this.send(queued[i]!);
  }

  clear(): void {
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.inflight.clear();
  }
}
