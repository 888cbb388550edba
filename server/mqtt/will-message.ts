// The will message of a connection (CONNECT's Will flag): published when the connection ends
// other than by a DISCONNECT with reason 0x00 [MQTT-3.1.2-8], as the user, so subject to their
// write entitlement and write filter like any PUBLISH. v5 Will Delay Interval: see DelayedWills.
// v5 will properties (Message Expiry Interval, counted from the publication; User Properties;
// Payload Format Indicator, Content Type, Response Topic, Correlation Data) go with it.
import { VhostNamespace } from '../vhosts/vhost-namespace.js';
import type { IConnectPacket } from 'mqtt-packet';
import { Message } from '../delivery/message.js';
import { Payload } from '../delivery/payload.js';
import { isPromiseLike, type Decision } from '../security/decision.js';
import { routeAcceptedPublish } from './publish-handler.js';
import { PublishProperties, type SourceProperties } from './publish-properties.js';
import type { WillPublisher } from './client-session.js';
import { MqttMessage } from './mqtt-message.js';

type ConnectWill = NonNullable<IConnectPacket['will']>;

export class WillMessage {
  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    readonly qos: 0 | 1 | 2,
    readonly retain: boolean,
    /** v5 Will Delay Interval in seconds (0 for v3.1.1). */
    readonly delaySec: number,
    /** v5 will properties sent with the PUBLISH, or undefined. */
    readonly properties: SourceProperties | undefined = undefined,
  ) {}

  static of(will: ConnectWill): WillMessage {
    const payload = typeof will.payload === 'string' ? Buffer.from(will.payload, 'utf8') : Buffer.from(will.payload);
    return new WillMessage(
      will.topic,
      payload,
      will.qos ?? 0,
      will.retain === true,
      will.properties?.willDelayInterval ?? 0,
      will.properties,
    );
  }
}

/**
 * Publish `will` as the session's user through its PublishGate: the write entitlement, the write
 * filter, then the router. It does not count toward the connection's topic rate, which has ended.
 */
export function publishWill(session: WillPublisher, will: WillMessage): void {
  // The will's topic is internal (its vhost's namespace); the entitlement is asked about the client's.
  const decision = session.publishGate.decide(session.user!, VhostNamespace.clientTopic(will.topic));
  if (isPromiseLike(decision)) {
    decision
      .then((d) => finishWill(session, will, d))
      .catch((err: unknown) => session.ctx.log.error({ err, session: session.id }, 'publishing a will message failed'));
    return;
  }
  finishWill(session, will, decision);
}

function finishWill(session: WillPublisher, will: WillMessage, decision: Decision): void {
  const { ctx } = session;
  const stats = ctx.stats;
  // Spec 3.1.3.2.4: the will's Message Expiry Interval counts from its publication.
  const properties = PublishProperties.of(will.properties, ctx.timers.now());
  const message = new Message(will.topic, Payload.ofBytes(will.payload), stats);
  const refused = session.publishGate.authorize(decision, message, 'exempt', session.onInvalidRules);
  if (refused !== null) {
    const why =
      refused.reason === 'not-entitled' || refused.reason === 'entitlement-unavailable'
        ? 'not entitled to write the topic'
        : 'refused by the write filter';
    ctx.log.info(
      { session: session.id, user: session.user, topic: will.topic, reason: refused.detail },
      `will message not published: ${why}`,
    );
    return;
  }
  stats.mqttWillsPublished++;
  routeAcceptedPublish(
    ctx,
    MqttMessage.attach(message, session, will.qos, will.retain, false, properties),
    will.payload,
  );
}
