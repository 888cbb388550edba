// Retained messages: the last retained PUBLISH per topic, in memory, bounded by count and bytes
// (config mqtt.retained). The bytes are the whole stored message: topic, v5 properties, payload and
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

export type RetainedLimits = MqttConfig['retained'];

export class RetainedStore {
  /** Topic -> the stored message (publisher null, retain set, fromRetainedStore set). */
  private readonly messages = new Map<string, MqttMessage>();
  private bytes = 0;
  /** Set while the bound refuses messages, so the warning is logged once per episode. */
  private full = false;

  constructor(
    private readonly limits: RetainedLimits,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
    /** The clock Message Expiry is checked against. */
    private readonly timers: Timers,
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
    const old = this.messages.get(topic);
    const oldBytes = old === undefined ? 0 : storedBytes(old);
    if (payload.length === 0) {
      // [MQTT-3.3.1-6] an empty retained payload removes the retained message.
      if (old !== undefined) {
        this.messages.delete(topic);
        this.bytes -= oldBytes;
      }
      return true;
    }
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
      return false;
    }
    this.full = false;
    // A copy: the parsed packet's buffer may be a view of a larger network chunk.
    const message = new Message(topic, Payload.ofBytes(Buffer.from(payload)), this.stats);
    this.messages.set(topic, MqttMessage.attach(message, null, qos, true, true, detachedProperties(properties)));
    this.bytes = bytes;
    return true;
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
