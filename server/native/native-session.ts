// One native-protocol connection: logon (with challenges and implicit logon), entitlement checks
// on subscribe and publish, subscriptions, and the command handlers. Transport-neutral: whole
// frames in, whole frames out (TransportConnection).
//
// Commands run strictly in arrival order. A command that must wait (an authentication module, an
// entitlement module that answers asynchronously) parks the ones behind it until it is done.
import type { EntitlementService } from '../security/entitlement-service.js';
import {
  CloseCodes,
  ErrorCodes,
  SUBPROTOCOL_JSON,
  SUBPROTOCOL_MSGPACK,
  type Encoding,
  type ErrorCode,
  type RequestId,
  type ServerFrame,
  type SubscriptionId,
} from '../../protocol/native.js';
import { BrokerError } from '../errors.js';
import { patternText, type ConnectionInfo } from '../admin/connection-list.js';
import { encodeFrame } from './codec.js';
import type { ParsedCommand } from './command-parser.js';
import { parseFrame } from './frame-parser.js';
import { SubscriptionEntry, type HoldingPlan, type NativeDeliveryTarget } from '../delivery/subscription-entry.js';
import type { PendingRead } from '../delivery/read-access.js';
import { Message } from '../delivery/message.js';
import { filterFor, selectFor } from '../content/content-rules.js';
import { FilterError, type CompiledFilter, type FilterSyntax } from '../content/filter/index.js';
import { SelectError, type CompiledSelect } from '../content/select/index.js';
import type { RegexLease, SubscriptionHandle, SubscriptionPattern } from '../topics/index.js';
import type { MessageConnection, TransportHandler } from '../transports/transport.js';
import type { SharedFrame } from '../transports/shared-frame.js';
import { isPromiseLike, type Decision } from '../security/decision.js';
import type { LogonRequest } from '../security/module-types.js';
import type { TopicSubscription } from '../security/reevaluation.js';
import type { AdmissionRefusal } from '../admission/refusal.js';
import type { AdmissionTicket } from '../admission/admission.js';
import type { Challenge, LogonAttempt, LogonRefused, LogonResult } from '../gates/logon-gate.js';
import type { ListenerGates } from '../gates/listener-gates.js';
import type { ListenerVhostGates } from '../gates/vhost-gates.js';
import { VhostNamespace } from '../vhosts/vhost-namespace.js';
import type { PublishGate } from '../gates/publish-gate.js';
import type { SessionContext, SessionLimits } from '../session/session-context.js';
import type { HeldSink } from '../session/held-deliveries.js';
import { HeldDeliveryGate, logDeliveryError, warnInvalidRules } from '../session/held-delivery-gate.js';
import { OrderedInbound, type InboundHandler } from '../session/ordered-inbound.js';
import { nativeLogonRefusal, nativePublishRefusal, nativeSubscribeRefusal } from './native-refusals.js';
import type { TimerHandle } from '../timers.js';

type SessionState = 'awaiting-logon' | 'logging-on' | 'challenged' | 'active' | 'closing' | 'closed';
type LogonCommand = Extract<ParsedCommand, { op: 'logon' }>;
interface SubscriberContent {
  readonly filter: CompiledFilter | null;
  readonly select: CompiledSelect | null;
}

/** Errors that mean the client is not speaking the protocol; they count toward maxProtocolErrors. */
const PROTOCOL_VIOLATIONS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.BAD_FRAME,
  ErrorCodes.FRAME_TOO_LARGE,
  ErrorCodes.UNKNOWN_COMMAND,
  ErrorCodes.INVALID_FIELD,
  ErrorCodes.NOT_LOGGED_ON,
  ErrorCodes.ALREADY_LOGGED_ON,
  ErrorCodes.NO_CHALLENGE,
]);

