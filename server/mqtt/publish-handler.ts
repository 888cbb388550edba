// PUBLISH from a client (and PUBREL, the second half of QoS 2): the PublishGate (topic, size,
// write entitlement, topic rate, write filter: the same pipeline as the native protocol's), then
// the router. A refused publish is never delivered: v5 QoS 1/2 answer 0x87 in PUBACK/PUBREC; QoS 0 and
// v3.1.1 publishes are dropped and counted, or the client is disconnected when the listener says so.
import type { IPublishPacket, IPubrelPacket } from 'mqtt-packet';
import { Message } from '../delivery/message.js';
import { Payload } from '../delivery/payload.js';
import type { PublishRefusal } from '../gates/publish-gate.js';
import { isPromiseLike, type Decision } from '../security/decision.js';
import type { MqttContext } from './mqtt-context.js';
import type { PublishingClient } from './client-session.js';
import { ReasonCodes, problem } from './reason-codes.js';
import { mqttPublishRefusal } from './mqtt-refusals.js';
import { PublishProperties } from './publish-properties.js';
import { MqttMessage } from './mqtt-message.js';
import { AliasRefusal } from './topic-aliases.js';
import { forwardableBytes } from './publish-decoder.js';
import { detached } from './detached-bytes.js';

export function handlePublish(session: PublishingClient, packet: IPublishPacket): void | Promise<void> {
  const topic = session.topicAliases.resolve(packet);
  if (topic instanceof AliasRefusal) return session.protocolViolation(topic.reasonCode, topic.detail);
  packet.topic = topic;
  if (packet.qos === 2 && session.incomingQos2.has(packet.messageId!)) {
    // A resent QoS 2 publish we already accepted: answer again, do not deliver twice [MQTT-4.3.3-10].
    session.connection.send({ cmd: 'pubrec', messageId: packet.messageId! });
    return;
  }
  if (packet.qos === 2 && session.incomingQos2.size >= session.options.receiveMaximum)
    return receiveMaximumExceeded(session);
  const gate = session.publishGate;
  const invalid = gate.checkTopic(packet.topic);
  if (invalid !== null) return session.protocolViolation(ReasonCodes.TOPIC_NAME_INVALID, invalid.detail);
  const tooLarge = gate.checkSize(packet.payload.length);
  if (tooLarge !== null) return refuse(session, packet, tooLarge);
  const decision = gate.decide(session.user!, packet.topic);
  if (isPromiseLike(decision)) return decision.then((d) => finishPublish(session, packet, d));
  finishPublish(session, packet, decision);
}

/**
 * A new QoS 2 publish while receiveMaximum exchanges already await PUBREL: the client exceeded
 * the Receive Maximum told in CONNACK ([MQTT-3.3.4-7]; the server answers DISCONNECT 0x93, spec
 * 3.3.4). Each unfinished exchange holds its packet id here (and in a kept session), so v3.1.1
 * clients, who cannot be told, are closed past the same number.
 */
function receiveMaximumExceeded(session: PublishingClient): void {
  session.ctx.stats.mqttReceiveMaximumExceeded++;
  session.protocolViolation(
    ReasonCodes.RECEIVE_MAXIMUM_EXCEEDED,
    `more than ${session.options.receiveMaximum} QoS 2 publishes awaiting PUBREL`,
  );
}

function finishPublish(session: PublishingClient, packet: IPublishPacket, decision: Decision): void {
  if (session.state !== 'active') return;
  const stats = session.ctx.stats;
  const raw = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
  // A QoS 1/2 or retained message may be held (in-flight windows, queues, the retained store):
  // then not as a view that keeps the whole socket chunk it arrived in alive. QoS 0 goes out now.
  const payload = packet.qos > 0 || packet.retain ? detached(raw) : raw;
  const properties = session.isV5 ? PublishProperties.of(packet.properties, session.ctx.timers.now()) : null;
  const message = new Message(session.namespace.topic(packet.topic), Payload.ofBytes(payload), stats);
  const refused = session.publishGate.authorize(decision, message, 'counted', session.onInvalidRules);
  if (refused !== null) return refuse(session, packet, refused);
  session.messagesIn++;
  const mqtt = MqttMessage.attach(message, session, packet.qos, packet.retain, false, properties);
  const wire = forwardableBytes(packet);
  if (wire !== null) mqtt.forwardPublishBytes(wire, session.isV5);
  const writes = session.ctx.store.writes;
  const sent = routeAcceptedPublish(session.ctx, mqtt, payload);
  session.vhostCounters?.published(sent);
  acknowledge(session, packet, ReasonCodes.SUCCESS, undefined, writes);
}

