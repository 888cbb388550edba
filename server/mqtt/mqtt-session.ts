// One MQTT client connection: the state machine (awaiting CONNECT -> connecting [-> authenticating
// -> connecting] -> active -> closing -> closed), ordered packet processing, the state the packet
// handlers share, and the delivery target the DeliveryPlan sends to. Codec and transport live in
// MqttConnection. The handlers see the session through the narrow interfaces of client-session.ts:
// they read it through getters and change it only through the methods those name.
//
// Packets are handled strictly in arrival order: one that waits (authentication, an entitlement
// answer) parks the ones behind it (OrderedInbound, as the native session does with frames). Bad
// input found meanwhile is parked too, as a fault after the packets, so replies keep their order.
import type { EntitlementService } from '../security/entitlement-service.js';
import type { TopicSubscription } from '../security/reevaluation.js';
import type { IDisconnectPacket, Packet } from 'mqtt-packet';
import type { CompiledSelect } from '../content/select/index.js';
import type { ListenerGates } from '../gates/listener-gates.js';
import type { ListenerVhostGates } from '../gates/vhost-gates.js';
import { VhostNamespace } from '../vhosts/vhost-namespace.js';
import type { VhostCounters } from '../vhosts/vhosts.js';
import type { PublishGate } from '../gates/publish-gate.js';
import type { Decision } from '../security/decision.js';
import type { MqttListenerOptions } from '../config/index.js';
import type { Message } from '../delivery/message.js';
import type { PendingRead } from '../delivery/read-access.js';
import { SubscriptionEntry, type HoldingPlan, type PacketDeliveryTarget } from '../delivery/subscription-entry.js';
import type { SubscriptionHandle, SubscriptionPattern } from '../topics/index.js';
import type { HeldSink } from '../session/held-deliveries.js';
import { HeldDeliveryGate, logDeliveryError, warnInvalidRules } from '../session/held-delivery-gate.js';
import { OrderedInbound, type InboundHandler } from '../session/ordered-inbound.js';
import type { InputFault, MqttConnection, MqttPacketSink, ProtocolVersion } from './mqtt-connection.js';
import type { ClientIdHolder, MqttContext } from './mqtt-context.js';
import type {
  ClientLogon,
  ConnectingClient,
  MqttSessionState,
  PublishingClient,
  SubscribingClient,
  WillPublisher,
} from './client-session.js';
import type { MqttSubscriptionOptions } from './subscription-options.js';
import { StoredSession, StoredSubscription } from './stored-session.js';
import { OrderedAcks } from './ordered-acks.js';
import { DeliveryJournal } from './delivery-journal.js';
import type { SessionRecord, SubscriptionRecord } from '../store/records.js';
import { subscriptionRecord, willRecord } from './persisted-records.js';
import type { SharedMembership } from './shared-groups.js';
import type { SharedFilter } from './shared-subscription-filter.js';
import { Outbound, type OutgoingPublish } from './outbound.js';
import { outgoingPublishFor } from './outgoing-publish-for.js';
import { reasonProperties, ReasonCodes } from './reason-codes.js';
import { InboundTopicAliases } from './topic-aliases.js';
import { handleAuthDuringConnect, handleConnect } from './connect-handler.js';
import type { PendingEnhancedAuth } from './enhanced-auth.js';
import { handlePublish, handlePubrel } from './publish-handler.js';
import { handleSubscribe, handleUnsubscribe } from './subscribe-handler.js';
import { publishWill, WillMessage } from './will-message.js';
import type { AdmissionTicket } from '../admission/admission.js';
import { mqttVersionName, type ConnectionInfo } from '../admin/connection-list.js';
import type { AdmissionRefusal } from '../admission/refusal.js';
import type { WheelEntry } from '../timeout-wheel.js';

const NO_SUBSCRIPTIONS: ReadonlyMap<string, SubscriptionHandle<SubscriptionEntry>> = new Map();
const NO_SHARED: ReadonlyMap<string, SharedMembership> = new Map();
const NO_IDS: ReadonlySet<number> = new Set();

/** Bad input from the connection, queued behind the packets that arrived before it. */
class InboundFault {
  constructor(
    readonly fault: InputFault,
    readonly detail: string,
  ) {}
}

/** Native close codes the broker uses when it closes sessions, as v5 DISCONNECT reason codes. */
function disconnectReasonFor(code: number): number {
  if (code === 1001) return ReasonCodes.SERVER_SHUTTING_DOWN;
  if (code === 4004) return ReasonCodes.ADMINISTRATIVE_ACTION; // entitlement reset
  if (code === 4005) return ReasonCodes.ADMINISTRATIVE_ACTION; // an admin closed the connection
  return ReasonCodes.UNSPECIFIED_ERROR;
}

