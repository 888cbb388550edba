// One native-protocol connection: logon (with challenges and implicit logon), entitlement checks
// on subscribe and publish, subscriptions, and the command handlers. Transport-neutral: whole
// frames in, whole frames out (TransportConnection).
//
// Commands run strictly in arrival order. A command that must wait (an authentication module, an
// entitlement module that answers asynchronously) parks the ones behind it until it is done.
import {
  CloseCodes,
  ErrorCodes,
  type Encoding,
  type ErrorCode,
  type RequestId,
  type ServerFrame,
  type SubscriptionId,
} from '../../protocol/native.js';
import { BrokerError } from '../errors.js';
import { encodeFrame } from '../protocol/native/codec.js';
import type { ParsedCommand } from '../protocol/native/command-parser.js';
import { parseFrame } from '../protocol/native/frame-parser.js';
import { SubscriptionEntry, type NativeDeliveryTarget } from '../delivery/subscription-entry.js';
import type { PendingRead } from '../delivery/read-access.js';
import type { DeliveryPlan } from '../delivery/delivery-plan.js';
import { Message } from '../delivery/message.js';
import { filterFor, selectFor } from '../content/content-rules.js';
import { FilterError } from '../content/filter/index.js';
import { SelectError } from '../content/select/index.js';
import type { CompiledFilter } from '../content/filter/index.js';
import type { CompiledSelect } from '../content/select/index.js';
import {
  parseSubscriptionPattern,
  TopicError,
  validatePublishTopic,
  type RegexLease,
  type SubscriptionHandle,
  type SubscriptionPattern,
} from '../topics/index.js';
import type { TransportConnection, TransportHandler } from '../transports/transport.js';
import { ALLOW_ALL, isPromiseLike, type Decision } from '../security/decision.js';
import type { AuthOutcome } from '../security/authenticator.js';
import type { ThrottleKind, Throttled } from '../security/logon-guard.js';
import type { AuthAnswer } from '../security/module-types.js';
import type { ListenerSecurity } from '../security/security-manager.js';
import type { SessionContext, SessionLimits } from './session-context.js';
import { WriteDecisionCache } from './write-decision-cache.js';
import type { HeldSink } from './held-deliveries.js';
import { HeldDeliveryGate, logDeliveryError, warnInvalidRules } from './held-delivery-gate.js';
import { OrderedInbound } from './ordered-inbound.js';
import { checkWriteFilter } from './write-filter.js';
import { AdmissionRefusal } from '../admission/refusal.js';
import type { AdmissionTicket } from '../admission/admission.js';
import type { PublishTopicWindow } from '../admission/publish-topic-window.js';
import { ADMISSION_ERROR_CODES } from './admission-codes.js';
import type { TimerHandle } from '../timers.js';

type SessionState = 'awaiting-logon' | 'logging-on' | 'challenged' | 'active' | 'closing' | 'closed';
type LogonCommand = Extract<ParsedCommand, { op: 'logon' }>;
type Challenge = Extract<AuthAnswer, { outcome: 'challenge' }>;
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

/** The logon guard's refusals (security.logonQueue, security.logonBackoff): fixed texts, nothing about the limits. */
const THROTTLE_CODES: Readonly<Record<ThrottleKind, ErrorCode>> = { busy: ErrorCodes.SERVER_BUSY, blocked: ErrorCodes.LOGON_BLOCKED };
const THROTTLE_MESSAGES: Readonly<Record<ThrottleKind, string>> = {
  busy: 'too many logons are waiting; try again later',
  blocked: 'too many failed logons; try again later',
};

