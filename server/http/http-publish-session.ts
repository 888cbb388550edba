// One connection to an HTTP publish listener: its logon, then its publishes. The first request
// logs the connection on through the listener's LogonGate (authentication module, logon
// entitlement, admission) with the credentials of its Authorization header; the requests after it
// on the same keep-alive connection that carry the same header (compared by a keyed hash, never kept
// in clear) use that logon without asking the module again, and a different header logs on
// afresh. Each publish then goes through the connection's PublishGate, as a native publish does.
//
// Requests on one connection are handled one at a time, in order (HTTP/1.1 answers in order
// anyway); pipelined ones wait, unread, up to MAX_PIPELINED.
import type { EntitlementService } from '../security/entitlement-service.js';
import type { TopicSubscription } from '../security/reevaluation.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CloseCodes, ErrorCodes } from '../../protocol/native.js';
import type { ConnectionInfo } from '../admin/connection-list.js';
import type { AdmissionTicket } from '../admission/admission.js';
import type { AdmissionRefusal } from '../admission/refusal.js';
import type { UnauthenticatedSlot } from '../admission/unauthenticated-sockets.js';
import { Message } from '../delivery/message.js';
import { BrokerError } from '../errors.js';
import type { LogonAttempt, LogonResult } from '../gates/logon-gate.js';
import type { PublishGate } from '../gates/publish-gate.js';
import type { ListenerGates } from '../gates/listener-gates.js';
import { serverNameOf } from '../transports/transport.js';
import { isPromiseLike, type Decision } from '../security/decision.js';
import type { LogonRequest } from '../security/module-types.js';
import { warnInvalidRules } from '../session/held-delivery-gate.js';
import type { TimerHandle } from '../timers.js';
import { peerCertificateOf } from '../tls/peer-certificate.js';
import { AuthorizationError, parseAuthorizationHeader } from './authorization.js';
import type { HttpListenerParts } from './http-context.js';
import { fromBrokerError, httpLogonRefusal, httpPublishRefusal, HttpRefusal, logonRefusal } from './http-refusal.js';
import { answerPublished, answerRefusal } from './http-answer.js';
import { checkPublishRequest } from './publish-route.js';
import { RequestHead } from './request-head.js';
import { parsePublishBody, payloadSize, type PublishBody } from './publish-body.js';
import { BodyReader, refuseOversized, type BodySink } from './read-body.js';

/** Requests a client may pipeline behind the one being handled; past it the connection is dropped. */
export const MAX_PIPELINED = 16;

/** How long a connection the broker closes has to take its last answer before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

type Credentials = Pick<LogonRequest, 'user' | 'password' | 'token' | 'mechanism'>;

const IMPLICIT: Credentials = { user: '', password: undefined, token: undefined, mechanism: 'implicit' };
/** SASL EXTERNAL: the identity is the verified client certificate (the tls-cert module). */
const EXTERNAL: Credentials = { user: '', password: undefined, token: undefined, mechanism: 'EXTERNAL' };

interface Pending {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

export class HttpPublishSession implements BodySink {
  readonly kind = 'http';
  readonly protocol = 'http';
  readonly id: string;
  readonly listenerName: string;
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** The close code the broker closed this connection with (its pending request is answered accordingly). */
  private closeCode = 0;
  private closeReason = '';
  private user: string | null = null;
  /** What the current logon was made with (see HttpListenerParts.credentialKey); null before one. */
  private credentialKey: string | null = null;
  /** The listener's gates; with vhosts, the current logon's vhost's. */
  private gates: ListenerGates;
  private gate: PublishGate | null = null;
  private ticket: AdmissionTicket | null = null;
  /** Its place among the sockets not logged on (admission.maxUnauthenticated), until the first logon. */
  private slot: UnauthenticatedSlot | null;
  private logonTimer: TimerHandle | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  private busy = false;
  /** The request being handled, and its answer; null between requests. */
  private req: IncomingMessage | null = null;
  private res: ServerResponse | null = null;
  private readonly reader: BodyReader;
  private readonly head = new RequestHead();
  /** The answer of the request being handled, until its message is routed (then it is answered 204 whatever happens). */
  private unrouted: ServerResponse | null = null;
  private readonly waiting: Pending[] = [];
  /** Of the last request ('1.1', '1.0'); null before the first. */
  private httpVersion: string | null = null;
  private readonly connectedAt = Date.now();
  private messagesIn = 0;

