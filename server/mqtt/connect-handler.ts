// CONNECT: protocol checks, then the LogonGate (authentication with a user name and password, or
// a v5 enhanced authentication exchange of AUTH packets, see enhanced-auth.ts; the logon
// entitlement; client-id ownership; admission control, docs/admission.md), then CONNACK.
// Refusals answer CONNACK with the reason code (v5) or return code (v3.1.1) and close the
// connection [MQTT-3.2.2-5].
import { VhostNamespace } from '../vhosts/vhost-namespace.js';
import type { IAuthPacket, IConnackPacket, IConnectPacket, Packet } from 'mqtt-packet';
import type { LogonAttempt, LogonResult } from '../gates/logon-gate.js';
import { TopicError, validatePublishTopic } from '../topics/index.js';
import { ConnectAttempt, ENHANCED_AUTH_METHODS, PendingEnhancedAuth } from './enhanced-auth.js';
import type { ConnectingClient } from './client-session.js';
import { connackV3Code, reasonProperties, ReasonCodes } from './reason-codes.js';
import { mqttLogonRefusal } from './mqtt-refusals.js';
import { otherHolder } from './client-id-owner.js';
import { isPromiseLike } from '../security/decision.js';
import type { ClusterClients } from './cluster-clients.js';

/**
 * v3.1.1 CONNACKs of an accepted CONNECT, encoded once: 0x20, remaining length 2, Session Present,
 * return code 0 (spec 3.2). Every v3.1.1 logon sends one of these two.
 */
const CONNACK_V4_ACCEPTED = ownBuffer([0x20, 2, 0, 0]);
const CONNACK_V4_ACCEPTED_PRESENT = ownBuffer([0x20, 2, 1, 0]);

/** Bytes in a buffer of their own (Buffer.from would view the shared pool's 8 KiB slab, see ownChunk). */
function ownBuffer(bytes: number[]): Buffer {
  const buf = Buffer.alloc(bytes.length);
  buf.set(bytes);
  return buf;
}

/**
 * A v5 CONNECT property whose value the spec makes a Protocol Error (CONNACK 0x82, then close):
 * Receive Maximum 0 (MQTT 5 3.1.2.11.3) or Maximum Packet Size 0 (3.1.2.11.4). Checked before
 * authentication, which it would waste.
 */
function invalidConnectProperty(packet: IConnectPacket): string | null {
  const props = packet.properties;
  if (props === undefined) return null;
  if (props.receiveMaximum === 0) return 'Receive Maximum 0';
  if (props.maximumPacketSize === 0) return 'Maximum Packet Size 0';
  return null;
}

/** Synchronous when the LogonGate answers synchronously (no promise per logon then); else a promise to wait for. */
export function handleConnect(session: ConnectingClient, packet: IConnectPacket): void | Promise<void> {
  const version = packet.protocolVersion ?? 4;
  session.beginConnect(version, packet.properties?.requestProblemInformation !== false);
  const invalid = version === 5 ? invalidConnectProperty(packet) : null;
  if (invalid !== null) {
    session.ctx.stats.protocolErrors++;
    return refuse(session, ReasonCodes.PROTOCOL_ERROR, invalid, packet.username ?? '');
  }
  let user = packet.username ?? '';
  let clientId = packet.clientId;
  let assigned = false;
  if (clientId === '') {
    // [MQTT-3.1.3-8] v3.1.1: an empty client id needs a clean session; v5 and clean v3.1.1: assign one.
    if (version !== 5 && packet.clean === false)
      return refuse(session, ReasonCodes.CLIENT_IDENTIFIER_NOT_VALID, 'empty client id without clean session');
    clientId = `warden-${session.id}`;
    assigned = true;
  }
  if (packet.will !== undefined && packet.will !== null) {
    try {
      validatePublishTopic(packet.will.topic, session.ctx.topicLimits);
    } catch (err) {
      if (!(err instanceof TopicError)) throw err;
      return refuse(session, ReasonCodes.TOPIC_NAME_INVALID, `invalid will topic: ${err.message}`);
    }
  }
  const method = version === 5 ? (packet.properties?.authenticationMethod ?? null) : null;
  if (session.vhosts !== null) {
    // The vhost before the logon: its gates authenticate and entitle, its namespace holds the client id.
    const choice = session.vhosts.choose(session.connection.transport.hostNames?.(), packet.username);
    if (!choice.ok) {
      // Refused by the gate, so that it is logged, counted and audited as every refused logon is.
      const attempt = connectAttempt(session, packet, clientId, assigned, user, method);
      const detail = `${choice.reason}: ${choice.message}`;
      return answerLogon(session, attempt, session.gates.logon.refuseVhost(attempt.logon, user, detail));
    }
    session.useGates(choice.gates);
    user = choice.user ?? '';
  }
  // Client ids are one per vhost: the same id in two vhosts is two clients (docs/vhosts.md#isolation).
  clientId = session.namespace.topic(clientId);
  if (method !== null && !ENHANCED_AUTH_METHODS.has(method)) {
    return refuse(
      session,
      ReasonCodes.BAD_AUTHENTICATION_METHOD,
      `authentication method ${JSON.stringify(method)} not supported`,
      user,
    );
  }
  const attempt = connectAttempt(session, packet, clientId, assigned, user, method);
  const result = session.gates.logon.logon(attempt.logon);
  if (isPromiseLike(result)) return Promise.resolve(result).then((r) => answerLogon(session, attempt, r));
  return answerLogon(session, attempt, result);
}