interface InboundFrame {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

export class NativeSession implements TransportHandler, NativeDeliveryTarget, HeldSink {
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
  private challenge: { rid: RequestId; answer: Challenge; user: string } | null = null;
  private readonly writeDecisions: WriteDecisionCache;
  private readonly held: HeldDeliveryGate;
  /** Admission: the refusal decided when the connection was accepted (answered at logon), and the ticket once admitted. */
  private acceptRefusal: AdmissionRefusal | null = null;
  private admission: AdmissionTicket | null = null;
  // Per-connection limits: the listener's until logon, then narrowed by the user's resource-limit group.
  private maxSubscriptions: number;
  private maxSendQueueBytes: number;
  private maxMessageBytes = Number.POSITIVE_INFINITY;
  private publishTopics: PublishTopicWindow | null = null;

  constructor(
    private readonly connection: TransportConnection,
    readonly encoding: Encoding,
    readonly listenerName: string,
    private readonly limits: SessionLimits,
    private readonly security: ListenerSecurity,
    private readonly ctx: SessionContext,
    private readonly onGone: (session: NativeSession) => void,
  ) {
    this.id = ctx.newSessionId();
    this.maxSubscriptions = limits.maxSubscriptionsPerConnection;
    this.maxSendQueueBytes = limits.maxSendQueueBytes;
    this.writeDecisions = new WriteDecisionCache(security.entitlements);
    this.held = new HeldDeliveryGate(ctx.maxPendingDeliveries, this, ctx.stats);
    this.inbound = new OrderedInbound<InboundFrame>(
      connection,
      (frame) => this.handleFrame(frame),
      () => this.state !== 'closing' && this.state !== 'closed',
      (err) => this.contain(err, 'input'),
    );
    if (limits.logonTimeoutMs > 0) {
      this.logonTimer = ctx.timers.setTimeout(() => this.onLogonTimeout(), limits.logonTimeoutMs);
    }
  }

  /** Asked by the logon queue when this connection's turn comes: a closed connection's check is skipped. */
  private readonly stillLoggingOn = (): boolean => this.state === 'logging-on';

  get userName(): string | null {
    return this.user;
  }

