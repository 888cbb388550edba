// One PUBLISH per message per client, whatever number of its subscriptions match (spec 3.3.4):
// at the highest granted QoS among them, with all their v5 subscription identifiers, and the
// retain flag (set for the retained store's messages, kept live under Retain As Published).
import type { CompiledSelect } from '../content/select/index.js';
import type { Message } from '../delivery/message.js';
import type { SubscriptionEntry } from '../delivery/subscription-entry.js';
import type { MqttSubscriptionOptions } from './subscription-options.js';
import { MqttMessage } from './mqtt-message.js';
import { OutgoingPublish, type DeliveredQos } from './outbound.js';

/** The PUBLISH for `receiver`, or null when no entry wants it (No Local). */
export function outgoingPublishFor(
  message: Message,
  entries: readonly SubscriptionEntry[],
  projection: CompiledSelect | null,
  receiver: object,
): OutgoingPublish | null {
  const mqtt = MqttMessage.of(message);
  let qos: DeliveredQos | -1 = -1;
  let ids: number[] | null = null;
  // [MQTT-3.3.1-9] a message from the retained store has retain 1; live ones keep it only under Retain As Published.
  let retain = mqtt.fromRetainedStore;
  for (let i = 0; i < entries.length; i++) {
    const options = entries[i]!.options as MqttSubscriptionOptions;
    if (options.noLocal && mqtt.publisher === receiver) continue;
    if (options.qos > qos) qos = options.qos;
    if (options.subscriptionId !== null) (ids ??= []).push(options.subscriptionId);
    if (options.retainAsPublished && mqtt.retain) retain = true;
  }
  if (qos === -1) return null;
  const effective = mqtt.qos < qos ? mqtt.qos : qos;
  const payload = projection === null ? mqtt.payload() : mqtt.projectedPayload(projection);
  if (ids !== null) return new OutgoingPublish(message.clientTopic, payload, effective, ids, retain, mqtt.properties);
  // Receivers without subscription ids share one OutgoingPublish per variant (and its encoded packet).
  const shared = mqtt.sharedPublish(effective, retain, payload);
  if (shared !== null) return shared;
  const out = new OutgoingPublish(message.clientTopic, payload, effective, null, retain, mqtt.properties);
  if (effective === 0 && !retain && projection === null)
    out.forwardFrom(mqtt.forwardedPublish(false), mqtt.forwardedPublish(true));
  mqtt.share(out);
  return out;
}