/** This CONNECT's attempt: its packet, client id and user, and what the LogonGate is asked. */
function connectAttempt(
  session: ConnectingClient,
  packet: IConnectPacket,
  clientId: string,
  assigned: boolean,
  user: string,
  method: string | null,
): ConnectAttempt {
  const { ctx, connection } = session;
  const logon: LogonAttempt = {
    protocol: 'mqtt',
    session: session.id,
    request: {
      user,
      password: method === null ? packet.password?.toString('utf8') : undefined,
      token: undefined,
      mechanism: method ?? 'password',
      data: method === null ? undefined : (packet.properties?.authenticationData?.toString('utf8') ?? ''),
      remoteAddress: connection.remoteAddress,
      listener: session.listenerName,
      peerCertificate: connection.transport.peerCertificate?.(),
    },
    // Rate-limited when accepted: answered before any authentication work.
    acceptRefusal: session.acceptRefusal,
    // Only an exchange of AUTH packets can carry a challenge.
    challengeable: method !== null,
    stillWaiting: () => session.state === 'connecting',
    // mqtt.clientIdOwnership: checked in the same synchronous step as the takeover in accept().
    beforeAdmission:
      assigned || ctx.clientIdOwnership !== 'user'
        ? null
        : (identity) => clientIdHeldByOther(session, clientId, identity),
    // A takeover's old connection counts as gone.
    replaces: () => ctx.clientSession(clientId)?.admission ?? null,
  };
  return new ConnectAttempt(packet, clientId, assigned, user, method, logon);
}

function clientIdHeldByOther(session: ConnectingClient, clientId: string, identity: string): string | null {
  const holder = otherHolder(session.ctx, clientId, identity);
  if (holder === null) return null;
  session.ctx.stats.mqttClientIdRefused++;
  return `client id ${JSON.stringify(clientId)} is held by another user (${JSON.stringify(holder)})`;
}

/**
 * The client's AUTH while an enhanced authentication exchange waits for it: the answer goes to
 * the challenge's respond(). Anything else (another packet, another method, a reason other than
 * 0x18 Continue authentication) is a protocol error: CONNACK 0x82.
 */
export async function handleAuthDuringConnect(session: ConnectingClient, packet: Packet): Promise<void> {
  const pending = session.takePendingAuth();
  if (pending === null) return refuse(session, ReasonCodes.PROTOCOL_ERROR, 'no authentication exchange in progress');
  const { attempt } = pending;
  if (packet.cmd === 'disconnect') return session.closeQuietly('client disconnected during authentication');
  if (packet.cmd !== 'auth' || !continues(packet, attempt.method)) {
    return refuse(session, ReasonCodes.PROTOCOL_ERROR, `${packet.cmd} packet during authentication`, attempt.user);
  }
  const answer = packet.properties?.authenticationData?.toString('utf8') ?? '';
  return answerLogon(session, attempt, await session.gates.logon.respond(attempt.logon, pending.challenge, answer));
}