  constructor(
    readonly socket: Socket,
    private readonly listener: HttpListenerParts,
    slot: UnauthenticatedSlot,
    /** Admission's refusal when the socket was accepted (its host over the connection rate): the answer to the first logon. */
    private readonly acceptRefusal: AdmissionRefusal | null,
  ) {
    const ctx = listener.ctx;
    this.id = ctx.newSessionId();
    this.listenerName = listener.name;
    this.gates = listener.gates;
    this.slot = slot;
    this.reader = new BodyReader(listener.budget, listener.bodyLimit, this);
    const timeoutMs = listener.options.logonTimeoutMs;
    if (timeoutMs > 0) this.logonTimer = ctx.timers.setTimeout(() => this.onLogonTimeout(), timeoutMs);
  }

  private readonly stillOpen = (): boolean => this.state === 'open';

  /** The publish gate reports a write entitlement whose rules do not compile. */
  private readonly onInvalidRules = (err: unknown): void =>
    warnInvalidRules(this.listener.ctx.log, { session: this.id, user: this.user }, err);

  // ---- what the broker asks of every connection ---------------------------------------------

  /** Its listener's entitlements (a re-evaluation asks them again). */
  get entitlements(): EntitlementService {
    return this.gates.entitlements;
  }

  get userName(): string | null {
    return this.user;
  }

  get isLoggedOn(): boolean {
    return this.state === 'open' && this.ticket !== null;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  get vhostName(): string | null {
    return this.gates.vhost?.name ?? null;
  }

  describe(): ConnectionInfo {
    return {
      id: this.id,
      user: this.user,
      remoteAddress: this.socket.remoteAddress ?? '',
      listener: this.listenerName,
      protocol: 'http',
      version: this.httpVersion === null ? null : `HTTP/${this.httpVersion}`,
      clientId: null,
      loggedOn: this.isLoggedOn,
      subscriptions: 0,
      queuedBytes: this.queuedBytes,
      connectedAt: new Date(this.connectedAt).toISOString(),
      messagesIn: this.messagesIn,
      messagesOut: 0,
      ...(this.gates.vhost === null ? {} : { vhost: this.gates.vhost.name }),
    };
  }

  /** No request being handled or waiting: an answer written now would not interleave with another. */
  get idle(): boolean {
    return !this.busy && this.waiting.length === 0;
  }

  subscriptionPatterns(): string[] {
    return [];
  }

  /** HTTP publish connections subscribe to nothing. */
  revocableSubscriptions(): TopicSubscription[] {
    return [];
  }

  revokeSubscription(): void {}

  /**
   * The broker ends this connection (an entitlement reset, an administrator, shutdown): its logon
   * ends now; a request being handled is answered (refused, unless it was already published), then
   * the connection closes; an idle one closes at once.
   */
  close(code: number, reason: string): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.closeCode = code;
    this.closeReason = reason;
    this.endLogon();
    if (!this.busy) return this.endSocket();
    // A request still waiting (for a module, for its body) is answered now; its continuation finds the connection closed.
    const pending = this.unrouted;
    if (pending !== null && !pending.headersSent) answerRefusal(pending, this.closedRefusal(), true);
  }

  // ---- requests ------------------------------------------------------------------------------

  /** A request arrived (entry point, from the server's 'request' event). */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    // Closing after its last answer (which may still be on its way out): later requests go unanswered.
    if (this.state !== 'open') return;
    if (this.busy) {
      if (this.waiting.length < MAX_PIPELINED) this.waiting.push({ req, res });
      else {
        this.listener.ctx.stats.protocolErrors++;
        this.listener.ctx.log.debug(
          { session: this.id, remote: this.socket.remoteAddress },
          `more than ${MAX_PIPELINED} pipelined requests; dropping the connection`,
        );
        // Not open any more: the requests Node has parsed already are dropped with it, uncounted.
        this.state = 'closing';
        this.endLogon();
        this.socket.destroy();
      }
      return;
    }
    this.run(req, res);
  }

