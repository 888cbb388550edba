// One MQTT client connection: the state machine (awaiting CONNECT -> connecting -> active ->
// closing -> closed), ordered packet processing, the packet handlers' shared state, and the
// delivery target the DeliveryPlan sends to. Codec and transport live in MqttConnection.
//
// Packets are handled strictly in arrival order: one that waits (authentication, an entitlement
// answer) parks the ones behind it, as the native session does with frames.
import type { Packet } from 'mqtt-packet';
import type { CompiledSelect } from '../content/select/index.js';
import type { ListenerSecurity } from '../security/security-manager.js';
import type { Decision } from '../security/decision.js';
import type { MqttListenerOptions } from '../config/index.js';
import type { DeliveryPlan } from '../delivery/delivery-plan.js';
import type { Message } from '../delivery/message.js';
import type { PendingRead } from '../delivery/read-access.js';
import type { PacketDeliveryTarget, SubscriptionEntry } from '../delivery/subscription-entry.js';
import type { SubscriptionHandle } from '../topics/index.js';
import { HeldDeliveries, type HeldSink } from '../session/held-deliveries.js';
import { WriteDecisionCache } from '../session/write-decision-cache.js';
import type { InputFault, MqttConnection, MqttPacketSink } from './mqtt-connection.js';
import type { MqttContext, MqttSubscriptionOptions } from './mqtt-context.js';
import { Outbound, OutgoingPublish } from './outbound.js';
import { ReasonCodes } from './reason-codes.js';
import { handleConnect } from './connect-handler.js';
import { handlePublish, handlePubrel } from './publish-handler.js';
import { handleSubscribe, handleUnsubscribe } from './subscribe-handler.js';

export type MqttSessionState = 'awaiting-connect' | 'connecting' | 'active' | 'closing' | 'closed';

/** Packets parked behind a waiting one before the socket stops being read. */
const PARKED_PACKETS_BEFORE_PAUSE = 256;

/** Native close codes the broker uses when it closes sessions, as v5 DISCONNECT reason codes. */
function disconnectReasonFor(code: number): number {
  if (code === 1001) return ReasonCodes.SERVER_SHUTTING_DOWN;
  if (code === 4004) return ReasonCodes.ADMINISTRATIVE_ACTION; // entitlement reset
  return ReasonCodes.UNSPECIFIED_ERROR;
}