function continues(packet: IAuthPacket, method: string | null): boolean {
  return (
    packet.reasonCode === ReasonCodes.CONTINUE_AUTHENTICATION && packet.properties?.authenticationMethod === method
  );
}

/** The gate's answer: a CONNACK refusal, its challenge in AUTH (enhanced authentication only), or CONNACK. */
function answerLogon(session: ConnectingClient, attempt: ConnectAttempt, result: LogonResult): void | Promise<void> {
  if (session.state !== 'connecting') {
    // Closed between the gate's answer and this continuation: an admission it took is given back.
    if (result.kind === 'accepted') result.ticket.release();
    return;
  }
  switch (result.kind) {
    case 'abandoned':
      return;
    case 'refused': {
      const { reasonCode, text } = mqttLogonRefusal(result);
      return sendRefusal(session, reasonCode, text);
    }
    case 'challenge':
      session.beginEnhancedAuth(new PendingEnhancedAuth(attempt, result.challenge));
      session.connection.send({
        cmd: 'auth',
        reasonCode: ReasonCodes.CONTINUE_AUTHENTICATION,
        properties: {
          authenticationMethod: attempt.method!,
          authenticationData: Buffer.from(result.challenge.data, 'utf8'),
        },
      });
      return;
    case 'accepted':
      break;
  }
  const cluster = session.ctx.cluster;
  // In a cluster the client id is taken cluster-wide first (an id the broker assigned is unique already).
  if (cluster !== null && !attempt.assigned) return takeOverThenAccept(session, attempt, result, cluster);
  admitAndAccept(session, attempt, result);
}

type Accepted = Extract<LogonResult, { kind: 'accepted' }>;

function admitAndAccept(session: ConnectingClient, attempt: ConnectAttempt, result: Accepted): void {
  session.admit(result.ticket);
  const { packet, clientId, assigned, method } = attempt;
  accept(session, packet, result.identity, clientId, assigned, method, method === null ? undefined : result.data);
}

/**
 * The cluster's part of a CONNECT: the client id is taken from the node that held it (its
 * connection closes there, as in a local takeover), and its kept session comes here from the
 * shared store, so that accept() resumes it as if it had been kept here.
 */
async function takeOverThenAccept(
  session: ConnectingClient,
  attempt: ConnectAttempt,
  result: Accepted,
  cluster: ClusterClients,
): Promise<void> {
  const { ctx } = session;
  const { packet, clientId } = attempt;
  const outcome = await cluster.takeOver(
    clientId,
    result.identity,
    packet.clean !== false,
    ctx.persistentSessions.has(clientId),
  );
  if (session.state !== 'connecting') {
    // Closed meanwhile: the admission it took is given back.
    result.ticket.release();
    return;
  }
  if (outcome.kind === 'refused') {
    result.ticket.release();
    ctx.stats.mqttClientIdRefused++;
    return refuse(
      session,
      ReasonCodes.CLIENT_IDENTIFIER_NOT_VALID,
      `client id ${JSON.stringify(clientId)} is held by another user (${JSON.stringify(outcome.user)}) on another node`,
      result.identity,
    );
  }
  if (outcome.session !== null) ctx.adoptSession(outcome.session);
  admitAndAccept(session, attempt, result);
}