  /**
   * Route, size, logon, then the body (BodyReader, which calls bodyRead or bodyFailed): each step
   * throws (or its promise rejects with) what to answer instead of 204, and finish() answers it.
   */
  private run(req: IncomingMessage, res: ServerResponse): void {
    this.busy = true;
    this.req = req;
    this.res = res;
    this.unrouted = res;
    this.httpVersion = req.httpVersion;
    const listener = this.listener;
    listener.ctx.stats.httpRequests++;
    try {
      const head = this.head.read(req);
      checkPublishRequest(req, head);
      refuseOversized(head, listener.bodyLimit);
      // With vhosts the Host header is part of the logon: another host, another vhost, a new logon.
      const host = listener.vhosts === null ? undefined : req.headers.host;
      const key =
        host === undefined
          ? listener.credentialKey(head.authorization)
          : `${listener.credentialKey(head.authorization)}\u0000${host}`;
      if (key !== this.credentialKey) {
        const logon = this.logon(head.authorization, key, host);
        if (logon !== undefined) return void logon.then(this.afterLogon, this.refuse);
      }
      this.reader.start(req, head);
    } catch (err) {
      this.finish(err);
    }
  }

  /** After the logon: an unauthenticated client cannot make the listener hold its body. */
  private readonly afterLogon = (): void => {
    try {
      this.reader.start(this.req!, this.head);
    } catch (err) {
      this.finish(err);
    }
  };

  private readonly refuse = (err: unknown): void => this.finish(err);

  private readonly published = (): void => this.finish(null);

  /** The whole body arrived (BodySink, from the request's 'end' event). */
  bodyRead(bytes: Buffer): void {
    let done: void | Promise<void>;
    try {
      done = this.publish(bytes, this.res!);
    } catch (err) {
      return this.finish(err);
    }
    if (done === undefined) this.finish(null);
    else done.then(this.published, this.refuse);
  }

  bodyFailed(refusal: HttpRefusal): void {
    this.finish(refusal);
  }

  /** The request is answered (or refused with `err`): its body bytes go back, the next one runs. */
  private finish(err: unknown): void {
    const res = this.res!;
    try {
      // Already answered: by close(), while this request waited.
      if (err !== null && !res.writableEnded) this.answerError(res, err);
      else if (err !== null) this.listener.ctx.stats.httpRequestsRefused++;
    } catch (failure) {
      this.contain(failure);
    }
    this.reader.release();
    this.busy = false;
    this.req = null;
    this.res = null;
    this.unrouted = null;
    if (this.state !== 'open') {
      this.waiting.length = 0;
      if (this.state === 'closing') this.endSocket();
      return;
    }
    const next = this.waiting.shift();
    if (next !== undefined) this.onRequest(next.req, next.res);
  }

  // ---- logon: the LogonGate, answered in HTTP ----------------------------------------------------

  private logon(authorization: string | undefined, key: string, host: string | undefined): void | Promise<void> {
    // Another identity: the previous one's admission place and write answers go first.
    this.endLogon();
    const header = this.credentialsIn(authorization);
    const vhosts = this.listener.vhosts;
    let user = header?.user;
    if (vhosts !== null) {
      const choice = vhosts.choose({ host, sni: serverNameOf(this.socket) }, user);
      if (!choice.ok) {
        const refused = this.gates.logon.refuseVhost(
          this.logonAttempt(header ?? IMPLICIT),
          user ?? '',
          `${choice.reason}: ${choice.message}`,
        );
        throw httpLogonRefusal(refused);
      }
      this.gates = choice.gates;
      user = choice.user;
    }
    const credentials = header === null ? this.implicitCredentials() : { ...header, user: user ?? header.user };
    const attempt = this.logonAttempt(credentials);
    const result = this.gates.logon.logon(attempt);
    if (isPromiseLike(result)) return result.then((r) => this.loggedOn(r, key));
    this.loggedOn(result, key);
  }

