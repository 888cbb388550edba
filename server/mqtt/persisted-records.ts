// The MQTT adapter's objects as store records (server/store/records.ts) and back: retained
// messages, the messages a kept session holds, its subscriptions, and delayed wills.
import type { UserProperties } from 'mqtt-packet';
import type { PropertiesRecord, QueuedRecord, SubscriptionRecord, WillRecord } from '../store/records.js';
import { parseSubscriptionPattern, type SubscriptionPattern, type TopicLimits } from '../topics/index.js';
import { InflightPublish, OutgoingPublish } from './outbound.js';
import { PublishProperties, passedOf, type SourceProperties } from './publish-properties.js';
import { parseSharedFilter, isSharedFilter, namespacedShare } from './shared-subscription-filter.js';
import { VhostNamespace } from '../vhosts/vhost-namespace.js';
import { StoredSubscription } from './stored-session.js';
import type { MqttSubscriptionOptions } from './subscription-options.js';
import { WillMessage } from './will-message.js';

export function propertiesRecord(properties: PublishProperties | null): PropertiesRecord | null {
  if (properties === null) return null;
  return {
    expiresAt: properties.expiresAt,
    userProperties: properties.userProperties,
    ...properties.passed,
  };
}

export function propertiesOf(record: PropertiesRecord | null): PublishProperties | null {
  if (record === null) return null;
  const passed = passedOf(record);
  return new PublishProperties(record.expiresAt, (record.userProperties as UserProperties | null) ?? null, passed);
}

/** A message a kept session holds: queued (packetId null), or in flight under `packetId`. */
export function queuedRecord(
  clientId: string,
  seq: number,
  out: OutgoingPublish,
  packetId: number | null,
  released: boolean,
): QueuedRecord {
  return {
    clientId,
    seq,
    topic: out.topic,
    payload: out.payload,
    qos: out.qos as 1 | 2,
    retain: out.retain,
    subscriptionIds: out.subscriptionIds,
    properties: propertiesRecord(out.properties),
    packetId,
    released,
  };
}

export function outgoingOf(record: QueuedRecord): OutgoingPublish {
  return new OutgoingPublish(
    record.topic,
    record.payload,
    record.qos,
    record.subscriptionIds === null ? null : [...record.subscriptionIds],
    record.retain,
    propertiesOf(record.properties),
  );
}

export function inflightOf(record: QueuedRecord): InflightPublish {
  const entry = new InflightPublish(outgoingOf(record));
  entry.released = record.released;
  return entry;
}

export function subscriptionRecord(clientId: string, subscription: StoredSubscription): SubscriptionRecord {
  const { options } = subscription;
  return {
    clientId,
    filter: subscription.filter,
    qos: options.qos,
    noLocal: options.noLocal,
    retainAsPublished: options.retainAsPublished,
    subscriptionId: options.subscriptionId,
  };
}

/** The subscription a record describes, its filter parsed again (under today's topic limits); a string says why it cannot be. */
export function subscriptionOf(record: SubscriptionRecord, limits: TopicLimits): StoredSubscription | string {
  const options: MqttSubscriptionOptions = {
    qos: record.qos,
    noLocal: record.noLocal,
    subscriptionId: record.subscriptionId,
    retainAsPublished: record.retainAsPublished,
  };
  const shared = isSharedFilter(record.filter) ? parseSharedFilter(record.filter) : null;
  if (isSharedFilter(record.filter) && shared === null) return `invalid shared filter ${JSON.stringify(record.filter)}`;
  let pattern: SubscriptionPattern;
  try {
    pattern = parseSubscriptionPattern({ topic: shared === null ? record.filter : shared.filter }, limits);
  } catch (err) {
    return (err as Error).message;
  }
  // The client id is internal: a session of a vhost gets its subscriptions back in that vhost's namespace.
  const namespace = VhostNamespace.ofInternal(record.clientId);
  return new StoredSubscription(
    record.filter,
    namespace.pattern(pattern),
    options,
    shared === null ? null : namespacedShare(namespace, shared),
  );
}

export function willRecord(
  clientId: string,
  user: string,
  listener: string,
  publishAt: number,
  will: WillMessage,
): WillRecord {
  const props = will.properties;
  let properties: WillRecord['properties'] = null;
  if (props !== undefined) {
    const { payloadFormatIndicator, contentType, responseTopic, correlationData, userProperties } = props;
    properties = {
      userProperties: userProperties ?? null,
      ...(payloadFormatIndicator === undefined ? {} : { payloadFormatIndicator }),
      ...(contentType === undefined ? {} : { contentType }),
      ...(responseTopic === undefined ? {} : { responseTopic }),
      ...(correlationData === undefined ? {} : { correlationData }),
    };
  }
  return {
    clientId,
    user,
    listener,
    publishAt,
    topic: will.topic,
    payload: will.payload,
    qos: will.qos,
    retain: will.retain,
    messageExpirySec: props?.messageExpiryInterval ?? null,
    properties,
  };
}

export function willOf(record: WillRecord): WillMessage {
  let properties: SourceProperties | undefined;
  if (record.properties !== null || record.messageExpirySec !== null) {
    const passed = record.properties === null ? null : passedOf(record.properties);
    properties = {
      ...passed,
      ...(record.properties?.userProperties
        ? { userProperties: record.properties.userProperties as UserProperties }
        : {}),
      ...(record.messageExpirySec === null ? {} : { messageExpiryInterval: record.messageExpirySec }),
    };
  }
  return new WillMessage(record.topic, record.payload, record.qos, record.retain, 0, properties);
}