  get isLoggedOn(): boolean {
    return this.state === 'active';
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /**
   * Admission refused this connection when it was accepted: a disabled protocol is closed at once
   * (seed 002: "dropped right away"); a rate refusal is the answer to its logon, with the rid.
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

  private handleFrame(frame: InboundFrame): void {
    let command: ParsedCommand;
    try {
      command = parseFrame(this.encoding, frame.data, frame.isBinary, this.limits.maxFrameBytes);
    } catch (err) {
      return this.refuse(err);
    }
    // The frame is the message as the client sent it: its size is known here, before any work.
    if (command.op === 'publish' && frame.data.length > this.maxMessageBytes) return this.refuse(this.messageTooLarge(command.rid, frame.data.length));
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
      if (this.state === 'awaiting-logon' && this.security.authenticator.allowsImplicitLogon) return this.implicitLogon(command);
      throw new BrokerError(ErrorCodes.NOT_LOGGED_ON, `"${command.op}" before logon; send logon first`, command.rid, command.op);
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

  // ---- logon (seed 003, "Authentication") ----------------------------------------------------

  private async logon(command: LogonCommand): Promise<void> {
    if (this.state !== 'awaiting-logon') {
      throw new BrokerError(ErrorCodes.ALREADY_LOGGED_ON, 'this connection is already logged on or logging on', command.rid, 'logon');
    }
    this.state = 'logging-on';
    if (this.acceptRefusal !== null) return this.refuseAdmission(command.rid, this.acceptRefusal, command.user);
    const mechanism = command.mechanism ?? (command.token !== undefined ? 'token' : 'password');
    const outcome = await this.security.authenticator.authenticate({
      user: command.user,
      password: command.password,
      token: command.token,
      mechanism,
      data: command.data,
      remoteAddress: this.connection.remoteAddress,
      listener: this.listenerName,
      peerCertificate: this.connection.peerCertificate?.(),
    }, this.stillLoggingOn);
    await this.afterAuthentication(outcome, command.rid, command.user);
  }

  /** A command before logon, with a module that allows it: log on with an empty name, then run the command. */
  private async implicitLogon(command: Exclude<ParsedCommand, LogonCommand | { op: 'auth' }>): Promise<void> {
    this.state = 'logging-on';
    if (this.acceptRefusal !== null) return this.refuseAdmission(command.rid, this.acceptRefusal, '');
    const outcome = await this.security.authenticator.authenticate({
      user: '',
      password: undefined,
      token: undefined,
      mechanism: 'implicit',
      data: undefined,
      remoteAddress: this.connection.remoteAddress,
      listener: this.listenerName,
      peerCertificate: this.connection.peerCertificate?.(),
    }, this.stillLoggingOn);
    // A challenge cannot be answered without a logon command: an implicit logon must be accepted outright.
    const settled: AuthOutcome = outcome.outcome === 'challenge' ? { outcome: 'reject', reason: 'implicit logon was challenged' } : outcome;
    await this.afterAuthentication(settled, command.rid, '', false);
    if (!this.isLoggedOn) return; // (a getter: TS would keep the narrowing from before the await)
    const waiting = this.dispatch(command);
    if (waiting !== undefined) await waiting;
  }

  private async answerChallenge(command: Extract<ParsedCommand, { op: 'auth' }>): Promise<void> {
    const challenge = this.challenge;
    if (this.state !== 'challenged' || challenge === null || challenge.rid !== command.rid) {
      throw new BrokerError(ErrorCodes.NO_CHALLENGE, 'no logon challenge is waiting for an answer with this rid', command.rid, 'auth');
    }
    this.challenge = null;
    this.state = 'logging-on';
    const outcome = await this.security.authenticator.respond(challenge.answer, command.data, challenge.user, this.connection.remoteAddress, this.stillLoggingOn);
    await this.afterAuthentication(outcome, command.rid, challenge.user);
  }

  private async afterAuthentication(outcome: AuthOutcome, rid: RequestId | undefined, claimed: string, ackLogon = true): Promise<void> {
    if (this.state !== 'logging-on') return; // closed meanwhile
    switch (outcome.outcome) {
      case 'challenge':
        this.state = 'challenged';
        this.challenge = { rid: rid!, answer: outcome, user: claimed };
        this.sendFrame({ op: 'challenge', rid: rid!, data: outcome.data });
        return;
      case 'failed':
        return this.refuseLogon(rid, ErrorCodes.AUTHENTICATION_UNAVAILABLE, 'authentication is unavailable; try again later', claimed, outcome.reason);
      case 'reject':
        return this.refuseLogon(rid, ErrorCodes.LOGON_FAILED, 'logon refused', claimed, outcome.reason);
      case 'throttled':
        return this.refuseThrottled(rid, outcome, claimed);
      case 'accept':
        break;
    }
    const identity = outcome.identity;
    const pending = this.security.entitlements.check(identity, 'logon', 'logon', '');
    const decision = isPromiseLike(pending) ? await pending : pending;
    if (this.state !== 'logging-on') return;
    if (!decision.allow) {
      const code = decision.failed ? ErrorCodes.ENTITLEMENT_UNAVAILABLE : ErrorCodes.LOGON_FAILED;
      return this.refuseLogon(rid, code, 'logon refused', identity, decision.failed ? 'logon entitlement check failed' : 'not entitled to log on');
    }
    // Admission control: after authentication, before the session is admitted (seed 002).
    const admitted = this.ctx.admission.admit(identity, this.connection.remoteAddress, null);
    if (admitted instanceof AdmissionRefusal) return this.refuseAdmission(rid, admitted, identity);
    this.admit(admitted);
    this.connection.loggedOn(); // its slot of admission.maxUnauthenticated is free again
    this.user = identity;
    this.state = 'active';
    if (this.logonTimer !== null) this.ctx.timers.clearTimeout(this.logonTimer);
    this.logonTimer = null;
    this.ctx.stats.logons++;
    this.ctx.log.info({ session: this.id, user: identity, listener: this.listenerName, remote: this.connection.remoteAddress }, 'logon');
    if (ackLogon) this.sendFrame({ op: 'ack', rid: rid!, user: identity, session: this.id, ...(outcome.data !== undefined ? { data: outcome.data } : {}) });
  }

  /** The user's resource-limit group narrows the listener's limits for this connection (the smaller applies). */
  private admit(ticket: AdmissionTicket): void {
    this.admission = ticket;
    const group = ticket.group;
    if (group.maxSubscriptions < this.maxSubscriptions) this.maxSubscriptions = group.maxSubscriptions;
    if (group.maxQueuedBytes < this.maxSendQueueBytes) this.maxSendQueueBytes = group.maxQueuedBytes;
    this.maxMessageBytes = group.maxMessageBytes;
    this.publishTopics = ticket.publishTopicWindow();
  }

  /** An admission refusal: a refused logon with the refusal's own code; `detail` is logged, never sent. */
  private refuseAdmission(rid: RequestId | undefined, refusal: AdmissionRefusal, user: string): void {
    this.ctx.stats.logonFailures++;
    const fields = { session: this.id, user, listener: this.listenerName, remote: this.connection.remoteAddress, refusal: refusal.kind, reason: refusal.detail };
    if (refusal.quiet) this.ctx.log.debug(fields, 'logon refused by admission control');
    else this.ctx.log.warn(fields, 'logon refused by admission control');
    this.sendFrame({ op: 'error', rid, code: ADMISSION_ERROR_CODES[refusal.kind], message: refusal.clientMessage, cmd: 'logon' });
    this.close(CloseCodes.LOGON_FAILED, `logon refused: ${refusal.kind}`);
  }

  /**
   * The logon guard refused without a check: counted in stats (logonsRefusedBusy/Blocked) and
   * logged at debug, since a flood makes thousands; the guard warns when a block starts.
   */
  private refuseThrottled(rid: RequestId | undefined, outcome: Throttled, user: string): void {
    this.ctx.stats.logonFailures++;
    this.ctx.log.debug({ session: this.id, user, listener: this.listenerName, remote: this.connection.remoteAddress, reason: outcome.reason }, 'logon refused by the logon guard');
    this.sendFrame({ op: 'error', rid, code: THROTTLE_CODES[outcome.kind], message: THROTTLE_MESSAGES[outcome.kind], cmd: 'logon' });
    this.close(CloseCodes.LOGON_FAILED, `logon refused: ${outcome.kind}`);
  }

  /** Seed 003: a failed authentication closes the connection. The reason is logged, never sent. */
  private refuseLogon(rid: RequestId | undefined, code: ErrorCode, message: string, user: string, reason: string): void {
    this.ctx.stats.logonFailures++;
    this.ctx.log.warn({ session: this.id, user, listener: this.listenerName, remote: this.connection.remoteAddress, reason }, 'logon refused');
    this.sendFrame({ op: 'error', rid, code, message, cmd: 'logon' });
    this.close(CloseCodes.LOGON_FAILED, code === ErrorCodes.LOGON_FAILED ? 'logon refused' : 'authentication unavailable');
  }

  // ---- publish and subscribe -----------------------------------------------------------------

  private publish(command: Extract<ParsedCommand, { op: 'publish' }>): void | Promise<void> {
    try {
      validatePublishTopic(command.topic, this.ctx.topicLimits);
    } catch (err) {
      throw this.topicRefusal(err, command.rid, 'publish');
    }
    const decision = this.writeDecisions.get(this.user!, command.topic);
    if (isPromiseLike(decision)) return decision.then((d) => this.finishPublish(command, d));
    this.finishPublish(command, decision);
  }

  private finishPublish(command: Extract<ParsedCommand, { op: 'publish' }>, decision: Decision): void {
    if (this.state !== 'active') return;
    const stats = this.ctx.stats;
    if (!decision.allow) {
      stats.publishesDenied++;
      throw this.entitlementRefusal(decision, `not entitled to publish to "${command.topic}"`, command.rid, 'publish');
    }
    if (this.publishTopics !== null && !this.publishTopics.admit(command.topic)) {
      stats.publishesOverTopicLimit++;
      throw new BrokerError(ErrorCodes.TOO_MANY_PUBLISH_TOPICS, 'this connection has published to as many distinct topics this second as its resource limits allow', command.rid, 'publish');
    }
    const message = new Message(command.topic, command.payload, stats);
    if (decision !== ALLOW_ALL) this.checkWriteFilter(decision, message, command.rid);
    stats.messagesPublished++;
    stats.deliveries += this.ctx.router.publish(message);
    if (command.ack) this.ack(command.rid!);
  }

  /** Seed 003: a write entitlement filter must match the published message, or the publish is refused. */
  private checkWriteFilter(decision: Decision, message: Message, rid: RequestId | undefined): void {
    const verdict = checkWriteFilter(decision, message, this.ctx.stats, (err) => this.reportInvalidRules(err));
    if (verdict === 'allowed') return;
    if (verdict === 'unavailable') throw new BrokerError(ErrorCodes.ENTITLEMENT_UNAVAILABLE, 'entitlement check failed; denied', rid, 'publish');
    const why = verdict === 'not-object' ? 'the payload is not an object, and a content filter applies' : 'the message does not match your write filter';
    throw new BrokerError(ErrorCodes.CONTENT_NOT_ENTITLED, `not entitled to publish this content to "${message.topic}": ${why}`, rid, 'publish');
  }

  private subscribe(command: Extract<ParsedCommand, { op: 'subscribe' }>): void | Promise<void> {
    const { rid, sid } = command;
    if (this.subscriptions.has(sid)) {
      throw new BrokerError(ErrorCodes.DUPLICATE_SUBSCRIPTION, `subscription id ${sid} is already in use on this connection`, rid, 'subscribe');
    }
    if (this.subscriptions.size >= this.maxSubscriptions) {
      this.ctx.stats.subscriptionsOverLimit++;
      const count = this.subscriptions.size;
      throw new BrokerError(ErrorCodes.TOO_MANY_SUBSCRIPTIONS, `this connection already has ${count} subscriptions, the maximum`, rid, 'subscribe');
    }
    let pattern: SubscriptionPattern;
    let lease: RegexLease | null = null;
    try {
      if (command.regex !== undefined && command.topic === undefined) {
        lease = this.ctx.regexBudget.acquire(this.user!, command.regex, this.ctx.topicLimits);
        pattern = lease.pattern;
      } else {
        pattern = parseSubscriptionPattern({ topic: command.topic, regex: command.regex }, this.ctx.topicLimits);
      }
    } catch (err) {
      throw this.topicRefusal(err, rid, 'subscribe');
    }
    let content: SubscriberContent;
    try {
      content = this.compileContentRules(command.filter, command.select, rid);
    } catch (err) {
      lease?.release();
      throw err;
    }
    if (lease !== null) this.regexLeases.set(sid, lease);
    // Seed 003: a literal topic is entitled now; wildcard and regex subscriptions per concrete topic at delivery.
    if (pattern.kind !== 'exact') return this.addSubscription(sid, rid, pattern, content);
    const decision = this.security.entitlements.check(this.user!, 'read', 'topic', pattern.topic);
    if (!isPromiseLike(decision)) return this.finishExactSubscribe(sid, rid, pattern, content, decision);
    return decision.then((d) => this.finishExactSubscribe(sid, rid, pattern, content, d));
  }

  private compileContentRules(filter: string | undefined, select: string | undefined, rid: RequestId): SubscriberContent {
    try {
      return { filter: filter === undefined ? null : filterFor(filter), select: select === undefined ? null : selectFor(select) };
    } catch (err) {
      if (err instanceof FilterError) throw new BrokerError(ErrorCodes.INVALID_FILTER, err.message, rid, 'subscribe');
      if (err instanceof SelectError) throw new BrokerError(ErrorCodes.INVALID_SELECT, err.message, rid, 'subscribe');
      throw err;
    }
  }

  private finishExactSubscribe(
    sid: SubscriptionId,
    rid: RequestId,
    pattern: { kind: 'exact'; topic: string },
    content: SubscriberContent,
    decision: Decision,
  ): void {
    if (this.state !== 'active') return;
    if (!decision.allow) {
      this.ctx.stats.subscriptionsDenied++;
      throw this.entitlementRefusal(decision, `not entitled to read "${pattern.topic}"`, rid, 'subscribe');
    }
    // The sid may have been taken while the check was pending.
    if (this.subscriptions.has(sid)) {
      throw new BrokerError(ErrorCodes.DUPLICATE_SUBSCRIPTION, `subscription id ${sid} is already in use on this connection`, rid, 'subscribe');
    }
    this.addSubscription(sid, rid, pattern, content);
  }

  private addSubscription(sid: SubscriptionId, rid: RequestId, pattern: Parameters<SessionContext['engine']['add']>[0], content: SubscriberContent): void {
    const handle = this.ctx.engine.add(pattern, new SubscriptionEntry(this, sid, content.filter, content.select));
    this.subscriptions.set(sid, handle);
    this.ack(rid);
  }

  private unsubscribe(command: Extract<ParsedCommand, { op: 'unsubscribe' }>): void {
    const handle = this.subscriptions.get(command.sid);
    if (handle === undefined) {
      throw new BrokerError(ErrorCodes.UNKNOWN_SUBSCRIPTION, `no subscription with id ${command.sid} on this connection`, command.rid, 'unsubscribe');
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

  private entitlementRefusal(decision: Decision, message: string, rid: RequestId | undefined, cmd: string): BrokerError {
    if (decision.failed) return new BrokerError(ErrorCodes.ENTITLEMENT_UNAVAILABLE, 'entitlement check failed; denied', rid, cmd);
    return new BrokerError(ErrorCodes.NOT_ENTITLED, message, rid, cmd);
  }

  private messageTooLarge(rid: RequestId | undefined, bytes: number): BrokerError {
    this.ctx.stats.publishesTooLarge++;
    return new BrokerError(ErrorCodes.MESSAGE_TOO_LARGE, `the message is ${bytes} bytes; this connection may publish at most ${this.maxMessageBytes}`, rid, 'publish');
  }

  private topicRefusal(err: unknown, rid: RequestId | undefined, cmd: string): unknown {
    return err instanceof TopicError ? new BrokerError(err.code, err.message, rid, cmd) : err;
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
      this.ctx.log.warn({ session: this.id, remote: this.connection.remoteAddress, lastError: code }, 'closing connection after repeated protocol errors');
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
      this.ctx.log.error({ err, session: this.id, user: this.user, remote: this.connection.remoteAddress, where }, 'unexpected error; closing this connection');
      this.close(CloseCodes.INTERNAL_ERROR, `internal error (${where})`);
    } catch {
      this.connection.terminate();
    }
  }

  // ---- delivery (DeliveryTarget) -------------------------------------------------------------

  readAccess(topic: string): Decision | Promise<Decision> {
    return this.security.entitlements.check(this.user ?? '', 'read', 'topic', topic);
  }

  sendDelivery(prefix: Buffer, body: Buffer): void {
    if (this.state !== 'active') return;
    if (this.held.queueBehindHeld(prefix, body)) return;
    this.sendNow(prefix, body);
  }

  sendNow(prefix: Buffer, body: Buffer): void {
    this.connection.send(prefix, body);
    this.checkSendQueue();
  }

  holdDelivery(pending: PendingRead, plan: DeliveryPlan, index: number, message: Message): void {
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
      this.ctx.log.debug({ session: this.id, user: this.user, code, reason }, 'connection closed');
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