  private logonAttempt(credentials: Credentials): LogonAttempt {
    return {
      protocol: 'http',
      session: this.id,
      request: {
        ...credentials,
        data: undefined,
        remoteAddress: this.socket.remoteAddress ?? '',
        listener: this.listenerName,
        peerCertificate: peerCertificateOf(this.socket),
      },
      acceptRefusal: this.acceptRefusal,
      challengeable: false,
      stillWaiting: this.stillOpen,
      beforeAdmission: null,
      replaces: null,
    };
  }

  /** Without a header: an implicit logon where the module allows one, the client certificate where there is one. */
  private implicitCredentials(): Credentials {
    if (this.gates.logon.allowsImplicitLogon) return IMPLICIT;
    if (peerCertificateOf(this.socket) !== undefined) return EXTERNAL;
    throw logonRefusal(
      ErrorCodes.NOT_LOGGED_ON,
      'missing Authorization header: use Basic (user name and password) or Bearer (token)',
    );
  }

  /** The Authorization header's credentials, or null without one. */
  private credentialsIn(header: string | undefined): Credentials | null {
    if (header === undefined || header.trim() === '') return null;
    try {
      return parseAuthorizationHeader(header);
    } catch (err) {
      if (err instanceof AuthorizationError) throw logonRefusal(ErrorCodes.LOGON_FAILED, err.message);
      throw err;
    }
  }

  private loggedOn(result: LogonResult, key: string): void {
    if (this.state !== 'open') {
      // Closed while the gate worked: an admission it took is given back.
      if (result.kind === 'accepted') result.ticket.release();
      throw this.closedRefusal();
    }
    switch (result.kind) {
      case 'abandoned':
        throw this.closedRefusal();
      case 'challenge':
        // Not challengeable: the gate refuses a challenge itself; kept exhaustive.
        throw logonRefusal(ErrorCodes.LOGON_FAILED, 'logon refused');
      case 'refused':
        throw httpLogonRefusal(result);
      case 'accepted':
        break;
    }
    const { identity, ticket } = result;
    const gate = this.gates.publishGate('http');
    gate.admit(ticket);
    this.ticket = ticket;
    this.gate = gate;
    this.user = identity;
    this.credentialKey = key;
    // Its slot of admission.maxUnauthenticated is free again, and it has met the logon deadline.
    this.slot?.release();
    this.slot = null;
    this.clearLogonTimer();
    // At debug, not info as a native logon: a client without keep-alive logs on for every request (the audit log has each).
    this.listener.ctx.log.debug(
      { session: this.id, user: identity, listener: this.listenerName, remote: this.socket.remoteAddress },
      'HTTP publish logon',
    );
  }

  private endLogon(): void {
    this.ticket?.release();
    this.ticket = null;
    this.gate = null;
    this.user = null;
    this.credentialKey = null;
    this.gates = this.listener.gates;
  }

  // ---- publish: the PublishGate, answered in HTTP ---------------------------------------------

  private publish(bytes: Buffer, res: ServerResponse): void | Promise<void> {
    if (this.state !== 'open') throw this.closedRefusal();
    let request: PublishBody;
    try {
      request = parsePublishBody(bytes);
    } catch (err) {
      if (err instanceof BrokerError) this.listener.ctx.stats.protocolErrors++;
      throw err;
    }
    const gate = this.gate!;
    const max = this.listener.options.maxMessageBytes;
    // Measured only when it might be over a limit (PublishBody.sizeBound).
    if (request.sizeBound > max || request.sizeBound > gate.maxMessageBytes) {
      const size = payloadSize(request);
      if (size > max) {
        this.listener.ctx.stats.publishesTooLarge++;
        throw new HttpRefusal(
          ErrorCodes.MESSAGE_TOO_LARGE,
          `the message is ${size} bytes; this listener takes at most ${max}`,
        );
      }
      const tooLarge = gate.checkSize(size);
      if (tooLarge !== null) throw httpPublishRefusal(tooLarge, request.topic);
    }
    const invalid = gate.checkTopic(request.topic);
    if (invalid !== null) throw httpPublishRefusal(invalid, request.topic);
    const decision = gate.decide(this.user!, request.topic);
    if (isPromiseLike(decision)) return decision.then((d) => this.finishPublish(request, d, res));
    return this.finishPublish(request, decision, res);
  }

