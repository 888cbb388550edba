// SUBSCRIBE and UNSUBSCRIBE. Filters follow the MQTT rules (parseSubscriptionPattern); a literal
// topic is entitled now (seed 003), a wildcard filter per concrete topic at delivery by the
// DeliveryPlan. Granted QoS is at most 1 in this increment.
import type { ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet';
import { SubscriptionEntry } from '../delivery/subscription-entry.js';
import { isPromiseLike, type Decision } from '../security/decision.js';
import { parseSubscriptionPattern, TopicError, type SubscriptionPattern } from '../topics/index.js';
import type { MqttSubscriptionOptions } from './mqtt-context.js';
import type { MqttSession } from './mqtt-session.js';
import { ReasonCodes, SUBACK_FAILURE_V3 } from './reason-codes.js';

/** The most QoS granted to a subscription in this increment (outbound QoS 2 is not implemented). */
const MAX_GRANTED_QOS = 1;

export function handleSubscribe(session: MqttSession, packet: ISubscribePacket): void | Promise<void> {
  // [MQTT-3.8.3-3] at least one filter.
  if (packet.subscriptions === undefined || packet.subscriptions.length === 0) return session.protocolViolation(ReasonCodes.PROTOCOL_ERROR, 'SUBSCRIBE without filters');
  const subscriptionId = packet.properties?.subscriptionIdentifier ?? null;
  const codes: (number | Promise<number>)[] = [];
  let waiting = false;
  for (const request of packet.subscriptions) {
    const code = subscribeOne(session, request.topic, request.qos, request.nl === true, typeof subscriptionId === 'number' ? subscriptionId : null);
    if (isPromiseLike(code)) waiting = true;
    codes.push(code);
  }
  if (!waiting) return sendSuback(session, packet.messageId!, codes as number[]);
  return Promise.all(codes).then((settled) => sendSuback(session, packet.messageId!, settled));
}

function subscribeOne(session: MqttSession, filter: string, requestedQos: number, noLocal: boolean, subscriptionId: number | null): number | Promise<number> {
  const v5 = session.isV5;
  if (filter.startsWith('$share/')) return v5 ? ReasonCodes.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED : SUBACK_FAILURE_V3;
  let pattern: SubscriptionPattern;
  try {
    pattern = parseSubscriptionPattern({ topic: filter }, session.ctx.topicLimits);
  } catch (err) {
    if (!(err instanceof TopicError)) throw err;
    return v5 ? ReasonCodes.TOPIC_FILTER_INVALID : SUBACK_FAILURE_V3;
  }
  if (!session.subscriptions.has(filter) && session.subscriptions.size >= session.options.maxSubscriptionsPerConnection) {
    return v5 ? ReasonCodes.QUOTA_EXCEEDED : SUBACK_FAILURE_V3;
  }
  const options: MqttSubscriptionOptions = { qos: requestedQos >= MAX_GRANTED_QOS ? MAX_GRANTED_QOS : 0, noLocal, subscriptionId };
  if (pattern.kind !== 'exact') return add(session, filter, pattern, options);
  const decision = session.security.entitlements.check(session.user!, 'read', 'topic', pattern.topic);
  if (isPromiseLike(decision)) return decision.then((d) => finishExact(session, filter, pattern, options, d));
  return finishExact(session, filter, pattern, options, decision);
}

function finishExact(session: MqttSession, filter: string, pattern: SubscriptionPattern, options: MqttSubscriptionOptions, decision: Decision): number {
  if (!decision.allow) {
    session.ctx.stats.subscriptionsDenied++;
    if (!session.isV5) return SUBACK_FAILURE_V3;
    return decision.failed ? ReasonCodes.UNSPECIFIED_ERROR : ReasonCodes.NOT_AUTHORIZED;
  }
  return add(session, filter, pattern, options);
}

/** [MQTT-3.8.4-3] a subscription with the same filter replaces the old one. */
function add(session: MqttSession, filter: string, pattern: SubscriptionPattern, options: MqttSubscriptionOptions): number {
  if (session.state !== 'active') return ReasonCodes.UNSPECIFIED_ERROR;
  const engine = session.ctx.engine;
  const old = session.subscriptions.get(filter);
  if (old !== undefined) engine.remove(old);
  session.subscriptions.set(filter, engine.add(pattern, new SubscriptionEntry(session, session.nextSid++, null, null, options)));
  return options.qos;
}

function sendSuback(session: MqttSession, messageId: number, granted: number[]): void {
  if (session.state !== 'active') return;
  session.connection.send({ cmd: 'suback', messageId, granted });
}

export function handleUnsubscribe(session: MqttSession, packet: IUnsubscribePacket): void {
  if (packet.unsubscriptions === undefined || packet.unsubscriptions.length === 0) return session.protocolViolation(ReasonCodes.PROTOCOL_ERROR, 'UNSUBSCRIBE without filters');
  const codes: number[] = [];
  for (const filter of packet.unsubscriptions) {
    const handle = session.subscriptions.get(filter);
    if (handle === undefined) codes.push(ReasonCodes.NO_SUBSCRIPTION_EXISTED);
    else {
      session.subscriptions.delete(filter);
      session.ctx.engine.remove(handle);
      codes.push(ReasonCodes.SUCCESS);
    }
  }
  if (session.isV5) session.connection.send({ cmd: 'unsuback', messageId: packet.messageId!, granted: codes });
  else session.connection.send({ cmd: 'unsuback', messageId: packet.messageId!, granted: [] });
}