export class MqttSession implements MqttPacketSink, PacketDeliveryTarget, HeldSink<OutgoingPublish, null> {
  readonly kind = 'packet';
  readonly id: string;
  state: MqttSessionState = 'awaiting-connect';
  user: string | null = null;
  clientId = '';
  readonly subscriptions = new Map<string, SubscriptionHandle<SubscriptionEntry>>();
  /** Subscription ids for SubscriptionEntry (unique per session). */
  nextSid = 1;
  /** QoS 2 packet ids received and answered with PUBREC, awaiting PUBREL. */
  readonly incomingQos2 = new Set<number>();
  readonly writeDecisions: WriteDecisionCache;
  readonly outbound: Outbound;
  private readonly held: HeldDeliveries<OutgoingPublish, null>;
  private draining = false;
  private readonly setDraining = (on: boolean): void => {
    this.draining = on;
  };
  private parked: Packet[] | null = null;
  /** Bad input found while packets were parked: acted on after them, so replies keep their order. */
  private parkedFault: { fault: InputFault; detail: string } | null = null;
  private paused = false;
  private connectTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly connection: MqttConnection,
    readonly listenerName: string,
    readonly options: MqttListenerOptions,
    readonly security: ListenerSecurity,
    readonly ctx: MqttContext,
    private readonly onGone: (session: MqttSession) => void,
  ) {
    this.id = ctx.newSessionId();
    this.writeDecisions = new WriteDecisionCache(security.entitlements);
    this.held = new HeldDeliveries(ctx.maxPendingDeliveries);
    this.outbound = new Outbound(connection, ctx.stats, options.maxSendQueueBytes, (queued) => this.slowConsumer(queued));
    connection.attach(this);
    if (options.connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => this.onConnectTimeout(), options.connectTimeoutMs);
      this.connectTimer.unref();
    }
  }

  get userName(): string | null {
    return this.user;
  }

  get isLoggedOn(): boolean {
    return this.state === 'active';
  }

  get isV5(): boolean {
    return this.connection.protocolVersion === 5;
  }

  // ---- inbound -------------------------------------------------------------------------------

  onPacket(packet: Packet): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    if (this.parked !== null) {
      this.parked.push(packet);
      if (this.parked.length >= PARKED_PACKETS_BEFORE_PAUSE && !this.paused) {
        this.paused = true;
        this.connection.pause();
      }
      return;
    }
    this.run(packet);
  }

  private run(packet: Packet): void {
    let waiting: void | Promise<void>;
    try {
      waiting = this.dispatch(packet);
    } catch (err) {
      return this.internalError(err);
    }
    if (waiting === undefined) return;
    this.parked ??= [];
    waiting.then(
      () => this.resumeParked(),
      (err: unknown) => {
        this.internalError(err);
        this.resumeParked();
      },
    );
  }

  private resumeParked(): void {
    const packets = this.parked ?? [];
    this.parked = null;
    for (let i = 0; i < packets.length; i++) {
      if (this.state === 'closing' || this.state === 'closed') return;
      if (this.parked !== null) {
        (this.parked as Packet[]).push(...packets.slice(i));
        return;
      }
      this.run(packets[i]!);
    }
    if (this.parked !== null) return;
    if (this.parkedFault !== null) {
      const { fault, detail } = this.parkedFault;
      this.parkedFault = null;
      return this.onInputFault(fault, detail);
    }
    if (this.paused) {
      this.paused = false;
      this.connection.resume();
    }
  }

  private dispatch(packet: Packet): void | Promise<void> {
    if (this.state === 'awaiting-connect') {
      // [MQTT-3.1.0-1] the first packet must be CONNECT; anything else closes the connection.
      if (packet.cmd !== 'connect') return this.closeQuietly(`"${packet.cmd}" before CONNECT`);
      this.clearConnectTimer();
      return handleConnect(this, packet);
    }
    if (this.state !== 'active') return;
    switch (packet.cmd) {
      case 'publish':
        return handlePublish(this, packet);
      case 'puback':
        this.outbound.acknowledged(packet.messageId!);
        return;
      case 'pubrel':
        return handlePubrel(this, packet);
      case 'subscribe':
        return handleSubscribe(this, packet);
      case 'unsubscribe':
        return handleUnsubscribe(this, packet);
      case 'pingreq':
        this.connection.send({ cmd: 'pingresp' });
        return;
      case 'disconnect':
        // A normal disconnect: no reply [MQTT-3.14.4-1].
        return this.closeQuietly('client disconnected');
      case 'connect':
        // [MQTT-3.1.0-2] a second CONNECT is a protocol violation.
        return this.protocolViolation(ReasonCodes.PROTOCOL_ERROR, 'a second CONNECT');
      default:
        return this.protocolViolation(ReasonCodes.PROTOCOL_ERROR, `unexpected ${packet.cmd} packet`);
    }
  }

  onInputFault(fault: InputFault, detail: string): void {
    if (this.parked !== null) {
      this.parkedFault ??= { fault, detail };
      return;
    }
    if (fault === 'unsupported-version' && this.state === 'awaiting-connect') {
      // [MQTT-3.1.2-2] CONNACK 0x01 (v3.1.1 code; understood by v3 clients), then close.
      this.ctx.stats.protocolErrors++;
      this.connection.send({ cmd: 'connack', returnCode: 1, sessionPresent: false });
      return this.closeQuietly(detail);
    }
    const reason = fault === 'too-large' ? ReasonCodes.PACKET_TOO_LARGE : ReasonCodes.MALFORMED_PACKET;
    this.protocolViolation(reason, detail);
  }

  onKeepAliveTimeout(): void {
    this.ctx.log.debug({ session: this.id, user: this.user }, 'MQTT keepalive expired');
    this.disconnectWith(ReasonCodes.KEEP_ALIVE_TIMEOUT, 'keepalive timeout');
  }

  private onConnectTimeout(): void {
    this.connectTimer = null;
    if (this.state !== 'awaiting-connect') return;
    this.ctx.stats.logonTimeouts++;
    this.closeQuietly('no CONNECT in time');
  }

  clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  // ---- delivery (PacketDeliveryTarget) -------------------------------------------------------

  readAccess(topic: string): Decision | Promise<Decision> {
    return this.security.entitlements.check(this.user ?? '', 'read', 'topic', topic);
  }

  /**
   * One PUBLISH per message for this client, whatever number of its subscriptions match: at the
   * highest granted QoS among them, with all their subscription identifiers (v5, 3.3.4).
   */
  deliverEntries(message: Message, entries: readonly SubscriptionEntry[], projection: CompiledSelect | null): void {
    if (this.state !== 'active') return;
    let qos = -1;
    let ids: number[] | null = null;
    for (let i = 0; i < entries.length; i++) {
      const options = entries[i]!.options as MqttSubscriptionOptions;
      if (options.noLocal && message.publisher === this) continue;
      if (options.qos > qos) qos = options.qos;
      if (options.subscriptionId !== null) (ids ??= []).push(options.subscriptionId);
    }
    if (qos < 0) return;
    const effective = (message.qos < qos ? message.qos : qos) === 0 ? 0 : 1;
    const payload = projection === null ? message.mqttPayload() : message.mqttProjectedPayload(projection);
    const out = new OutgoingPublish(message.topic, payload, effective, ids);
    // Behind a held delivery, everything waits its turn: per-publisher order holds across topics.
    if (!this.draining && !this.held.isEmpty) {
      if (!this.held.pushReady(out, null)) this.ctx.stats.heldDeliveriesDropped++;
      return;
    }
    this.outbound.send(out);
  }

  sendNow(out: OutgoingPublish): void {
    this.outbound.send(out);
  }

  holdDelivery(pending: PendingRead, plan: DeliveryPlan, index: number, message: Message): void {
    if (this.state !== 'active') return;
    if (!this.held.pushPending(pending, plan, index, message)) this.ctx.stats.heldDeliveriesDropped++;
  }

  releaseHeld(): void {
    if (this.state !== 'active') return;
    this.held.drain(this, this.ctx.stats, this.setDraining);
  }

  reportInvalidRules(err: unknown): void {
    this.ctx.log.warn({ session: this.id, user: this.user, err }, 'the entitlement module sent a filter or select list that does not compile; denying');
  }

  private slowConsumer(queuedBytes: number): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.ctx.stats.slowConsumerDisconnects++;
    this.ctx.log.warn({ session: this.id, user: this.user, remote: this.connection.remoteAddress, queuedBytes }, 'disconnecting slow MQTT consumer');
    // The client cannot read what we already queued; do not queue a DISCONNECT behind it.
    this.closeQuietly('slow consumer');
  }

  // ---- closing -------------------------------------------------------------------------------

  /** A protocol violation: v5 DISCONNECT with `reason` once CONNECT was accepted, then close (v3.1.1: close). */
  protocolViolation(reason: number, detail: string): void {
    this.ctx.stats.protocolErrors++;
    this.ctx.log.debug({ session: this.id, remote: this.connection.remoteAddress, reason, detail }, 'MQTT protocol violation');
    this.disconnectWith(reason, detail);
  }

  /** v5: DISCONNECT with `reason` (active sessions only); then close. */
  disconnectWith(reason: number, detail: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    if (this.state === 'active' && this.isV5) this.connection.send({ cmd: 'disconnect', reasonCode: reason });
    this.closeQuietly(detail);
  }

  /** Close without telling the client anything more. */
  closeQuietly(detail: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.ctx.log.debug({ session: this.id, user: this.user, detail }, 'closing MQTT connection');
    this.state = 'closing';
    this.release();
    this.connection.close();
  }

  /** The broker closes the session (entitlement reset, shutdown): the native close code maps to a v5 reason. */
  close(code: number, reason: string): void {
    this.disconnectWith(disconnectReasonFor(code), reason);
  }

  /** Another connection CONNECTed with this client id [MQTT-3.1.4-2]. */
  takenOver(): void {
    this.disconnectWith(ReasonCodes.SESSION_TAKEN_OVER, 'client id taken over');
  }

  onClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearConnectTimer();
    this.release();
    this.onGone(this);
  }

  private internalError(err: unknown): void {
    this.ctx.log.error({ err, session: this.id }, 'unexpected error handling an MQTT packet');
    this.disconnectWith(ReasonCodes.UNSPECIFIED_ERROR, 'internal error');
  }

  private release(): void {
    for (const handle of this.subscriptions.values()) this.ctx.engine.remove(handle);
    this.subscriptions.clear();
    this.held.clear();
    this.outbound.clear();
    this.parked = null;
    this.connection.stopReading();
    if (this.clientId !== '') this.ctx.releaseClientId(this.clientId, this);
  }
}