/**
 * PUBACK (QoS 1) or PUBREC (QoS 2, which then awaits PUBREL), once every earlier acknowledgement
 * of the connection has gone out and, when the store's write count moved since `writesBefore`
 * (the publish was queued for a persistent session, retained, or its QoS 2 id recorded), once the
 * store says those writes are durable; at once when neither holds it back.
 */
function acknowledge(
  session: PublishingClient,
  packet: IPublishPacket,
  reasonCode: number,
  text?: string,
  writesBefore: number | null = null,
): void {
  if (packet.qos === 0) return;
  // Now, not when PUBREC goes: a resent PUBLISH with this id meanwhile is not delivered twice.
  if (packet.qos === 2 && reasonCode < 0x80) session.awaitPubrel(packet.messageId!);
  const store = session.ctx.store;
  const durable = writesBefore === null || store.writes === writesBefore ? null : store.whenDurable();
  if (durable === null && !session.acksWaiting) return sendAcknowledgement(session, packet, reasonCode, text);
  session.acknowledgeAfter(durable, () => sendAcknowledgement(session, packet, reasonCode, text));
}

function sendAcknowledgement(
  session: PublishingClient,
  packet: IPublishPacket,
  reasonCode: number,
  text?: string,
): void {
  const v5 = session.isV5;
  if (packet.qos === 1) {
    session.connection.send(
      v5
        ? { cmd: 'puback', messageId: packet.messageId!, reasonCode, ...problem(session, reasonCode, text) }
        : { cmd: 'puback', messageId: packet.messageId! },
    );
  } else if (packet.qos === 2) {
    session.connection.send(
      v5
        ? { cmd: 'pubrec', messageId: packet.messageId!, reasonCode, ...problem(session, reasonCode, text) }
        : { cmd: 'pubrec', messageId: packet.messageId! },
    );
  }
}

/** A refused publish is never delivered: v5 QoS 1/2 are told why in PUBACK/PUBREC. */
function refuse(session: PublishingClient, packet: IPublishPacket, refused: PublishRefusal): void {
  const { reasonCode, text } = mqttPublishRefusal(refused);
  if (packet.qos > 0 && session.isV5) return acknowledge(session, packet, reasonCode, text);
  // QoS 0, or v3.1.1 (which has no way to say no): drop and count, or disconnect.
  session.ctx.stats.mqttPublishesDropped++;
  if (session.options.disconnectOnDeniedPublish)
    return session.disconnectWith(reasonCode, `publish to "${packet.topic}" refused`);
  // v3.1.1 QoS 1/2: acknowledge so the client does not resend it forever; it is not delivered.
  acknowledge(session, packet, ReasonCodes.SUCCESS);
}

export function handlePubrel(session: PublishingClient, packet: IPubrelPacket): void {
  const known = session.pubrelArrived(packet.messageId!);
  const v5 = session.isV5;
  if (v5)
    session.connection.send({
      cmd: 'pubcomp',
      messageId: packet.messageId!,
      reasonCode: known ? ReasonCodes.SUCCESS : ReasonCodes.PACKET_IDENTIFIER_NOT_FOUND,
    });
  else session.connection.send({ cmd: 'pubcomp', messageId: packet.messageId! });
}

/** The last step of every accepted MQTT publish (PUBLISH packets and will messages): store or clear it if retained, then route it. */
/** Returns the deliveries it made (or holds for an entitlement answer). */
export function routeAcceptedPublish(ctx: MqttContext, mqtt: MqttMessage, payload: Buffer): number {
  // Stored only once entitled; delivered live even when the retained store is full.
  if (mqtt.retain) ctx.retained.retain(mqtt.message.topic, payload, mqtt.qos, mqtt.properties);
  ctx.stats.messagesPublished++;
  const sent = ctx.router.publish(mqtt.message);
  ctx.stats.deliveries += sent;
  return sent;
}
