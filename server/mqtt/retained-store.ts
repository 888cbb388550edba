// Retained messages: the last retained PUBLISH per topic, in memory, bounded by count and bytes
// (config mqtt.retained), and written through to the broker's store (persistence), from which
// restore() fills it at start-up. The bytes are the whole stored message: topic, v5 properties, payload and
// a per-entry overhead (held-bytes.ts), so user properties or long topics count as payload does.
// A retained publish with an empty payload clears the topic. What does not fit is not stored (the
// publish is still delivered live), counted and logged.
import { PublishProperties } from './publish-properties.js';
import type { Logger } from 'pino';
import type { MqttConfig } from '../config/index.js';
import { Message } from '../delivery/message.js';
import { Payload } from '../delivery/payload.js';
import type { BrokerStats } from '../stats.js';
import type { SubscriptionPattern } from '../topics/index.js';
import { wildcardMatches } from '../topics/wildcard-match.js';
import { messageHeldBytes, RETAINED_MESSAGE_OVERHEAD_BYTES } from './held-bytes.js';
import { detached } from './detached-bytes.js';
import type { Timers } from '../timers.js';
import { MqttMessage } from './mqtt-message.js';
import type { BrokerStore } from '../store/store.js';
import type { RetainedRecord } from '../store/records.js';
import { propertiesOf, propertiesRecord } from './persisted-records.js';

export type RetainedLimits = MqttConfig['retained'];

export class RetainedStore {
  /** Topic -> the stored message (publisher null, retain set, fromRetainedStore set). */
  private readonly messages = new Map<string, MqttMessage>();
  private bytes = 0;
  /** Set while the bound refuses messages, so the warning is logged once per episode. */
  private full = false;
  /**
   * While the store's retained messages are read in the background (beginRestore to endRestore):
   * the topics retained or cleared live meanwhile, which the older stored ones do not override.
   */
  private restoring: Set<string> | null = null;
  /** Retained deliveries waiting for the restore (afterRestore). */
  private waiting: (() => void)[] = [];

  constructor(
    private readonly limits: RetainedLimits,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
    /** The clock Message Expiry is checked against. */
    private readonly timers: Timers,
    /** Where every change is written through. */
    private readonly store: BrokerStore,
  ) {}

  get size(): number {
    return this.messages.size;
  }

  /** Bytes held by the stored messages, as mqtt.retained.maxBytes counts them. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** A retained PUBLISH: store or replace, or clear on an empty payload. Returns false when the bound refused it. */
  retain(topic: string, payload: Buffer, qos: 0 | 1 | 2, properties: PublishProperties | null = null): boolean {
    this.restoring?.add(topic);
    if (payload.length === 0) {
      // [MQTT-3.3.1-6] an empty retained payload removes the retained message.
      if (this.drop(topic)) this.store.removeRetained(topic);
      return true;
    }
    // A copy: the parsed packet's buffer may be a view of a larger network chunk.
    const kept = this.keep(topic, Buffer.from(payload), qos, detachedProperties(properties));
    if (kept === null) return false;
    this.store.putRetained({ topic, payload: kept.payload(), qos, properties: propertiesRecord(kept.properties) });
    return true;
  }

  /**
   * A retained publish made on another node of the cluster, which wrote it to the shared store:
   * kept (or cleared) here too, under this node's bounds, without writing the store again.
   */
  replicate(topic: string, payload: Buffer, qos: 0 | 1 | 2, properties: PublishProperties | null): void {
    this.restoring?.add(topic);
    if (payload.length === 0) this.drop(topic);
    else this.keep(topic, payload, qos, properties);
  }

  /** Forget `topic`'s message from memory; false when there was none. */
  private drop(topic: string): boolean {
    const old = this.messages.get(topic);
    if (old === undefined) return false;
    this.messages.delete(topic);
    this.bytes -= storedBytes(old);
    return true;
  }

