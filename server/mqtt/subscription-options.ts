// What an MQTT subscription was granted with: kept in SubscriptionEntry.options, read at delivery
// (outgoing-publish-for.ts), and kept across connections with a persistent session.

/** Per-subscription options, kept in SubscriptionEntry.options. */
export interface MqttSubscriptionOptions {
  /** Granted QoS. */
  readonly qos: 0 | 1 | 2;
  /** v5 No Local: never receive one's own publishes on this subscription. */
  readonly noLocal: boolean;
  /** v5 Subscription Identifier, or null. */
  readonly subscriptionId: number | null;
  /** v5 Retain As Published: live deliveries keep the publish's retain flag (else it is 0). */
  readonly retainAsPublished: boolean;
}

/** v5 Retain Handling: 0 send retained messages on subscribe, 1 only for a new subscription, 2 never (v3.1.1: 0). */
export type RetainHandling = 0 | 1 | 2;
