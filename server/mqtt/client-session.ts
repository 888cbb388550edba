// What the MQTT packet handlers see of the session they handle a packet for. MqttSession
// implements every interface here; each handler takes the narrow one it needs, reads the session
// through read-only members and changes its state only through the methods named here. This
// module depends on leaf types only: the handlers import it, never mqtt-session.ts (which
// imports them).
import type { IConnectPacket } from 'mqtt-packet';
import type { AdmissionTicket } from '../admission/admission.js';
import type { AdmissionRefusal } from '../admission/refusal.js';
import type { MqttListenerOptions } from '../config/index.js';
import type { SubscriptionEntry } from '../delivery/subscription-entry.js';
import type { ListenerVhostGates } from '../gates/vhost-gates.js';
import type { VhostNamespace } from '../vhosts/vhost-namespace.js';
import type { VhostCounters } from '../vhosts/vhosts.js';
import type { ListenerGates } from '../gates/listener-gates.js';
import type { PublishGate } from '../gates/publish-gate.js';
import type { SubscriptionHandle, SubscriptionPattern } from '../topics/index.js';
import type { PendingEnhancedAuth } from './enhanced-auth.js';
import type { MqttConnection, ProtocolVersion } from './mqtt-connection.js';
import type { MqttContext } from './mqtt-context.js';
import type { SharedMembership } from './shared-groups.js';
import type { SharedFilter } from './shared-subscription-filter.js';
import type { StoredSession } from './stored-session.js';
import type { MqttSubscriptionOptions } from './subscription-options.js';
import type { InboundTopicAliases } from './topic-aliases.js';

/** 'authenticating': a v5 enhanced authentication exchange waits for the client's AUTH. */
export type MqttSessionState = 'awaiting-connect' | 'connecting' | 'authenticating' | 'active' | 'closing' | 'closed';

/** A CONNECT's will, as the packet carries it. */
export type ConnectWill = NonNullable<IConnectPacket['will']>;

/** Who an accepted CONNECT logged on as. */
export interface ClientLogon {
  /** The identity the LogonGate accepted. */
  readonly user: string;
  /** The client id, the CONNECT's or one assigned by the broker. */
  readonly clientId: string;
  /** The CONNECT's will, or null. */
  readonly will: ConnectWill | null;
}

/** The session while its CONNECT (and a v5 AUTH exchange) is handled: connect-handler.ts. */
export interface ConnectingClient {
  readonly id: string;
  readonly listenerName: string;
  readonly ctx: MqttContext;
  readonly options: MqttListenerOptions;
  readonly gates: Pick<ListenerGates, 'logon'>;
  /** The listener's vhosts, chosen from at CONNECT; null without vhosts. */
  readonly vhosts: ListenerVhostGates | null;
  /** Its vhost's hidden namespace, once chosen: its client id is kept there. */
  readonly namespace: VhostNamespace;
  /** The vhost is chosen: its gates are used from now on. */
  useGates(gates: ListenerGates): void;
  readonly connection: Pick<
    MqttConnection,
    'send' | 'sendEncoded' | 'protocolVersion' | 'remoteAddress' | 'transport' | 'startKeepAlive'
  >;
  readonly state: MqttSessionState;
  /** A refusal admission decided when the connection was accepted (answered at CONNECT), or null. */
  readonly acceptRefusal: AdmissionRefusal | null;
  /** The CONNECT arrived: packets are parsed and generated for `version` from now on (state 'connecting'). */
  beginConnect(version: ProtocolVersion, problemInformation: boolean): void;
  /** A challenge went out in AUTH: wait for the client's answer, within connectTimeoutMs (state 'authenticating'). */
  beginEnhancedAuth(pending: PendingEnhancedAuth): void;
  /** A packet arrived while authenticating: back to 'connecting'; returns the exchange waiting for it, if any. */
  takePendingAuth(): PendingEnhancedAuth | null;
  /** Admission let the connection in: its resource-limit group narrows the listener's limits. */
  admit(ticket: AdmissionTicket): void;
  /** Logged on (state 'active'): the client id is claimed, taking it over from another connection, and the will is armed. */
  activate(logon: ClientLogon): void;
  /** The client's v5 Receive Maximum and Maximum Packet Size bound what is sent to it. */
  respectClientLimits(receiveMaximum: number | undefined, maximumPacketSize: number | undefined): void;
  /** The Session Expiry Interval: `requestedSec`, at most `maxSec`; a persistent session counts among the user's live ones. */
  grantSessionExpiry(requestedSec: number, maxSec: number): void;
  /** Take over a kept session (Clean Start 0); its messages go out at resumeDeliveries(). */
  adopt(stored: StoredSession): void;
  /** After CONNACK: resend what the adopted session had not had acknowledged, then its queued messages. */
  resumeDeliveries(): void;
  closeQuietly(detail: string): void;
}