  /**
   * At start-up: the messages the store kept, under today's bounds. Expired ones, and those over
   * the bounds (which may have shrunk), are removed from the store and counted.
   */
  restore(records: readonly RetainedRecord[]): number {
    const now = this.timers.now();
    let kept = 0;
    for (const record of records) {
      // Retained or cleared since the broker started: the live one is newer.
      if (this.restoring?.has(record.topic) === true) continue;
      const properties = propertiesOf(record.properties);
      if (properties !== null && properties.isExpired(now)) {
        this.stats.mqttMessagesExpired++;
        this.store.removeRetained(record.topic);
        continue;
      }
      if (this.keep(record.topic, record.payload, record.qos, properties) === null) {
        this.stats.storeRecordsDropped++;
        this.store.removeRetained(record.topic);
      } else kept++;
    }
    return kept;
  }

  /** The store's retained messages are read in the background from now until endRestore(). */
  beginRestore(): void {
    this.restoring = new Set();
  }

  get isRestoring(): boolean {
    return this.restoring !== null;
  }

  /** Run `deliver` once the restore has ended (at once when none is under way): a subscription's retained messages. */
  afterRestore(deliver: () => void): void {
    if (this.restoring === null) deliver();
    else this.waiting.push(deliver);
  }

  /** The restore ended (or stopped): the retained deliveries that waited for it go out. */
  endRestore(): void {
    this.restoring = null;
    const waiting = this.waiting;
    this.waiting = [];
    for (const deliver of waiting) {
      try {
        deliver();
      } catch (err) {
        this.log.error({ err }, 'sending retained messages after the restore failed');
      }
    }
  }

  /** Store or replace `topic`'s message within the bounds; null (counted, logged once) when they refuse it. */
  private keep(
    topic: string,
    payload: Buffer,
    qos: 0 | 1 | 2,
    properties: PublishProperties | null,
  ): MqttMessage | null {
    const old = this.messages.get(topic);
    const oldBytes = old === undefined ? 0 : storedBytes(old);
    const count = this.messages.size + (old === undefined ? 1 : 0);
    const bytes =
      this.bytes - oldBytes + messageHeldBytes(topic, payload, properties, null, RETAINED_MESSAGE_OVERHEAD_BYTES);
    if (count > this.limits.maxMessages || bytes > this.limits.maxBytes) {
      this.stats.mqttRetainedRefused++;
      if (!this.full) {
        this.full = true;
        this.log.warn(
          { topic, retained: this.messages.size, bytes: this.bytes, limits: this.limits },
          'retained message store full: retained publishes are delivered but not stored',
        );
      }
      return null;
    }
    this.full = false;
    const message = new Message(topic, Payload.ofBytes(payload), this.stats);
    const stored = MqttMessage.attach(message, null, qos, true, true, properties);
    this.messages.set(topic, stored);
    this.bytes = bytes;
    return stored;
  }

  /** The retained messages a subscription with `pattern` matches. */
  matching(pattern: SubscriptionPattern): Message[] {
    const found: Message[] = [];
    const now = this.timers.now();
    if (pattern.kind === 'exact') {
      const stored = this.messages.get(pattern.topic);
      if (stored !== undefined && this.live(stored, now)) found.push(stored.message);
      return found;
    }
    if (pattern.kind !== 'wildcard') return found;
    for (const [topic, stored] of this.messages)
      if (wildcardMatches(pattern.levels, topic) && this.live(stored, now)) found.push(stored.message);
    return found;
  }

  /** A retained message past its v5 Message Expiry Interval is removed, not sent [MQTT-3.3.2-5]. */
  private live(stored: MqttMessage, now: number): boolean {
    if (stored.properties === null || !stored.properties.isExpired(now)) return true;
    this.messages.delete(stored.message.topic);
    this.bytes -= storedBytes(stored);
    this.stats.mqttMessagesExpired++;
    this.store.removeRetained(stored.message.topic);
    return false;
  }
}

/** `properties`, with a copy of its Correlation Data if that is a view of a network chunk (see detached()). */
function detachedProperties(properties: PublishProperties | null): PublishProperties | null {
  const data = properties?.passed?.correlationData;
  if (properties === null || data === undefined || detached(data) === data) return properties;
  return new PublishProperties(properties.expiresAt, properties.userProperties, {
    ...properties.passed,
    correlationData: Buffer.from(data),
  });
}

/** What a stored message counts against maxBytes (the same sum as when it was stored: its parts are immutable). */
function storedBytes(stored: MqttMessage): number {
  return messageHeldBytes(
    stored.message.topic,
    stored.payload(),
    stored.properties,
    null,
    RETAINED_MESSAGE_OVERHEAD_BYTES,
  );
}
