// SUBSCRIBE and UNSUBSCRIBE, through the SubscribeGate (the same pipeline as the native
// protocol's): a literal topic is entitled now, a wildcard filter per concrete topic at delivery
// by the DeliveryPlan. Granted QoS is the requested one. After the SUBACK, matching retained
// messages are sent (v5 Retain Handling decides whether). `$share/{name}/{filter}` joins a shared
// group (SharedGroups), for v5 and v3.1.1 alike; shared subscriptions get no retained messages [4.8.2].
import type { ISubscribePacket, ISubscription, IUnsubscribePacket } from 'mqtt-packet';
import { isPromiseLike, type Decision } from '../security/decision.js';
import type { SubscriptionPattern } from '../topics/index.js';
import type { MqttSubscriptionOptions, RetainHandling } from './subscription-options.js';
import type { SubscribingClient } from './client-session.js';
import { ReasonCodes, SUBACK_FAILURE_V3, problem } from './reason-codes.js';
import { mqttSubscribeRefusal } from './mqtt-refusals.js';
import { GrantedSubscription, sendRetained } from './retained-delivery.js';
import { isSharedFilter, namespacedShare, parseSharedFilter, type SharedFilter } from './shared-subscription-filter.js';

/** One SUBSCRIBE packet's requests and, per request, what was granted (null: refused). */
class SubscribeRequest {
  readonly granted: (GrantedSubscription | null)[] = [];
  constructor(
    readonly messageId: number,
    readonly subscriptionId: number | null,
  ) {}
}

export function handleSubscribe(session: SubscribingClient, packet: ISubscribePacket): void | Promise<void> {
  // [MQTT-3.8.3-3] at least one filter.
  if (packet.subscriptions === undefined || packet.subscriptions.length === 0)
    return session.protocolViolation(ReasonCodes.PROTOCOL_ERROR, 'SUBSCRIBE without filters');
  const id = packet.properties?.subscriptionIdentifier;
  const request = new SubscribeRequest(packet.messageId!, typeof id === 'number' ? id : null);
  const codes: (number | Promise<number>)[] = [];
  let waiting = false;
  for (let i = 0; i < packet.subscriptions.length; i++) {
    request.granted.push(null);
    const code = subscribeOne(session, request, i, packet.subscriptions[i]!);
    if (isPromiseLike(code)) waiting = true;
    codes.push(code);
  }
  if (!waiting) return finish(session, request, codes as number[]);
  return Promise.all(codes).then((settled) => finish(session, request, settled));
}

function subscribeOne(
  session: SubscribingClient,
  request: SubscribeRequest,
  index: number,
  wanted: ISubscription,
): number | Promise<number> {
  const v5 = session.isV5;
  const filter = wanted.topic;
  let shared: SharedFilter | null = null;
  if (isSharedFilter(filter)) {
    shared = parseSharedFilter(filter);
    if (shared === null) return v5 ? ReasonCodes.TOPIC_FILTER_INVALID : SUBACK_FAILURE_V3;
    // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
    if (v5 && wanted.nl === true) {
      session.protocolViolation(ReasonCodes.PROTOCOL_ERROR, 'No Local on a shared subscription');
      return ReasonCodes.PROTOCOL_ERROR;
    }
  }
  const gate = session.gates.subscribe;
  const parsed = gate.parse(session.user!, shared === null ? filter : shared.filter, undefined);
  if (parsed.kind === 'refused') return v5 ? mqttSubscribeRefusal(parsed) : SUBACK_FAILURE_V3;
  const pattern = parsed.pattern;
  // A filter this session already has is replaced: it needs no room.
  if (!session.subscriptions.has(filter) && !session.sharedSubscriptions.has(filter)) {
    const full = gate.checkRoom(
      session.subscriptions.size + session.sharedSubscriptions.size,
      session.maxSubscriptions,
    );
    if (full !== null) return v5 ? mqttSubscribeRefusal(full) : SUBACK_FAILURE_V3;
  }
  const options: MqttSubscriptionOptions = {
    qos: wanted.qos,
    noLocal: v5 && wanted.nl === true,
    subscriptionId: request.subscriptionId,
    retainAsPublished: v5 && wanted.rap === true,
  };
  const handling: RetainHandling = v5 && (wanted.rh === 1 || wanted.rh === 2) ? wanted.rh : 0;
  const wish = new SubscriptionWish(filter, shared, pattern, options, handling);
  const decision = gate.decide(session.user!, pattern);
  if (isPromiseLike(decision)) return decision.then((d) => finishSubscribe(session, request, index, wish, d));
  return finishSubscribe(session, request, index, wish, decision);
}