  private finishPublish(request: PublishBody, decision: Decision, res: ServerResponse): void | Promise<void> {
    if (this.state !== 'open') throw this.closedRefusal();
    const ctx = this.listener.ctx;
    const stats = ctx.stats;
    const message = new Message(this.gates.namespace.topic(request.topic), request.payload, stats);
    const refused = this.gate!.authorize(decision, message, 'counted', this.onInvalidRules);
    if (refused !== null) throw httpPublishRefusal(refused, request.topic);
    this.messagesIn++;
    this.unrouted = null;
    if (!request.retain) {
      stats.messagesPublished++;
      const sent = ctx.router.publish(message);
      stats.deliveries += sent;
      this.gates.vhost?.counters.published(sent);
      return answerPublished(res);
    }
    const store = ctx.store;
    const writes = store.writes;
    const sent = ctx.publishRetained(message);
    this.gates.vhost?.counters.published(sent);
    const durable = store.writes === writes ? null : store.whenDurable();
    if (durable === null) return answerPublished(res);
    return durable.then(
      () => answerPublished(res),
      (err: unknown) => {
        stats.storeAcksWithheld++;
        ctx.log.warn({ err, session: this.id, user: this.user }, 'a retained message could not be stored');
        throw new HttpRefusal(
          ErrorCodes.INTERNAL,
          'the retained message was delivered to the subscribers connected now, but could not be stored',
        );
      },
    );
  }

  // ---- answers and endings --------------------------------------------------------------------

  /** What a request pending when the broker closed the connection is told. */
  private closedRefusal(): HttpRefusal {
    if (this.closeCode === CloseCodes.GOING_AWAY)
      return new HttpRefusal(ErrorCodes.SHUTTING_DOWN, 'the broker is shutting down', true);
    return logonRefusal(
      ErrorCodes.NOT_LOGGED_ON,
      `this connection's logon was ended (${this.closeReason || 'closed'}); send the request again to log on afresh`,
    );
  }

  private answerError(res: ServerResponse, err: unknown): void {
    const stats = this.listener.ctx.stats;
    stats.httpRequestsRefused++;
    let refusal: HttpRefusal;
    if (err instanceof HttpRefusal) refusal = err;
    else if (err instanceof BrokerError) refusal = fromBrokerError(err);
    else {
      stats.connectionErrors++;
      this.listener.ctx.log.error(
        { err, session: this.id, user: this.user, remote: this.socket.remoteAddress },
        'HTTP publish: unexpected error handling a request',
      );
      refusal = new HttpRefusal(ErrorCodes.INTERNAL, 'internal broker error', true);
    }
    const close = refusal.close || this.state !== 'open';
    if (close && this.state === 'open') {
      // A refused logon, a body left unread: nothing more is taken from this connection.
      this.state = 'closing';
      this.endLogon();
    }
    answerRefusal(res, refusal, close);
  }

  /** An answer could not be written: this connection goes, nothing else. */
  private contain(err: unknown): void {
    this.listener.ctx.stats.connectionErrors++;
    this.listener.ctx.log.error(
      { err, session: this.id, user: this.user, remote: this.socket.remoteAddress },
      'HTTP publish: unexpected error answering a request; closing this connection',
    );
    this.socket.destroy();
  }

  /** Half-close after the last answer; a peer that does not close its side within CLOSE_GRACE_MS is dropped. */
  private endSocket(): void {
    if (this.closeTimer !== null) return;
    this.socket.end();
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  private onLogonTimeout(): void {
    this.logonTimer = null;
    if (this.ticket !== null || this.state !== 'open') return;
    this.listener.ctx.stats.logonTimeouts++;
    this.socket.destroy();
  }

  private clearLogonTimer(): void {
    if (this.logonTimer !== null) this.listener.ctx.timers.clearTimeout(this.logonTimer);
    this.logonTimer = null;
  }

  /** The socket closed (entry point, its 'close' event), however it ended. */
  onClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.endLogon();
    this.slot?.release();
    this.slot = null;
    this.clearLogonTimer();
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.closeTimer = null;
    this.waiting.length = 0;
    this.listener.forget(this);
  }
}
