// One native-protocol connection: logon state, subscriptions, and the command handlers.
// Transport-neutral: it sees whole decoded frames in and whole frames out (TransportConnection).
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
import { decodeFrame, encodeFrame, FrameDecodeError } from '../protocol/native/codec.js';
import { parseCommand, peekRequestId, type ParsedCommand } from '../protocol/native/command-parser.js';
import { SubscriptionEntry, type DeliveryTarget } from '../delivery/subscription-entry.js';
import { parseSubscriptionPattern, TopicError, validatePublishTopic, type SubscriptionHandle } from '../topics/index.js';
import type { TransportConnection, TransportHandler } from '../transports/transport.js';
import type { SessionContext, SessionLimits } from './session-context.js';

type SessionState = 'awaiting-logon' | 'active' | 'closing' | 'closed';

/** Errors that mean the client is not speaking the protocol; they count toward maxProtocolErrors. */
const PROTOCOL_VIOLATIONS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.BAD_FRAME,
  ErrorCodes.FRAME_TOO_LARGE,
  ErrorCodes.UNKNOWN_COMMAND,
  ErrorCodes.INVALID_FIELD,
  ErrorCodes.NOT_LOGGED_ON,
  ErrorCodes.ALREADY_LOGGED_ON,
]);

export class NativeSession implements TransportHandler, DeliveryTarget {
  readonly id: string;
  private state: SessionState = 'awaiting-logon';
  private user: string | null = null;
  private readonly subscriptions = new Map<SubscriptionId, SubscriptionHandle<SubscriptionEntry>>();
  private protocolErrors = 0;
  private logonTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connection: TransportConnection,
    readonly encoding: Encoding,
    readonly listenerName: string,
    private readonly limits: SessionLimits,
    private readonly ctx: SessionContext,
    private readonly onGone: (session: NativeSession) => void,
  ) {
    this.id = ctx.newSessionId();
    if (limits.logonTimeoutMs > 0) {
      this.logonTimer = setTimeout(() => this.onLogonTimeout(), limits.logonTimeoutMs);
      this.logonTimer.unref();
    }
  }

  get userName(): string | null {
    return this.user;
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  // ---- inbound -------------------------------------------------------------------------------

  onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    let command: ParsedCommand;
    try {
      const tooLarge = data.length > this.limits.maxFrameBytes;
      let frame: unknown;
      try {
        frame = decodeFrame(this.encoding, data, isBinary);
      } catch (err) {
        if (!(err instanceof FrameDecodeError)) throw err;
        if (!tooLarge) throw new BrokerError(ErrorCodes.BAD_FRAME, err.message);
      }
      if (tooLarge) {
        // Decoded anyway (the transport caps frames at a small multiple of the limit) so the refusal carries the rid.
        const limit = this.limits.maxFrameBytes;
        throw new BrokerError(ErrorCodes.FRAME_TOO_LARGE, `frame is ${data.length} bytes; the limit is ${limit}`, peekRequestId(frame));
      }
      try {
        command = parseCommand(frame);
      } catch (err) {
        // Answer by rid when the frame had one, so the client can match the refusal.
        if (err instanceof BrokerError && err.rid === undefined) {
          throw new BrokerError(err.code, err.message, peekRequestId(frame), err.cmd);
        }
        throw err;
      }
      this.dispatch(command);
    } catch (err) {
      this.refuse(err);
    }
  }

  private dispatch(command: ParsedCommand): void {
    if (command.op === 'logon') return this.logon(command);
    if (this.state !== 'active') {
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

  private logon(command: Extract<ParsedCommand, { op: 'logon' }>): void {
    if (this.state !== 'awaiting-logon') {
      throw new BrokerError(ErrorCodes.ALREADY_LOGGED_ON, 'this connection is already logged on', command.rid, 'logon');
    }
    // Authentication accepts every logon until pluggable modules arrive; credentials are never logged.
    this.user = command.user;
    this.state = 'active';
    if (this.logonTimer !== null) clearTimeout(this.logonTimer);
    this.logonTimer = null;
    this.ctx.stats.logons++;
    this.ctx.log.debug({ session: this.id, user: this.user, listener: this.listenerName }, 'logon');
    this.sendFrame({ op: 'ack', rid: command.rid, user: this.user, session: this.id });
  }

  private publish(command: Extract<ParsedCommand, { op: 'publish' }>): void {
    try {
      validatePublishTopic(command.topic, this.ctx.topicLimits);
    } catch (err) {
      throw this.topicRefusal(err, command.rid, 'publish');
    }
    this.ctx.stats.messagesPublished++;
    this.ctx.stats.deliveries += this.ctx.router.publish(command.topic, command.payload);
    if (command.ack) this.ack(command.rid!);
  }

  private subscribe(command: Extract<ParsedCommand, { op: 'subscribe' }>): void {
    const { rid, sid } = command;
    if (command.filter !== undefined || command.select !== undefined) {
      const what = command.filter !== undefined ? 'content filters ("filter")' : 'select lists ("select")';
      throw new BrokerError(ErrorCodes.UNSUPPORTED, `${what} are not supported by this broker version`, rid, 'subscribe');
    }
    if (this.subscriptions.has(sid)) {
      throw new BrokerError(ErrorCodes.DUPLICATE_SUBSCRIPTION, `subscription id ${sid} is already in use on this connection`, rid, 'subscribe');
    }
    if (this.subscriptions.size >= this.limits.maxSubscriptionsPerConnection) {
      throw new BrokerError(
        ErrorCodes.TOO_MANY_SUBSCRIPTIONS,
        `this connection already has ${this.subscriptions.size} subscriptions, the maximum`,
        rid,
        'subscribe',
      );
    }
    let handle: SubscriptionHandle<SubscriptionEntry>;
    try {
      const pattern = parseSubscriptionPattern({ topic: command.topic, regex: command.regex }, this.ctx.topicLimits);
      handle = this.ctx.engine.add(pattern, new SubscriptionEntry(this, sid));
    } catch (err) {
      throw this.topicRefusal(err, rid, 'subscribe');
    }
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
    this.ack(command.rid);
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
    if (this.state !== 'awaiting-logon') return;
    this.ctx.stats.logonTimeouts++;
    this.close(CloseCodes.LOGON_TIMEOUT, `no logon within ${this.limits.logonTimeoutMs} ms`);
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

  sendDelivery(prefix: Buffer, body: Buffer): void {
    if (this.state !== 'active') return;
    this.connection.send(prefix, body);
    this.checkSendQueue();
  }

  private checkSendQueue(): void {
    const queued = this.connection.bufferedAmount();
    if (queued <= this.limits.maxSendQueueBytes) return;
    this.ctx.stats.slowConsumerDisconnects++;
    this.ctx.log.warn(
      { session: this.id, user: this.user, remote: this.connection.remoteAddress, queuedBytes: queued },
      'disconnecting slow consumer',
    );
    this.close(CloseCodes.SLOW_CONSUMER, `slow consumer: more than ${this.limits.maxSendQueueBytes} bytes unsent`);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Start closing: stop routing to this session at once, then close the socket. */
  close(code: number, reason: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.dropSubscriptions();
    this.connection.close(code, reason);
  }

  onClose(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.logonTimer !== null) clearTimeout(this.logonTimer);
    this.logonTimer = null;
    this.dropSubscriptions();
    this.ctx.log.debug({ session: this.id, user: this.user, code, reason }, 'connection closed');
    this.onGone(this);
  }

  private dropSubscriptions(): void {
    for (const handle of this.subscriptions.values()) this.ctx.engine.remove(handle);
    this.subscriptions.clear();
  }
}