function accept(
  session: ConnectingClient,
  packet: IConnectPacket,
  identity: string,
  clientId: string,
  assigned: boolean,
  method: string | null,
  serverData: string | undefined,
): void {
  const { ctx, options, connection } = session;
  session.activate({ user: identity, clientId, will: packet.will ?? null });
  let keepAlive = packet.keepalive ?? 0;
  const max = options.keepAliveMaxSec;
  const capped = max !== undefined && (keepAlive === 0 || keepAlive > max);
  if (capped) keepAlive = max;
  const v5 = packet.protocolVersion === 5;
  // v3.1.1 cannot be told a shorter keepalive: its own value is enforced.
  connection.startKeepAlive(v5 || !capped ? keepAlive : (packet.keepalive ?? 0));
  if (v5) session.respectClientLimits(packet.properties?.receiveMaximum, packet.properties?.maximumPacketSize);
  // v5: the client's Session Expiry Interval; v3.1.1 Clean Session 0: "never" -- both capped, to 0
  // when the user already has mqtt.sessions.maxSessionsPerUser (v5 clients are told, below).
  const store = ctx.persistentSessions;
  const requestedExpiry = v5
    ? (packet.properties?.sessionExpiryInterval ?? 0)
    : packet.clean === false
      ? store.limits.maxExpirySec
      : 0;
  const maxExpirySec = requestedExpiry > 0 && !store.mayPersist(identity, clientId) ? 0 : store.limits.maxExpirySec;
  session.grantSessionExpiry(requestedExpiry, maxExpirySec);
  // [MQTT-3.1.2-4] Clean Start 1 discards a kept session; 0 resumes it, if it was the same user's.
  let sessionPresent = false;
  if (packet.clean !== false) ctx.persistentSessions.discard(clientId);
  else {
    const stored = ctx.persistentSessions.take(clientId);
    if (stored !== undefined && stored.user === identity) {
      session.adopt(stored);
      sessionPresent = true;
    } else if (stored !== undefined) {
      ctx.log.info(
        { clientId, user: identity, previousUser: stored.user },
        'MQTT session of another user not resumed; discarded',
      );
      ctx.persistentSessions.forget(stored);
      stored.dispose();
    }
  }
  // The fields are built only when the line is logged: a storm makes thousands per second.
  if (ctx.log.isLevelEnabled('info'))
    ctx.log.info(
      {
        session: session.id,
        user: identity,
        clientId: VhostNamespace.clientTopic(clientId),
        ...(session.namespace.prefix === '' ? {} : { vhost: session.namespace.name }),
        listener: session.listenerName,
        remote: connection.remoteAddress,
        protocolVersion: packet.protocolVersion,
      },
      'MQTT logon',
    );
  if (!v5) {
    connection.sendEncoded(sessionPresent ? CONNACK_V4_ACCEPTED_PRESENT : CONNACK_V4_ACCEPTED);
    return session.resumeDeliveries();
  }
  const connack: IConnackPacket = {
    cmd: 'connack',
    sessionPresent,
    reasonCode: ReasonCodes.SUCCESS,
    properties: {
      maximumPacketSize: options.maxPacketBytes,
      topicAliasMaximum: options.topicAliasMaximum,
      receiveMaximum: options.receiveMaximum,
      sharedSubscriptionAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      ...(assigned ? { assignedClientIdentifier: VhostNamespace.clientTopic(clientId) } : {}),
      ...(method === null ? {} : { authenticationMethod: method }),
      ...(serverData === undefined ? {} : { authenticationData: Buffer.from(serverData, 'utf8') }),
      ...(capped ? { serverKeepAlive: keepAlive } : {}),
      ...(requestedExpiry > maxExpirySec ? { sessionExpiryInterval: maxExpirySec } : {}),
    },
  };
  connection.send(connack);
  session.resumeDeliveries();
}

/** A refused CONNECT closes the connection (*Securing AMPS*); the reason is logged, never sent. */
function refuse(session: ConnectingClient, reason: number, why: string, user = ''): void {
  const { ctx, connection } = session;
  ctx.stats.logonFailures++;
  ctx.stats.logonsRefusedProtocol++;
  ctx.log.warn(
    {
      protocol: 'mqtt',
      session: session.id,
      user,
      listener: session.listenerName,
      remote: connection.remoteAddress,
      reason: why,
    },
    'logon refused',
  );
  sendRefusal(session, reason);
}

function sendRefusal(session: ConnectingClient, reason: number, text?: string): void {
  const connection = session.connection;
  const v5 = connection.protocolVersion === 5;
  connection.send(
    v5
      ? { cmd: 'connack', sessionPresent: false, reasonCode: reason, ...reasonProperties(reason, text) }
      : { cmd: 'connack', sessionPresent: false, returnCode: connackV3Code(reason) },
  );
  session.closeQuietly('logon refused');
}