interface InboundFrame {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

export class NativeSession
  implements TransportHandler, NativeDeliveryTarget, HeldSink<SharedFrame, null>, InboundHandler<InboundFrame>
{
  readonly kind = 'native';
  readonly id: string;
  private state: SessionState = 'awaiting-logon';
  private user: string | null = null;
  private readonly subscriptions = new Map<SubscriptionId, SubscriptionHandle<SubscriptionEntry>>();
  /** The regex budget held by each regex subscription, given back when it ends. */
  private readonly regexLeases = new Map<SubscriptionId, RegexLease>();
  private protocolErrors = 0;
  private logonTimer: TimerHandle | null = null;
  private readonly inbound: OrderedInbound<InboundFrame>;
  /** A challenge the client has to answer: the attempt goes on with its answer. */
  private challenge: { rid: RequestId; answer: Challenge; attempt: LogonAttempt } | null = null;
  /** The write entitlement, topic rate and write filter of this connection's publishes. */
  private publishGate: PublishGate;
  private readonly held: HeldDeliveryGate<SharedFrame, null>;
  /** Admission: the refusal decided when the connection was accepted (answered at logon), and the ticket once admitted. */
  private acceptRefusal: AdmissionRefusal | null = null;
  private admission: AdmissionTicket | null = null;
  // Per-connection limits: the listener's until logon, then narrowed by the user's resource-limit group.
  private maxSubscriptions: number;
  private maxSendQueueBytes: number;
  /** For the admin view (GET /admin/connections). */
  private readonly connectedAt = Date.now();
  private messagesIn = 0;
  private messagesOut = 0;

  constructor(
    private readonly connection: MessageConnection,
    readonly encoding: Encoding,
    readonly listenerName: string,
    private readonly limits: SessionLimits,
    /** The listener's gates; with vhosts, the chosen vhost's from logon on. */
    private gates: ListenerGates,
    private readonly ctx: SessionContext,
    private readonly onGone: (session: NativeSession) => void,
    /** The listener's vhosts, chosen from at logon; null without vhosts. */
    private readonly vhosts: ListenerVhostGates | null = null,
  ) {
    this.id = ctx.newSessionId();
    this.maxSubscriptions = limits.maxSubscriptionsPerConnection;
    this.maxSendQueueBytes = limits.maxSendQueueBytes;
    this.publishGate = gates.publishGate('native');
    this.held = new HeldDeliveryGate(ctx.maxPendingDeliveries, this, ctx.stats);
    this.inbound = new OrderedInbound<InboundFrame>(connection, this);
    if (limits.logonTimeoutMs > 0) {
      this.logonTimer = ctx.timers.setTimeout(() => this.onLogonTimeout(), limits.logonTimeoutMs);
    }
  }

  /** Asked by the logon queue when this connection's turn comes: a closed connection's check is skipped. */
  private readonly stillLoggingOn = (): boolean => this.state === 'logging-on';

  /** The publish gate reports a write entitlement whose rules do not compile (once per connection). */
  private readonly onInvalidRules = (err: unknown): void => this.reportInvalidRules(err);

  /** Its listener's entitlements, or its vhost's once logged on in one. */
  get entitlements(): EntitlementService {
    return this.gates.entitlements;
  }

  get userName(): string | null {
    return this.user;
  }

  get isLoggedOn(): boolean {
    return this.state === 'active';
  }

  readonly protocol = 'native';

  get queuedBytes(): number {
    return this.connection.bufferedAmount();
  }

  get isOpen(): boolean {
    return this.state !== 'closing' && this.state !== 'closed';
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  describe(): ConnectionInfo {
    return {
      id: this.id,
      user: this.user,
      remoteAddress: this.connection.remoteAddress,
      listener: this.listenerName,
      protocol: 'native',
      version: this.encoding === 'msgpack' ? SUBPROTOCOL_MSGPACK : SUBPROTOCOL_JSON,
      clientId: null,
      loggedOn: this.state === 'active',
      subscriptions: this.subscriptions.size,
      queuedBytes: this.queuedBytes,
      connectedAt: new Date(this.connectedAt).toISOString(),
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      ...(this.gates.vhost === null ? {} : { vhost: this.gates.vhost.name }),
    };
  }

  get vhostName(): string | null {
    return this.gates.vhost?.name ?? null;
  }

  subscriptionPatterns(): string[] {
    return [...this.subscriptions.values()].map((handle) => VhostNamespace.clientTopic(patternText(handle.pattern)));
  }

  /** Literal-topic subscriptions, for a re-evaluation of their read entitlement (server/security/reevaluation.ts). */
  revocableSubscriptions(): TopicSubscription[] {
    const out: TopicSubscription[] = [];
    for (const [sid, handle] of this.subscriptions)
      if (handle.pattern.kind === 'exact') out.push({ sid, topic: VhostNamespace.clientTopic(handle.pattern.topic) });
    return out;
  }

  /** A re-evaluation denied this subscription's read: it ends here, and the client is told (ENTITLEMENT_REVOKED with its sid). */
  revokeSubscription(sid: SubscriptionId, topic: string): void {
    const handle = this.subscriptions.get(sid);
    if (handle === undefined || this.state !== 'active') return;
    this.subscriptions.delete(sid);
    this.ctx.engine.remove(handle);
    this.releaseRegexLease(sid);
    this.ctx.log.info(
      { session: this.id, user: this.user, sid, topic },
      'subscription revoked by a re-evaluation of entitlements',
    );
    this.sendFrame({
      op: 'error',
      code: ErrorCodes.ENTITLEMENT_REVOKED,
      message: `no longer entitled to read "${topic}": the subscription was ended`,
      sid,
    });
  }

  /**
   * Admission refused this connection when it was accepted: a disabled protocol is closed at once
   * (netconfd-pro, *Session Admission Control*: "dropped right away"); a rate refusal is the answer to its logon, with the rid.
   */
  refuseAtAccept(refusal: AdmissionRefusal): void {
    if (refusal.kind === 'protocol-disabled') return this.close(CloseCodes.LOGON_FAILED, 'native protocol disabled');
    this.acceptRefusal = refusal;
  }

  // ---- inbound -------------------------------------------------------------------------------

  /** A socket event (entry point): anything it throws closes this connection only. */
  onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    try {
      this.inbound.accept({ data, isBinary });
    } catch (err) {
      this.contain(err, 'input');
    }
  }

  // ---- OrderedInbound's handler (the session itself: no closures per connection) ---------------

  inboundOpen(): boolean {
    return this.state !== 'closing' && this.state !== 'closed';
  }

  inboundFailed(err: unknown): void {
    this.contain(err, 'input');
  }

  handleInbound(frame: InboundFrame): void {
    let command: ParsedCommand;
    try {
      command = parseFrame(this.encoding, frame.data, frame.isBinary, this.limits.maxFrameBytes);
    } catch (err) {
      return this.refuse(err);
    }
    // The frame is the message as the client sent it: its size is known here, before any work.
    if (command.op === 'publish') {
      const tooLarge = this.publishGate.checkSize(frame.data.length);
      if (tooLarge !== null) return this.refuse(nativePublishRefusal(tooLarge, command.topic, command.rid));
    }
    let waiting: void | Promise<void>;
    try {
      waiting = this.dispatch(command);
    } catch (err) {
      return this.refuse(err);
    }
    if (waiting !== undefined) this.inbound.waitFor(waiting, (err) => this.refuse(err));
  }

  private dispatch(command: ParsedCommand): void | Promise<void> {
    if (command.op === 'logon') return this.logon(command);
    if (command.op === 'auth') return this.answerChallenge(command);
    if (this.state !== 'active') {
      if (this.state === 'awaiting-logon' && this.implicitLogonGates() !== null) return this.implicitLogon(command);
      throw new BrokerError(
        ErrorCodes.NOT_LOGGED_ON,
        `"${command.op}" before logon; send logon first`,
        command.rid,
        command.op,
      );
    }
    switch (command.op) {
      case 'publish':
        return this.publish(command);
      case 'subscribe':
        return this.subscribe(command);
      case 'unsubscribe':
        return this.unsubscribe(command);
      case 'ping':
        return this.ack(command.rid);
    }
  }

  // ---- logon: the LogonGate, answered in native frames ----------------------------------------

  private async logon(command: LogonCommand): Promise<void> {
    if (this.state !== 'awaiting-logon') {
      throw new BrokerError(
        ErrorCodes.ALREADY_LOGGED_ON,
        'this connection is already logged on or logging on',
        command.rid,
        'logon',
      );
    }
    this.state = 'logging-on';
    const mechanism = command.mechanism ?? (command.token !== undefined ? 'token' : 'password');
    const credentials = { password: command.password, token: command.token, mechanism, data: command.data };
    let attempt = this.logonAttempt({ user: command.user, ...credentials }, true);
    if (this.vhosts !== null) {
      const choice = this.vhosts.choose(this.connection.hostNames?.(), command.user);
      if (!choice.ok) {
        const refused = this.gates.logon.refuseVhost(attempt, command.user, `${choice.reason}: ${choice.message}`);
        return this.answerLogon(refused, attempt, command.rid);
      }
      this.useGates(choice.gates);
      attempt = this.logonAttempt({ user: choice.user ?? '', ...credentials }, true);
    }
    this.answerLogon(await this.gates.logon.logon(attempt), attempt, command.rid);
  }

  /** The gates an implicit logon would use, if their module allows one; null: it is not allowed. */
  private implicitLogonGates(): ListenerGates | null {
    if (this.vhosts === null) return this.gates.logon.allowsImplicitLogon ? this.gates : null;
    const choice = this.vhosts.choose(this.connection.hostNames?.(), undefined);
    return choice.ok && choice.gates.logon.allowsImplicitLogon ? choice.gates : null;
  }

  /** From logon on, the connection is in its vhost: its gates, and with them its topic namespace. */
  private useGates(gates: ListenerGates): void {
    if (gates === this.gates) return;
    this.gates = gates;
    this.publishGate = gates.publishGate('native');
  }

  /** A command before logon, with a module that allows it: log on with an empty name, then run the command. */
  private async implicitLogon(command: Exclude<ParsedCommand, LogonCommand | { op: 'auth' }>): Promise<void> {
    this.state = 'logging-on';
    const gates = this.implicitLogonGates();
    if (gates !== null) this.useGates(gates);
    // A challenge cannot be answered without a logon command: an implicit logon must be accepted outright.
    const attempt = this.logonAttempt(
      { user: '', password: undefined, token: undefined, mechanism: 'implicit', data: undefined },
      false,
    );
    this.answerLogon(await this.gates.logon.logon(attempt), attempt, command.rid, false);
    if (!this.isLoggedOn) return; // (a getter: TS would keep the narrowing from before the await)
    const waiting = this.dispatch(command);
    if (waiting !== undefined) await waiting;
  }

  private async answerChallenge(command: Extract<ParsedCommand, { op: 'auth' }>): Promise<void> {
    const challenge = this.challenge;
    if (this.state !== 'challenged' || challenge === null || challenge.rid !== command.rid) {
      throw new BrokerError(
        ErrorCodes.NO_CHALLENGE,
        'no logon challenge is waiting for an answer with this rid',
        command.rid,
        'auth',
      );
    }
    this.challenge = null;
    this.state = 'logging-on';
    const result = await this.gates.logon.respond(challenge.attempt, challenge.answer, command.data);
    this.answerLogon(result, challenge.attempt, command.rid);
  }

  private logonAttempt(
    credentials: Pick<LogonRequest, 'user' | 'password' | 'token' | 'mechanism' | 'data'>,
    challengeable: boolean,
  ): LogonAttempt {
    const connection = this.connection;
    return {
      protocol: 'native',
      session: this.id,
      request: {
        ...credentials,
        remoteAddress: connection.remoteAddress,
        listener: this.listenerName,
        peerCertificate: connection.peerCertificate?.(),
      },
      acceptRefusal: this.acceptRefusal,
      challengeable,
      stillWaiting: this.stillLoggingOn,
      beforeAdmission: null,
      replaces: null,
    };
  }

  /** The gate's answer as frames: a challenge, a refusal (then close 4003), or the logon ack. */
  private answerLogon(result: LogonResult, attempt: LogonAttempt, rid: RequestId | undefined, ackLogon = true): void {
    if (this.state !== 'logging-on') {
      // Closed between the gate's answer and this continuation: an admission it took is given back.
      if (result.kind === 'accepted') result.ticket.release();
      return;
    }
    switch (result.kind) {
      case 'abandoned':
        return;
      case 'challenge':
        this.state = 'challenged';
        this.challenge = { rid: rid!, answer: result.challenge, attempt };
        this.sendFrame({ op: 'challenge', rid: rid!, data: result.challenge.data });
        return;
      case 'refused':
        return this.refuseLogon(rid, result);
      case 'accepted':
        break;
    }
    const { identity, ticket } = result;
    this.admit(ticket);
    this.connection.loggedOn(); // its slot of admission.maxUnauthenticated is free again
    this.user = identity;
    this.state = 'active';
    if (this.logonTimer !== null) this.ctx.timers.clearTimeout(this.logonTimer);
    this.logonTimer = null;
    this.ctx.log.info(
      { session: this.id, user: identity, listener: this.listenerName, remote: this.connection.remoteAddress },
      'logon',
    );
    if (ackLogon)
      this.sendFrame({
        op: 'ack',
        rid: rid!,
        user: identity,
        session: this.id,
        ...(result.data !== undefined ? { data: result.data } : {}),
      });
  }

  /** The user's resource-limit group narrows the listener's limits for this connection (the smaller applies). */
  private admit(ticket: AdmissionTicket): void {
    this.admission = ticket;
    const group = ticket.group;
    if (group.maxSubscriptions < this.maxSubscriptions) this.maxSubscriptions = group.maxSubscriptions;
    if (group.maxQueuedBytes < this.maxSendQueueBytes) this.maxSendQueueBytes = group.maxQueuedBytes;
    const vhostMax = ticket.vhostSeat?.group?.maxSubscriptions;
    if (vhostMax !== undefined && vhostMax < this.maxSubscriptions) this.maxSubscriptions = vhostMax;
    this.publishGate.admit(ticket);
  }

  /** A refused logon closes the connection (*Securing AMPS*); the gate logged why, and the client gets a fixed text. */
  private refuseLogon(rid: RequestId | undefined, refused: LogonRefused): void {
    const { code, message, close } = nativeLogonRefusal(refused);
    this.sendFrame({ op: 'error', rid, code, message, cmd: 'logon' });
    this.close(CloseCodes.LOGON_FAILED, close);
  }

  // ---- publish and subscribe: the PublishGate and SubscribeGate, answered in native frames ----

  private publish(command: Extract<ParsedCommand, { op: 'publish' }>): void | Promise<void> {
    const invalid = this.publishGate.checkTopic(command.topic);
    if (invalid !== null) throw nativePublishRefusal(invalid, command.topic, command.rid);
    const decision = this.publishGate.decide(this.user!, command.topic);
    if (isPromiseLike(decision)) return decision.then((d) => this.finishPublish(command, d));
    this.finishPublish(command, decision);
  }

  private finishPublish(command: Extract<ParsedCommand, { op: 'publish' }>, decision: Decision): void {
    if (this.state !== 'active') return;
    const stats = this.ctx.stats;
    const message = new Message(this.gates.namespace.topic(command.topic), command.payload, stats);
    const refused = this.publishGate.authorize(decision, message, 'counted', this.onInvalidRules);
    if (refused !== null) throw nativePublishRefusal(refused, command.topic, command.rid);
    stats.messagesPublished++;
    this.messagesIn++;
    const sent = this.ctx.router.publish(message);
    stats.deliveries += sent;
    this.gates.vhost?.counters.published(sent);
    if (command.ack) this.ack(command.rid!);
  }

  private subscribe(command: Extract<ParsedCommand, { op: 'subscribe' }>): void | Promise<void> {
    const { rid, sid } = command;
    if (this.subscriptions.has(sid)) throw duplicateSubscription(sid, rid);
    const gate = this.gates.subscribe;
    const full = gate.checkRoom(this.subscriptions.size, this.maxSubscriptions);
    if (full !== null) throw nativeSubscribeRefusal(full, rid);
    const parsed = gate.parse(this.user!, command.topic, command.regex);
    if (parsed.kind === 'refused') throw nativeSubscribeRefusal(parsed, rid);
    const { pattern, lease } = parsed;
    let content: SubscriberContent;
    try {
      content = this.compileContentRules(command.filter, command.filterSyntax, command.select, rid);
    } catch (err) {
      lease?.release();
      throw err;
    }
    if (lease !== null) this.regexLeases.set(sid, lease);
    const decision = gate.decide(this.user!, pattern);
    if (!isPromiseLike(decision)) return this.finishSubscribe(sid, rid, pattern, content, decision);
    return decision.then((d) => this.finishSubscribe(sid, rid, pattern, content, d));
  }

  private compileContentRules(
    filter: string | undefined,
    filterSyntax: FilterSyntax | undefined,
    select: string | undefined,
    rid: RequestId,
  ): SubscriberContent {
    try {
      return {
        filter: filter === undefined ? null : filterFor(filter, filterSyntax ?? this.ctx.filterSyntax),
        select: select === undefined ? null : selectFor(select),
      };
    } catch (err) {
      if (err instanceof FilterError) throw new BrokerError(ErrorCodes.INVALID_FILTER, err.message, rid, 'subscribe');
      if (err instanceof SelectError) throw new BrokerError(ErrorCodes.INVALID_SELECT, err.message, rid, 'subscribe');
      throw err;
    }
  }

  private finishSubscribe(
    sid: SubscriptionId,
    rid: RequestId,
    pattern: SubscriptionPattern,
    content: SubscriberContent,
    decision: Decision,
  ): void {
    if (this.state !== 'active') return;
    const refused = this.gates.subscribe.conclude(decision, pattern, this.user!, 'native');
    if (refused !== null) throw nativeSubscribeRefusal(refused, rid);
    // The sid may have been taken while the check was pending.
    if (this.subscriptions.has(sid)) throw duplicateSubscription(sid, rid);
    this.addSubscription(sid, rid, pattern, content);
  }

  private addSubscription(
    sid: SubscriptionId,
    rid: RequestId,
    pattern: Parameters<SessionContext['engine']['add']>[0],
    content: SubscriberContent,
  ): void {
    const handle = this.ctx.engine.add(
      this.gates.namespace.pattern(pattern),
      new SubscriptionEntry(this, sid, content.filter, content.select),
    );
    this.subscriptions.set(sid, handle);
    this.ack(rid);
  }

  private unsubscribe(command: Extract<ParsedCommand, { op: 'unsubscribe' }>): void {
    const handle = this.subscriptions.get(command.sid);
    if (handle === undefined) {
      throw new BrokerError(
        ErrorCodes.UNKNOWN_SUBSCRIPTION,
        `no subscription with id ${command.sid} on this connection`,
        command.rid,
        'unsubscribe',
      );
    }
    this.subscriptions.delete(command.sid);
    this.ctx.engine.remove(handle);
    this.releaseRegexLease(command.sid);
    this.ack(command.rid);
  }

  private releaseRegexLease(sid: SubscriptionId): void {
    const lease = this.regexLeases.get(sid);
    if (lease === undefined) return;
    this.regexLeases.delete(sid);
    lease.release();
  }

  private refuse(err: unknown): void {
    if (!(err instanceof BrokerError)) {
      this.ctx.log.error({ err, session: this.id }, 'unexpected error handling a command');
      err = new BrokerError(ErrorCodes.INTERNAL, 'internal broker error');
    }
    const { code, message, rid, cmd } = err as BrokerError;
    this.sendFrame({ op: 'error', rid, code, message, cmd });
    if (!PROTOCOL_VIOLATIONS.has(code)) return;
    this.ctx.stats.protocolErrors++;
    if (++this.protocolErrors >= this.limits.maxProtocolErrors) {
      this.ctx.stats.abusiveDisconnects++;
      this.ctx.log.warn(
        { session: this.id, remote: this.connection.remoteAddress, lastError: code },
        'closing connection after repeated protocol errors',
      );
      this.close(CloseCodes.POLICY_VIOLATION, `too many protocol errors (${this.protocolErrors}); last: ${code}`);
    }
  }

  private onLogonTimeout(): void {
    this.logonTimer = null;
    if (this.state === 'active' || this.state === 'closing' || this.state === 'closed') return;
    this.ctx.stats.logonTimeouts++;
    try {
      this.close(CloseCodes.LOGON_TIMEOUT, `no logon within ${this.limits.logonTimeoutMs} ms`);
    } catch (err) {
      this.contain(err, 'logon timer');
    }
  }

  /**
   * An unexpected error at one of this connection's entry points (socket event, timer, promise
   * continuation): logged with where it happened, counted (connectionErrors), and this connection
   * closed with 1011. Nothing else is affected; never throws.
   */
  private contain(err: unknown, where: string): void {
    this.ctx.stats.connectionErrors++;
    try {
      this.ctx.log.error(
        { err, session: this.id, user: this.user, remote: this.connection.remoteAddress, where },
        'unexpected error; closing this connection',
      );
      this.close(CloseCodes.INTERNAL_ERROR, `internal error (${where})`);
    } catch {
      this.connection.terminate();
    }
  }

  // ---- delivery (DeliveryTarget) -------------------------------------------------------------

  readAccess(topic: string): Decision | Promise<Decision> {
    return this.gates.readAccess(this.user ?? '', topic);
  }

  sendDelivery(frame: SharedFrame): void {
    if (this.state !== 'active') return;
    if (this.held.queueBehindHeld(frame, null)) return;
    this.sendNow(frame);
  }

  sendNow(frame: SharedFrame): void {
    this.messagesOut++;
    this.connection.sendShared(frame);
    this.checkSendQueue();
  }

  holdDelivery(pending: PendingRead, plan: HoldingPlan, index: number, message: Message): void {
    if (this.state !== 'active') return;
    this.held.hold(pending, plan, index, message);
  }

  releaseHeld(): void {
    if (this.state !== 'active') return;
    this.held.release();
  }

  reportInvalidRules(err: unknown): void {
    warnInvalidRules(this.ctx.log, { session: this.id, user: this.user }, err);
  }

  reportDeliveryError(err: unknown, topic: string): void {
    logDeliveryError(this.ctx.log, { session: this.id, user: this.user }, err, topic);
  }

  // ---- outbound ------------------------------------------------------------------------------

  private ack(rid: RequestId): void {
    this.sendFrame({ op: 'ack', rid });
  }

  private sendFrame(frame: ServerFrame): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.connection.send(encodeFrame(this.encoding, frame), null);
    this.checkSendQueue();
  }

