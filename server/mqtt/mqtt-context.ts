// What an MQTT session needs from the broker beyond what every session does.
import type { SessionContext } from '../session/session-context.js';
import type { MqttSession } from './mqtt-session.js';

export interface MqttContext extends SessionContext {
  /** Register `session` under `clientId`; returns the session that held it before, if any ([MQTT-3.1.4-2]: it is taken over). */
  claimClientId(clientId: string, session: MqttSession): MqttSession | undefined;
  /** Forget `clientId` if `session` still holds it. */
  releaseClientId(clientId: string, session: MqttSession): void;
}

/** Per-subscription options, kept in SubscriptionEntry.options. */
export interface MqttSubscriptionOptions {
  /** Granted QoS. */
  readonly qos: 0 | 1;
  /** v5 No Local: never receive one's own publishes on this subscription. */
  readonly noLocal: boolean;
  /** v5 Subscription Identifier, or null. */
  readonly subscriptionId: number | null;
}