/** The session while a PUBLISH or PUBREL from its client is handled: publish-handler.ts. */
export interface PublishingClient {
  readonly ctx: MqttContext;
  readonly options: MqttListenerOptions;
  readonly connection: Pick<MqttConnection, 'send'>;
  readonly state: MqttSessionState;
  readonly user: string | null;
  readonly isV5: boolean;
  /** v5 Request Problem Information (false: no Reason Strings in PUBACK and PUBREC). */
  readonly problemInformation: boolean;
  /** Its vhost's hidden topic namespace (the default one without vhosts): what it publishes is routed there. */
  readonly namespace: VhostNamespace;
  /** Its vhost's counters ($SYS, metrics), or null without vhosts. */
  readonly vhostCounters: VhostCounters | null;
  /** v5 topic aliases this client set in its PUBLISH packets. */
  readonly topicAliases: InboundTopicAliases;
  readonly publishGate: PublishGate;
  /** For the PublishGate: a write entitlement whose rules do not compile. */
  readonly onInvalidRules: (err: unknown) => void;
  /** Publishes accepted from this client (the admin view's messagesIn). */
  messagesIn: number;
  /** QoS 2 packet ids received and answered with PUBREC, awaiting PUBREL. */
  readonly incomingQos2: ReadonlySet<number>;
  /** QoS 2 publish `id` was accepted (PUBREC 0x00): it awaits PUBREL. */
  awaitPubrel(id: number): void;
  /** PUBREL for `id`: the exchange is over; false when `id` awaited none. */
  pubrelArrived(id: number): boolean;
  /** An acknowledgement waits for the store: later ones queue behind it (ordered-acks.ts). */
  readonly acksWaiting: boolean;
  /** Send `ack` once `durable` resolves and the acknowledgements ahead have gone; if the write failed, close instead. */
  acknowledgeAfter(durable: Promise<void> | null, ack: () => void): void;
  protocolViolation(reason: number, detail: string): void;
  disconnectWith(reason: number, detail: string): void;
}

/** The session whose will is published as its user: will-message.ts. */
export interface WillPublisher {
  readonly id: string;
  readonly ctx: MqttContext;
  readonly user: string | null;
  readonly publishGate: PublishGate;
  readonly onInvalidRules: (err: unknown) => void;
}

/** The session a subscription just granted gets its retained messages in: retained-delivery.ts. */
export interface RetainedReceiver {
  readonly ctx: MqttContext;
  readonly state: MqttSessionState;
  /** Its subscriptions other than shared ones, by filter. */
  readonly subscriptions: ReadonlyMap<string, SubscriptionHandle<SubscriptionEntry>>;
}

/** The session while a SUBSCRIBE or UNSUBSCRIBE from its client is handled: subscribe-handler.ts. */
export interface SubscribingClient extends RetainedReceiver {
  readonly gates: Pick<ListenerGates, 'subscribe'>;
  /** Its vhost's hidden topic namespace: its subscriptions are made there. */
  readonly namespace: VhostNamespace;
  readonly connection: Pick<MqttConnection, 'send'>;
  readonly user: string | null;
  readonly isV5: boolean;
  /** v5 Request Problem Information (false: no Reason String in SUBACK). */
  readonly problemInformation: boolean;
  /** v5 shared subscriptions, by their whole `$share/{name}/{filter}` filter. */
  readonly sharedSubscriptions: ReadonlyMap<string, SharedMembership>;
  /** Subscriptions, shared ones included, it may hold at once. */
  readonly maxSubscriptions: number;
  /** Subscribe to `pattern` under `filter`, replacing a subscription with that filter [MQTT-3.8.4-3]; returns the new entry. */
  subscribe(filter: string, pattern: SubscriptionPattern, options: MqttSubscriptionOptions): SubscriptionEntry;
  /** Join the shared group of `shared` under `filter`, leaving it first if already a member (the new options replace the old). */
  joinShared(
    filter: string,
    shared: SharedFilter,
    pattern: SubscriptionPattern,
    options: MqttSubscriptionOptions,
  ): void;
  /** Drop the subscription (or shared membership) with `filter`; false when there was none. */
  unsubscribe(filter: string): boolean;
  protocolViolation(reason: number, detail: string): void;
}