/** One filter of a SUBSCRIBE, parsed and checked, before its read entitlement. */
class SubscriptionWish {
  constructor(
    readonly filter: string,
    readonly shared: SharedFilter | null,
    readonly pattern: SubscriptionPattern,
    readonly options: MqttSubscriptionOptions,
    readonly handling: RetainHandling,
  ) {}
}

function finishSubscribe(
  session: SubscribingClient,
  request: SubscribeRequest,
  index: number,
  wish: SubscriptionWish,
  decision: Decision,
): number {
  const refused = session.gates.subscribe.conclude(decision, wish.pattern, session.user ?? '', 'mqtt');
  if (refused !== null) return session.isV5 ? mqttSubscribeRefusal(refused) : SUBACK_FAILURE_V3;
  return add(session, request, index, wish);
}

/** [MQTT-3.8.4-3] a subscription with the same filter replaces the old one. */
function add(session: SubscribingClient, request: SubscribeRequest, index: number, wish: SubscriptionWish): number {
  if (session.state !== 'active') return ReasonCodes.UNSPECIFIED_ERROR;
  const { filter, options, handling, shared } = wish;
  // Entitled as the client wrote it; made in the client's vhost namespace (docs/vhosts.md#isolation).
  const namespace = session.namespace;
  const pattern = namespace.pattern(wish.pattern);
  // Join (or rejoin, replacing the old options) the shared group; no retained messages [MQTT 4.8.2].
  if (shared !== null) {
    session.joinShared(filter, namespacedShare(namespace, shared), pattern, options);
    return options.qos;
  }
  const existed = session.subscriptions.has(filter);
  const entry = session.subscribe(filter, pattern, options);
  request.granted[index] = new GrantedSubscription(filter, entry, pattern, handling, existed);
  return options.qos;
}

/** SUBACK, then the retained messages of each granted subscription [MQTT-3.3.1-9]. */
function finish(session: SubscribingClient, request: SubscribeRequest, codes: number[]): void {
  if (session.state !== 'active') return;
  // One Reason String per SUBACK: the first refusal's, when the client wants problem information.
  const refused = codes.find((code) => code >= ReasonCodes.UNSPECIFIED_ERROR);
  const reason =
    session.isV5 && refused !== undefined
      ? problem(session, refused, refused === ReasonCodes.QUOTA_EXCEEDED ? 'too many subscriptions' : undefined)
      : {};
  session.connection.send({ cmd: 'suback', messageId: request.messageId, granted: codes, ...reason });
  for (const granted of request.granted) if (granted !== null) sendRetained(session, granted);
}

export function handleUnsubscribe(session: SubscribingClient, packet: IUnsubscribePacket): void {
  if (packet.unsubscriptions === undefined || packet.unsubscriptions.length === 0)
    return session.protocolViolation(ReasonCodes.PROTOCOL_ERROR, 'UNSUBSCRIBE without filters');
  const codes: number[] = [];
  for (const filter of packet.unsubscriptions)
    codes.push(session.unsubscribe(filter) ? ReasonCodes.SUCCESS : ReasonCodes.NO_SUBSCRIPTION_EXISTED);
  if (session.isV5) session.connection.send({ cmd: 'unsuback', messageId: packet.messageId!, granted: codes });
  else session.connection.send({ cmd: 'unsuback', messageId: packet.messageId!, granted: [] });
}