  private checkSendQueue(): void {
    const queued = this.connection.bufferedAmount();
    if (queued <= this.maxSendQueueBytes) return;
    this.ctx.stats.slowConsumerDisconnects++;
    this.ctx.log.warn(
      { session: this.id, user: this.user, remote: this.connection.remoteAddress, queuedBytes: queued },
      'disconnecting slow consumer',
    );
    this.close(CloseCodes.SLOW_CONSUMER, `slow consumer: more than ${this.maxSendQueueBytes} bytes unsent`);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Start closing: stop routing to this session at once, then close the socket. */
  close(code: number, reason: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.release();
    this.connection.close(code, reason);
  }

  onClose(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.logonTimer !== null) this.ctx.timers.clearTimeout(this.logonTimer);
    this.logonTimer = null;
    try {
      this.release();
      // At info for a logged-on connection (its logon was too); at debug for the rest (storms).
      const fields = {
        session: this.id,
        user: this.user,
        listener: this.listenerName,
        remote: this.connection.remoteAddress,
        code,
        reason,
      };
      if (this.user !== null) this.ctx.log.info(fields, 'disconnect');
      else this.ctx.log.debug(fields, 'connection closed');
    } catch (err) {
      this.contain(err, 'close');
    }
    this.onGone(this);
  }

  private release(): void {
    // However the connection ends, its admission count is given back once (the ticket ignores repeats).
    this.admission?.release();
    this.ctx.engine.removeAll(this.subscriptions.values());
    this.subscriptions.clear();
    for (const lease of this.regexLeases.values()) lease.release();
    this.regexLeases.clear();
    this.held.clear();
    this.inbound.clear();
    this.challenge = null;
  }
}

function duplicateSubscription(sid: SubscriptionId, rid: RequestId): BrokerError {
  return new BrokerError(
    ErrorCodes.DUPLICATE_SUBSCRIPTION,
    `subscription id ${sid} is already in use on this connection`,
    rid,
    'subscribe',
  );
}