export class MqttSession
  implements
    MqttPacketSink,
    PacketDeliveryTarget,
    HeldSink<OutgoingPublish, null>,
    ClientIdHolder,
    ConnectingClient,
    PublishingClient,
    SubscribingClient,
    WillPublisher,
    WheelEntry,
    InboundHandler<Packet | InboundFault>
{
  readonly kind = 'packet';
  readonly id: string;
  private phase: MqttSessionState = 'awaiting-connect';
  /** The user it logged on as (activate()). */
  private identity: string | null = null;
  private clientId = '';
  /** The will, published when the connection ends other than by a normal DISCONNECT. */
  private will: WillMessage | null = null;
  /** v5 Request Problem Information: false forbids Reason Strings on PUBACK, PUBREC, SUBACK... [MQTT-3.1.2-29]. */
  private wantsProblemInformation = true;
  /** Session Expiry Interval in seconds, capped (0: the session ends with the connection). */
  private sessionExpirySec = 0;
  /** The Session Expiry Interval the CONNECT asked for, before the cap (v5 DISCONNECT may not raise it from 0). */
  private connectExpirySec = 0;
  /** The cap on this connection's Session Expiry Interval: mqtt.sessions.maxExpirySec, or 0 when the user may keep no more sessions. */
  private maxExpirySec = 0;
  /** Counted in the store's live persistent sessions of the user (grantSessionExpiry()) until released. */
  private persistentCounted = false;
  private released = false;
  /** Why the broker closed this connection (closeQuietly's detail); null: the client or the network ended it. */
  private closedBecause: string | null = null;
  /** The exchange a v5 enhanced authentication waits in (state 'authenticating'). */
  private pendingAuth: PendingEnhancedAuth | null = null;
  /** A kept session taken over at CONNECT, until its messages are resent after CONNACK. */
  private resumed: StoredSession | null = null;
  /** Acknowledgements waiting for the store, in order; made on the first wait. */
  private acks: OrderedAcks | null = null;
  /** Its persistent session's record is in the broker's store (persistLive), kept up to date with its subscriptions. */
  private liveRecorded = false;
  // The collections below are made on first write: an idle connection holds none (memory per
  // connection is a benchmark target). Read through the getters, written only here.
  private subscriptionMap: Map<string, SubscriptionHandle<SubscriptionEntry>> | null = null;
  private sharedMap: Map<string, SharedMembership> | null = null;
  private qos2Ids: Set<number> | null = null;
  /** Subscription ids for SubscriptionEntry (unique per session). */
  private nextSid = 1;
  /** v5 topic aliases this client set in its PUBLISH packets: made by the first PUBLISH. */
  private aliases: InboundTopicAliases | null = null;
  /** The write entitlement, topic rate and write filter of this connection's publishes (and its will): made by the first. */
  private gate: PublishGate | null = null;
  private readonly outbound: Outbound;
  private readonly held: HeldDeliveryGate<OutgoingPublish, null>;
  /** Packets (and a fault, last) in arrival order, parked behind one that waits. */
  private readonly inbound: OrderedInbound<Packet | InboundFault>;
  // The CONNECT timeout's deadline on the shared wheel (ctx.timeouts), while one runs.
  wheelDue = 0;
  wheelPrev: WheelEntry | null = null;
  wheelNext: WheelEntry | null = null;
  /** Admission: a refusal decided when the connection was accepted (answered at CONNECT), and the ticket once admitted. */
  private refusedAtAccept: AdmissionRefusal | null = null;
  private ticket: AdmissionTicket | null = null;
  // Per-connection limits: the listener's, narrowed at CONNECT by the user's resource-limit group.
  private subscriptionLimit: number;
  /** For the admin view (GET /admin/connections). */
  private readonly connectedAt = Date.now();
  /** Publishes accepted from this client (publish-handler.ts). */
  messagesIn = 0;

  constructor(
    readonly connection: MqttConnection,
    readonly listenerName: string,
    readonly options: MqttListenerOptions,
    /** The listener's gates; with vhosts, the chosen vhost's from CONNECT on (useGates). */
    private listenerGates: ListenerGates,
    readonly ctx: MqttContext,
    private readonly onGone: (session: MqttSession) => void,
    /** The listener's vhosts, chosen from at CONNECT; null without vhosts. */
    readonly vhosts: ListenerVhostGates | null = null,
  ) {
    this.id = ctx.newSessionId();
    this.subscriptionLimit = options.maxSubscriptionsPerConnection;
    this.held = new HeldDeliveryGate<OutgoingPublish, null>(ctx.maxPendingDeliveries, this, ctx.stats);
    this.outbound = new Outbound(connection, ctx.stats, ctx.timers, options.maxSendQueueBytes, this);
    this.inbound = new OrderedInbound<Packet | InboundFault>(connection, this);
    connection.attach(this);
    this.armConnectTimer();
  }

  /**
   * Admission refused this connection when it was accepted: a disabled protocol is closed at once
   * (netconfd-pro, *Session Admission Control*: "dropped right away"); a rate refusal is the CONNACK to its CONNECT, unauthenticated.
   */
  refuseAtAccept(refusal: AdmissionRefusal): void {
    if (refusal.kind === 'protocol-disabled') return this.closeQuietly('MQTT protocol disabled');
    this.refusedAtAccept = refusal;
  }

  // ---- read by the handlers (client-session.ts) and the broker -------------------------------

  get state(): MqttSessionState {
    return this.phase;
  }

  /** The user it logged on as; null before. */
  readonly protocol = 'mqtt';

  get queuedBytes(): number {
    return this.outbound.held + this.connection.bufferedAmount();
  }

  get isOpen(): boolean {
    return this.phase !== 'closing' && this.phase !== 'closed';
  }

  describe(): ConnectionInfo {
    const connected = this.phase !== 'awaiting-connect';
    return {
      id: this.id,
      user: this.identity,
      remoteAddress: this.connection.remoteAddress,
      listener: this.listenerName,
      protocol: 'mqtt',
      version: connected ? mqttVersionName(this.connection.protocolVersion) : null,
      clientId: connected ? VhostNamespace.clientTopic(this.clientId) : null,
      loggedOn: this.isLoggedOn,
      subscriptions: this.subscriptions.size + this.sharedSubscriptions.size,
      queuedBytes: this.queuedBytes,
      connectedAt: new Date(this.connectedAt).toISOString(),
      messagesIn: this.messagesIn,
      messagesOut: this.outbound.sent,
      ...(this.listenerGates.vhost === null ? {} : { vhost: this.listenerGates.vhost.name }),
    };
  }

  get vhostName(): string | null {
    return this.listenerGates.vhost?.name ?? null;
  }

  get vhostCounters(): VhostCounters | null {
    return this.listenerGates.vhost?.counters ?? null;
  }

  subscriptionPatterns(): string[] {
    return [...this.subscriptions.keys(), ...this.sharedSubscriptions.keys()];
  }

  /**
   * None: MQTT has no way to tell a client that one subscription ended, so a re-evaluation leaves
   * them in place and deliveries the user may no longer read simply stop (the delivery path asks).
   */
  revocableSubscriptions(): TopicSubscription[] {
    return [];
  }

  revokeSubscription(): void {}

  get user(): string | null {
    return this.identity;
  }

  get userName(): string | null {
    return this.identity;
  }

  get isLoggedOn(): boolean {
    return this.phase === 'active';
  }

  get isV5(): boolean {
    return this.connection.protocolVersion === 5;
  }

  get problemInformation(): boolean {
    return this.wantsProblemInformation;
  }

  get acceptRefusal(): AdmissionRefusal | null {
    return this.refusedAtAccept;
  }

  get admission(): AdmissionTicket | null {
    return this.ticket;
  }

  get maxSubscriptions(): number {
    return this.subscriptionLimit;
  }

  get gates(): ListenerGates {
    return this.listenerGates;
  }

  /** Its listener's entitlements, or its vhost's once connected in one. */
  get entitlements(): EntitlementService {
    return this.listenerGates.entitlements;
  }

  /** Where its topics and client id live: its vhost's hidden namespace (the default one without vhosts). */
  get namespace(): VhostNamespace {
    return this.listenerGates.namespace;
  }

  /** At CONNECT, before anything is gated: the connection is in this vhost from now on. */
  useGates(gates: ListenerGates): void {
    this.listenerGates = gates;
    this.gate = null;
  }

  get publishGate(): PublishGate {
    if (this.gate !== null) return this.gate;
    const gate = (this.gate = this.gates.publishGate('mqtt'));
    if (this.ticket !== null) gate.admit(this.ticket);
    return gate;
  }

  get topicAliases(): InboundTopicAliases {
    return (this.aliases ??= new InboundTopicAliases(this.options.topicAliasMaximum));
  }

  get subscriptions(): ReadonlyMap<string, SubscriptionHandle<SubscriptionEntry>> {
    return this.subscriptionMap ?? NO_SUBSCRIPTIONS;
  }

  /** v5 shared subscriptions, by their whole `$share/{name}/{filter}` filter. */
  get sharedSubscriptions(): ReadonlyMap<string, SharedMembership> {
    return this.sharedMap ?? NO_SHARED;
  }

  /** QoS 2 packet ids received and answered with PUBREC, awaiting PUBREL. */
  get incomingQos2(): ReadonlySet<number> {
    return this.qos2Ids ?? NO_IDS;
  }

  // ---- logon (ConnectingClient, connect-handler.ts) ------------------------------------------

  beginConnect(version: ProtocolVersion, problemInformation: boolean): void {
    this.connection.setProtocolVersion(version);
    this.phase = 'connecting';
    this.wantsProblemInformation = problemInformation;
  }

  beginEnhancedAuth(pending: PendingEnhancedAuth): void {
    this.pendingAuth = pending;
    this.phase = 'authenticating';
    this.armConnectTimer();
  }

  takePendingAuth(): PendingEnhancedAuth | null {
    const pending = this.pendingAuth;
    this.pendingAuth = null;
    this.phase = 'connecting';
    this.clearConnectTimer();
    return pending;
  }

  /** Admitted (connect-handler.ts): the user's resource-limit group narrows the listener's limits (the smaller applies). */
  admit(ticket: AdmissionTicket): void {
    this.ticket = ticket;
    const group = ticket.group;
    if (group.maxSubscriptions < this.subscriptionLimit) this.subscriptionLimit = group.maxSubscriptions;
    const vhostMax = ticket.vhostSeat?.group?.maxSubscriptions;
    if (vhostMax !== undefined && vhostMax < this.subscriptionLimit) this.subscriptionLimit = vhostMax;
    if (group.maxQueuedBytes < this.outbound.maxSendQueueBytes) this.outbound.maxSendQueueBytes = group.maxQueuedBytes;
    this.gate?.admit(ticket);
  }

  activate(logon: ClientLogon): void {
    const { clientId } = logon;
    this.identity = logon.user;
    this.clientId = clientId;
    this.phase = 'active';
    this.connection.transport.loggedOn(); // its slot of admission.maxUnauthenticated is free again
    this.ctx.claimClientId(clientId, this)?.takenOver();
    // After the takeover, which may have scheduled the old connection's delayed will [MQTT-3.1.3-9].
    this.ctx.delayedWills.cancel(clientId);
    // The will's topic is kept internal (its vhost's namespace), as every topic it routes on.
    if (logon.will !== null)
      this.will = WillMessage.of({ ...logon.will, topic: this.namespace.topic(logon.will.topic) });
  }

  respectClientLimits(receiveMaximum: number | undefined, maximumPacketSize: number | undefined): void {
    if (receiveMaximum !== undefined) this.outbound.receiveMaximum = receiveMaximum;
    if (maximumPacketSize !== undefined) this.outbound.maxPacketBytes = maximumPacketSize;
  }

  grantSessionExpiry(requestedSec: number, maxSec: number): void {
    this.connectExpirySec = requestedSec;
    this.maxExpirySec = maxSec;
    this.sessionExpirySec = requestedSec > maxSec ? maxSec : requestedSec;
    if (this.sessionExpirySec > 0) {
      this.ctx.persistentSessions.liveAdded(this.identity!);
      this.persistentCounted = true;
    }
  }

  /**
   * Close the connection unless it is logged on within connectTimeoutMs (at start, and while
   * waiting for an AUTH). On the shared wheel: at most one slot (500 ms) late, never early.
   */
  private armConnectTimer(): void {
    if (this.options.connectTimeoutMs <= 0) return this.clearConnectTimer();
    this.ctx.timeouts.schedule(this, this.options.connectTimeoutMs);
  }

  // ---- subscriptions (SubscribingClient, subscribe-handler.ts) -------------------------------

  subscribe(filter: string, pattern: SubscriptionPattern, options: MqttSubscriptionOptions): SubscriptionEntry {
    const engine = this.ctx.engine;
    const old = this.subscriptions.get(filter);
    if (old !== undefined) engine.remove(old);
    const entry = this.newEntry(options);
    this.ownSubscriptions().set(filter, engine.add(pattern, entry));
    if (this.liveRecorded)
      this.ctx.persistentSessions.liveSubscribed(
        subscriptionRecord(this.clientId, new StoredSubscription(filter, pattern, options)),
      );
    return entry;
  }

  joinShared(
    filter: string,
    shared: SharedFilter,
    pattern: SubscriptionPattern,
    options: MqttSubscriptionOptions,
  ): void {
    const groups = this.ctx.sharedGroups;
    const old = this.sharedSubscriptions.get(filter);
    if (old !== undefined) groups.leave(old);
    const entry = this.newEntry(options);
    this.ownSharedSubscriptions().set(filter, groups.join(shared, pattern, entry));
    if (this.liveRecorded)
      this.ctx.persistentSessions.liveSubscribed(
        subscriptionRecord(this.clientId, new StoredSubscription(filter, pattern, options, shared)),
      );
  }

  unsubscribe(filter: string): boolean {
    const membership = this.sharedSubscriptions.get(filter);
    if (membership !== undefined) {
      this.ownSharedSubscriptions().delete(filter);
      this.ctx.sharedGroups.leave(membership);
      if (this.liveRecorded) this.ctx.persistentSessions.liveUnsubscribed(this.clientId, filter);
      return true;
    }
    const handle = this.subscriptions.get(filter);
    if (handle === undefined) return false;
    this.ownSubscriptions().delete(filter);
    this.ctx.engine.remove(handle);
    if (this.liveRecorded) this.ctx.persistentSessions.liveUnsubscribed(this.clientId, filter);
    return true;
  }

  /** An entry delivering to this session, under the session's next subscription id. */
  private newEntry(options: MqttSubscriptionOptions): SubscriptionEntry {
    return new SubscriptionEntry(this, this.nextSid++, null, null, options);
  }

  private ownSubscriptions(): Map<string, SubscriptionHandle<SubscriptionEntry>> {
    return (this.subscriptionMap ??= new Map());
  }

  private ownSharedSubscriptions(): Map<string, SharedMembership> {
    return (this.sharedMap ??= new Map());
  }

  // ---- publishing (PublishingClient, publish-handler.ts) -------------------------------------

  get acksWaiting(): boolean {
    return this.acks !== null && this.acks.busy;
  }

  acknowledgeAfter(durable: Promise<void> | null, ack: () => void): void {
    this.acks ??= new OrderedAcks((err) => this.storeFailed(err));
    this.acks.after(durable, () => {
      if (this.phase !== 'active') return;
      try {
        ack();
      } catch (err) {
        this.onInternalError(err, 'acknowledging a stored publish');
      }
    });
  }

  /** A write a PUBACK/PUBREC waited for failed (logged by the store): not acknowledged; the client resends after reconnecting. */
  private storeFailed(err: unknown): void {
    this.ctx.stats.storeAcksWithheld++;
    if (this.phase !== 'active') return;
    this.ctx.log.warn(
      { err, session: this.id, user: this.identity },
      'a publish could not be stored: not acknowledged, closing the connection',
    );
    this.disconnectWith(ReasonCodes.UNSPECIFIED_ERROR, 'the broker could not store the message');
  }

  awaitPubrel(id: number): void {
    (this.qos2Ids ??= new Set()).add(id);
    // Kept across a crash too, or a resent PUBLISH would be delivered a second time [MQTT-4.3.3-10].
    if (this.liveRecorded) this.ctx.persistentSessions.persistLiveRecord(this.liveRecord());
  }

  pubrelArrived(id: number): boolean {
    const known = this.qos2Ids !== null && this.qos2Ids.delete(id);
    if (known && this.liveRecorded) this.ctx.persistentSessions.persistLiveRecord(this.liveRecord());
    return known;
  }

  // ---- inbound -------------------------------------------------------------------------------

  onPacket(packet: Packet): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.inbound.accept(packet);
  }

  /** Bad input: acted on after the packets parked before it (the connection reads no more). */
  onInputFault(fault: InputFault, detail: string): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.inbound.accept(new InboundFault(fault, detail));
  }

  // ---- OrderedInbound's handler (the session itself: no closures per connection) ---------------

  inboundOpen(): boolean {
    return this.phase !== 'closing' && this.phase !== 'closed';
  }

  inboundFailed(err: unknown): void {
    this.onInternalError(err, 'input');
  }

  handleInbound(item: Packet | InboundFault): void {
    let waiting: void | Promise<void>;
    try {
      if (item instanceof InboundFault) return this.inputFault(item.fault, item.detail);
      waiting = this.dispatch(item);
    } catch (err) {
      return this.onInternalError(err, 'input');
    }
    if (waiting !== undefined) this.inbound.waitFor(waiting, (err) => this.onInternalError(err, 'input'));
  }

  private dispatch(packet: Packet): void | Promise<void> {
    if (this.phase === 'awaiting-connect') {
      // [MQTT-3.1.0-1] the first packet must be CONNECT; anything else closes the connection.
      if (packet.cmd !== 'connect') return this.closeQuietly(`"${packet.cmd}" before CONNECT`);
      this.clearConnectTimer();
      return handleConnect(this, packet);
    }
    if (this.phase === 'authenticating') return handleAuthDuringConnect(this, packet);
    if (this.phase !== 'active') return;
    switch (packet.cmd) {
      case 'publish':
        return handlePublish(this, packet);
      case 'puback':
        this.outbound.acknowledged(packet.messageId!);
        return;
      case 'pubrec':
        this.outbound.received(packet.messageId!, packet.reasonCode, this.isV5);
        return;
      case 'pubcomp':
        this.outbound.completed(packet.messageId!);
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
        return this.onDisconnect(packet);
      case 'connect':
        // [MQTT-3.1.0-2] a second CONNECT is a protocol violation.
        return this.protocolViolation(ReasonCodes.PROTOCOL_ERROR, 'a second CONNECT');
      default:
        return this.protocolViolation(ReasonCodes.PROTOCOL_ERROR, `unexpected ${packet.cmd} packet`);
    }
  }

  /**
   * DISCONNECT: no reply [MQTT-3.14.4-1]. The will is dropped [MQTT-3.1.2-10] unless v5 asked for
   * it (0x04). A v5 Session Expiry Interval replaces the CONNECT's (capped), but may not turn a 0
   * at CONNECT into non-zero (spec 3.14.2.2.2: a protocol error, so the will is published).
   */
  private onDisconnect(packet: IDisconnectPacket): void {
    const expiry = this.isV5 ? packet.properties?.sessionExpiryInterval : undefined;
    if (expiry !== undefined) {
      if (this.connectExpirySec === 0 && expiry !== 0)
        return this.protocolViolation(
          ReasonCodes.PROTOCOL_ERROR,
          'a Session Expiry Interval on DISCONNECT after 0 on CONNECT',
        );
      const max = this.maxExpirySec;
      this.sessionExpirySec = expiry > max ? max : expiry;
    }
    if (!(this.isV5 && packet.reasonCode === ReasonCodes.DISCONNECT_WITH_WILL_MESSAGE)) this.will = null;
    this.closeQuietly('client disconnected');
  }

  private inputFault(fault: InputFault, detail: string): void {
    if (fault === 'unsupported-version' && this.phase === 'awaiting-connect') {
      // [MQTT-3.1.2-2] CONNACK 0x01 (v3.1.1 code; understood by v3 clients), then close.
      this.ctx.stats.protocolErrors++;
      this.connection.send({ cmd: 'connack', returnCode: 1, sessionPresent: false });
      return this.closeQuietly(detail);
    }
    const reason =
      fault === 'too-large'
        ? ReasonCodes.PACKET_TOO_LARGE
        : fault === 'protocol-error'
          ? ReasonCodes.PROTOCOL_ERROR
          : ReasonCodes.MALFORMED_PACKET;
    this.protocolViolation(reason, detail);
  }

  onKeepAliveTimeout(): void {
    this.ctx.stats.keepAliveTimeouts++;
    this.ctx.log.debug({ session: this.id, user: this.identity }, 'MQTT keepalive expired');
    this.disconnectWith(ReasonCodes.KEEP_ALIVE_TIMEOUT, 'keepalive timeout');
  }

  /** The CONNECT timeout passed (the wheel's timer: an entry point, contains its errors). */
  onWheelTimeout(): void {
    if (this.phase !== 'awaiting-connect' && this.phase !== 'authenticating') return;
    this.ctx.stats.logonTimeouts++;
    try {
      this.closeQuietly('no CONNECT in time');
    } catch (err) {
      this.onInternalError(err, 'connect timer');
    }
  }

  private clearConnectTimer(): void {
    this.ctx.timeouts.cancel(this);
  }

  // ---- delivery (PacketDeliveryTarget) -------------------------------------------------------

  readAccess(topic: string): Decision | Promise<Decision> {
    return this.gates.readAccess(this.identity ?? '', topic);
  }

  /**
   * One PUBLISH per message for this client, whatever number of its subscriptions match: at the
   * highest granted QoS among them, with all their subscription identifiers (v5, 3.3.4).
   */
  deliverEntries(message: Message, entries: readonly SubscriptionEntry[], projection: CompiledSelect | null): void {
    if (this.phase !== 'active') return;
    const out = outgoingPublishFor(message, entries, projection, this);
    if (out === null) return;
    if (this.held.queueBehindHeld(out, null)) return;
    this.outbound.send(out);
  }

  sendNow(out: OutgoingPublish): void {
    this.outbound.send(out);
  }

  holdDelivery(pending: PendingRead, plan: HoldingPlan, index: number, message: Message): void {
    if (this.phase !== 'active') return;
    this.held.hold(pending, plan, index, message);
  }

  releaseHeld(): void {
    if (this.phase !== 'active') return;
    this.held.release();
  }

  private invalidRules: ((err: unknown) => void) | null = null;

  /** The publish gate reports a write entitlement whose rules do not compile (made on first use, not per connection). */
  get onInvalidRules(): (err: unknown) => void {
    return (this.invalidRules ??= (err) => this.reportInvalidRules(err));
  }

  reportInvalidRules(err: unknown): void {
    warnInvalidRules(this.ctx.log, { session: this.id, user: this.identity }, err);
  }

  reportDeliveryError(err: unknown, topic: string): void {
    logDeliveryError(this.ctx.log, { session: this.id, user: this.identity }, err, topic);
  }

  /**
   * More than maxSendQueueBytes held for this client: messages behind its window and in flight
   * (held-bytes.ts) plus the socket's unsent bytes. A client that reads but does not acknowledge
   * is told (v5 DISCONNECT 0x97 Quota exceeded); one whose socket alone is over the limit is not
   * reading, so nothing is queued behind what it already cannot read.
   */
  onSlowConsumer(heldBytes: number, socketBytes: number): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.ctx.stats.slowConsumerDisconnects++;
    const limit = this.outbound.maxSendQueueBytes;
    this.ctx.log.warn(
      { session: this.id, user: this.identity, remote: this.connection.remoteAddress, heldBytes, socketBytes, limit },
      'disconnecting slow MQTT consumer',
    );
    if (socketBytes > limit) this.closeQuietly('slow consumer');
    else
      this.disconnectWith(
        ReasonCodes.QUOTA_EXCEEDED,
        'slow consumer: unacknowledged messages over the queued-bytes limit',
      );
  }

  // ---- closing -------------------------------------------------------------------------------

  /** A protocol violation: v5 DISCONNECT with `reason` once CONNECT was accepted, then close (v3.1.1: close). */
  protocolViolation(reason: number, detail: string): void {
    this.ctx.stats.protocolErrors++;
    this.ctx.log.debug(
      { session: this.id, remote: this.connection.remoteAddress, reason, detail },
      'MQTT protocol violation',
    );
    this.disconnectWith(reason, detail);
  }

  /** v5: DISCONNECT with `reason` (active sessions only); then close. */
  disconnectWith(reason: number, detail: string): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    if (this.phase === 'active' && this.isV5)
      this.connection.send({ cmd: 'disconnect', reasonCode: reason, ...reasonProperties(reason) });
    this.closeQuietly(detail);
  }

  /** Close without telling the client anything more. */
  closeQuietly(detail: string): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    if (this.ctx.log.isLevelEnabled('debug'))
      this.ctx.log.debug({ session: this.id, user: this.identity, detail }, 'closing MQTT connection');
    this.closedBecause = detail;
    this.phase = 'closing';
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
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.clearConnectTimer();
    try {
      this.release();
      // Logged-on connections only: a storm of refused or silent sockets is counted, not logged here.
      if (this.identity !== null && this.ctx.log.isLevelEnabled('info'))
        this.ctx.log.info(
          {
            session: this.id,
            user: this.identity,
            clientId: this.clientId,
            listener: this.listenerName,
            remote: this.connection.remoteAddress,
            reason: this.closedBecause ?? 'the client or the network closed the connection',
          },
          'MQTT disconnect',
        );
    } catch (err) {
      this.onInternalError(err, 'close');
    }
    this.onGone(this);
  }

  /**
   * An unexpected error at one of this connection's entry points (socket event, timer, promise
   * continuation): logged with where, counted (connectionErrors), and this connection closed (v5:
   * DISCONNECT 0x80 Unspecified error first). Nothing else is affected; never throws.
   */
  onInternalError(err: unknown, where: string): void {
    this.ctx.stats.connectionErrors++;
    try {
      this.ctx.log.error(
        { err, session: this.id, user: this.identity, remote: this.connection.remoteAddress, where },
        'unexpected error; closing this MQTT connection',
      );
      this.disconnectWith(ReasonCodes.UNSPECIFIED_ERROR, `internal error (${where})`);
    } catch {
      this.connection.transport.terminate();
    }
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    // However the connection ends (takeover included), its admission count is given back once.
    this.admission?.release();
    if (this.identity !== null && this.sessionExpirySec > 0) this.keepSession();
    else if (this.liveRecorded) {
      this.outbound.forgetJournal();
      this.ctx.persistentSessions.forgetLive(this.clientId, [
        ...this.subscriptions.keys(),
        ...this.sharedSubscriptions.keys(),
      ]);
    }
    this.liveRecorded = false;
    if (this.persistentCounted) {
      this.persistentCounted = false;
      this.ctx.persistentSessions.liveRemoved(this.identity!);
    }
    this.ctx.engine.removeAll(this.subscriptions.values());
    this.subscriptionMap = null;
    for (const membership of this.sharedSubscriptions.values()) this.ctx.sharedGroups.leave(membership);
    this.sharedMap = null;
    this.held.clear();
    this.outbound.clear();
    this.inbound.clear();
    this.connection.stopReading();
    if (this.clientId !== '') this.ctx.releaseClientId(this.clientId, this);
    const will = this.will;
    if (will !== null) {
      this.will = null;
      this.willDue(will);
    }
  }

  /**
   * A persistent session outlives its connection: its subscriptions move to a StoredSession (in
   * the same synchronous step, so no message falls between), with what was not acknowledged.
   * Deliveries still held for a pending read entitlement are dropped (counted).
   */
  private keepSession(): void {
    const stored = this.storedSession();
    this.held.countDropped();
    this.ctx.persistentSessions.keep(stored, this.sessionExpirySec);
  }

  /** This connection's session as a StoredSession: its subscriptions, and what was not acknowledged with the places the journal gave it. */
  private storedSession(): StoredSession {
    const { inflight, queued, queuedPlaces } = this.outbound.takeUnacknowledged();
    const stored = new StoredSession(
      this.ctx,
      this.clientId,
      this.identity!,
      this.listenerName,
      this.sessionExpirySec,
      this.gates,
      this.ctx.persistentSessions,
      inflight,
      queued,
      new Set(this.incomingQos2),
      queuedPlaces,
      this.liveRecorded,
    );
    for (const subscription of this.storedSubscriptions()) stored.subscribe(subscription);
    return stored;
  }

  /** Its subscriptions, shared ones included, as a persistent session keeps them. */
  private *storedSubscriptions(): Generator<StoredSubscription> {
    for (const [filter, handle] of this.subscriptions)
      yield new StoredSubscription(filter, handle.pattern, handle.value.options as MqttSubscriptionOptions);
    for (const [filter, membership] of this.sharedSubscriptions)
      yield new StoredSubscription(
        filter,
        membership.pattern,
        membership.entry.options as MqttSubscriptionOptions,
        membership.group.filter,
      );
  }

  /**
   * Write this connected client's persistent session (no expiry yet) and its subscriptions to the
   * broker's store, so they survive a crash; later SUBSCRIBEs and UNSUBSCRIBEs write one each.
   */
  private persistLive(): void {
    this.liveRecorded = true;
    // From now on its QoS 1/2 messages are written as they go, so a crash does not lose them.
    this.outbound.journal ??= new DeliveryJournal(this.clientId, this.ctx.store, this.ctx.persistentSessions);
    const subscriptions: SubscriptionRecord[] = [];
    for (const subscription of this.storedSubscriptions())
      subscriptions.push(subscriptionRecord(this.clientId, subscription));
    this.ctx.persistentSessions.persistLive(this.liveRecord(), subscriptions);
  }

  /** This connected client's persistent session as its store record: no expiry while it is connected. */
  private liveRecord(): SessionRecord {
    return {
      clientId: this.clientId,
      user: this.identity!,
      listener: this.listenerName,
      expirySec: this.sessionExpirySec,
      expiresAt: null,
      incomingQos2: [...this.incomingQos2],
    };
  }

  /** Take over a kept session (Clean Start 0): its subscriptions now deliver here; call resumeDeliveries() after CONNACK. */
  adopt(stored: StoredSession): void {
    for (const subscription of stored.storedSubscriptions) {
      const entry = this.newEntry(subscription.options);
      if (subscription.shared === null)
        this.ownSubscriptions().set(subscription.filter, this.ctx.engine.add(subscription.pattern, entry));
      else
        this.ownSharedSubscriptions().set(
          subscription.filter,
          this.ctx.sharedGroups.join(subscription.shared, subscription.pattern, entry),
        );
    }
    if (stored.incomingQos2.size > 0) this.qos2Ids = new Set(stored.incomingQos2);
    stored.dispose();
    this.resumed = stored;
  }

  /** After CONNACK: resend the unacknowledged publishes (DUP) and the queued ones [MQTT-4.4.0-1]. */
  resumeDeliveries(): void {
    if (this.sessionExpirySec > 0) this.persistLive();
    const stored = this.resumed;
    this.resumed = null;
    if (stored === null) return;
    // Persistent still: its messages stay in the broker's store, at their places, until acknowledged.
    if (this.outbound.journal === null) this.ctx.persistentSessions.forget(stored);
    this.outbound.resume(stored.inflight, stored.queuedMessages, stored.inflightPlaceOf, stored.queuedPlaces);
  }

  /** [MQTT-3.1.2-8] the connection ended abnormally: publish the will, after its v5 delay (at most the session's expiry). */
  private willDue(will: WillMessage): void {
    const delaySec = will.delaySec < this.sessionExpirySec ? will.delaySec : this.sessionExpirySec;
    if (delaySec <= 0) return this.publishWillContained(will);
    const delayMs = delaySec * 1000;
    this.ctx.delayedWills.schedule(
      this.clientId,
      delayMs,
      () => this.publishWillContained(will),
      this.identity!,
      willRecord(this.clientId, this.identity!, this.listenerName, this.ctx.timers.now() + delayMs, will),
    );
  }

  /** The will goes out from a socket 'close', a timer or a takeover: a failure is logged and counted, never thrown there. */
  private publishWillContained(will: WillMessage): void {
    try {
      publishWill(this, will);
    } catch (err) {
      this.ctx.stats.connectionErrors++;
      this.ctx.log.error(
        { err, session: this.id, user: this.identity, topic: will.topic },
        'publishing a will message failed',
      );
    }
  }
}
