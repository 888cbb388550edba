// One open socket and its request/answer bookkeeping: rid allocation, matching acks and errors
// to requests, request timeouts, and failing whatever is pending when the socket goes away.
// Knows nothing about subscriptions or reconnecting (that is the client's job).
import {
  ErrorCodes,
  type AckFrame,
  type AuthCommand,
  type ChallengeFrame,
  type ClientCommand,
  type ErrorFrame,
  type LogonCommand,
  type PingCommand,
  type PublishCommand,
  type SubscribeCommand,
  type UnsubscribeCommand,
} from '../protocol/native.js';
import type { Codec, InboundMessage } from './codec.js';
import { ClientErrorCodes, WardenError, type ClientErrorCode } from './errors.js';
import { OPEN, type SocketCloseEvent, type SocketMessageEvent, type WebSocketLike } from './socket.js';

type WithoutRid<T> = T extends unknown ? Omit<T, 'rid'> : never;
/** A command the connection will give a rid and wait for an answer to. */
export type RequestCommand = WithoutRid<
  SubscribeCommand | UnsubscribeCommand | PingCommand | (PublishCommand & { ack: true })
>;
/** The first logon message; the broker answers with an ack, an error, or a challenge. */
export type LogonRequest = Omit<LogonCommand, 'rid'>;
/** What a logon step resolves with: the logon's ack, or a challenge to answer with `answerChallenge`. */
export type LogonAnswer = AckFrame | ChallengeFrame;

export interface ConnectionEvents {
  message(frame: InboundMessage): void;
  /** An error frame answering no pending request, or a frame that could not be decoded. */
  unsolicitedError(error: WardenError): void;
  /** The broker ended subscription `sid` (an error frame with a `sid` and no `rid`: ENTITLEMENT_REVOKED). */
  subscriptionEnded(sid: number, error: WardenError): void;
  /** The socket closed (called once, after pending requests were failed). */
  closed(event: SocketCloseEvent, initiatedLocally: boolean): void;
}

interface PendingRequest {
  cmd: string;
  /** Logon steps may be answered with a challenge; other requests only with an ack or an error. */
  acceptsChallenge: boolean;
  resolve(answer: LogonAnswer): void;
  reject(error: WardenError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class Connection {
  private nextRid = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private closeRequested = false;
  private closedEvent: SocketCloseEvent | undefined;
  private resolveClosed!: (event: SocketCloseEvent) => void;
  private readonly closedPromise = new Promise<SocketCloseEvent>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    private readonly socket: WebSocketLike,
    private readonly codec: Codec,
    private readonly requestTimeoutMs: number,
    private readonly events: ConnectionEvents,
  ) {
    socket.addEventListener('message', (event) => this.onMessage(event));
    socket.addEventListener('close', (event) => this.onClose(event));
    // Errors are always followed by a close event, which is where we act; see socket.ts on why
    // an error listener must exist at all.
    socket.addEventListener('error', () => {});
  }

  get isOpen(): boolean {
    return this.closedEvent === undefined && !this.closeRequested && this.socket.readyState === OPEN;
  }

  /** The close event, once the socket has closed. */
  get closeEvent(): SocketCloseEvent | undefined {
    return this.closedEvent;
  }

  /** Resolves with the close event once the socket has closed, whoever closed it. */
  get closed(): Promise<SocketCloseEvent> {
    return this.closedPromise;
  }

  /** Sends a command that gets no answer. Throws NOT_CONNECTED if the socket is not open. */
  send(command: ClientCommand): void {
    if (!this.isOpen)
      throw new WardenError(ClientErrorCodes.NOT_CONNECTED, 'the connection is not open', { cmd: command.op });
    this.socket.send(this.codec.encode(command));
  }

  /** Sends a command with a fresh rid; resolves with its ack, rejects with its error (or TIMEOUT, CONNECTION_LOST...). */
  request(command: RequestCommand): Promise<AckFrame> {
    return this.exchange(command, this.nextRid++, false) as Promise<AckFrame>;
  }

  /** Sends the logon; resolves with its ack or with a challenge, rejects like `request`. */
  logon(command: LogonRequest): Promise<LogonAnswer> {
    return this.exchange(command, this.nextRid++, true);
  }

  /** Answers a challenge with an `auth` command (same rid); resolves with the ack or the next challenge. */
  answerChallenge(challenge: ChallengeFrame, data: string): Promise<LogonAnswer> {
    const auth: Omit<AuthCommand, 'rid'> = { op: 'auth', data };
    return this.exchange(auth, challenge.rid, true);
  }

  private exchange(
    command: RequestCommand | LogonRequest | Omit<AuthCommand, 'rid'>,
    rid: number,
    acceptsChallenge: boolean,
  ): Promise<LogonAnswer> {
    return new Promise((resolve, reject) => {
      const full = { ...command, rid } as ClientCommand;
      try {
        this.send(full);
      } catch (error) {
        reject(error);
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(
          new WardenError(ClientErrorCodes.TIMEOUT, `no answer to ${command.op} within ${this.requestTimeoutMs} ms`, {
            cmd: command.op,
          }),
        );
      }, this.requestTimeoutMs);
      this.pending.set(rid, { cmd: command.op, acceptsChallenge, resolve, reject, timer });
    });
  }

  /**
   * Closes the socket; pending requests reject with `pendingCode` (CLOSED for a user close).
   * Resolves once the socket has closed. Idempotent.
   */
  close(
    code: number,
    reason: string,
    pendingCode: ClientErrorCode = ClientErrorCodes.CLOSED,
  ): Promise<SocketCloseEvent> {
    if (this.closeRequested || this.closedEvent !== undefined) return this.closedPromise;
    this.closeRequested = true;
    this.failPending(pendingCode, `connection closed: ${reason}`);
    try {
      this.socket.close(code, reason);
    } catch {
      // Already closing or closed: the close event still arrives.
    }
    return this.closedPromise;
  }

  private onMessage(event: SocketMessageEvent): void {
    let frame;
    try {
      frame = this.codec.decode(event.data);
    } catch (error) {
      this.events.unsolicitedError(
        new WardenError(
          ErrorCodes.BAD_FRAME,
          `undecodable frame from the broker: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        ),
      );
      return;
    }
    switch (frame.op) {
      case 'msg':
        this.events.message(frame);
        return;
      case 'ack': {
        const request = this.takePending(frame.rid);
        // An ack for no pending request answers one that timed out: nobody is waiting.
        request?.resolve(frame);
        return;
      }
      case 'challenge': {
        const request = this.takePending(frame.rid);
        if (request === undefined) return; // answers a logon that already timed out
        if (request.acceptsChallenge) request.resolve(frame);
        else
          request.reject(
            new WardenError(ErrorCodes.BAD_FRAME, `the broker answered ${request.cmd} with a challenge`, {
              cmd: request.cmd,
            }),
          );
        return;
      }
      case 'error': {
        const request = frame.rid === undefined ? undefined : this.takePending(frame.rid);
        const error = errorFromFrame(frame, request?.cmd);
        if (request !== undefined) request.reject(error);
        else if (frame.rid === undefined && frame.sid !== undefined) this.events.subscriptionEnded(frame.sid, error);
        else if (frame.rid === undefined) this.events.unsolicitedError(error);
        // else: answers a request that already timed out; its caller already has TIMEOUT.
        return;
      }
    }
  }

  private onClose(event: SocketCloseEvent): void {
    if (this.closedEvent !== undefined) return;
    const closeEvent = { code: event.code, reason: event.reason };
    this.closedEvent = closeEvent;
    const initiatedLocally = this.closeRequested;
    this.failPending(
      ClientErrorCodes.CONNECTION_LOST,
      `connection lost (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`,
    );
    this.resolveClosed(closeEvent);
    this.events.closed(closeEvent, initiatedLocally);
  }

  private takePending(rid: number): PendingRequest | undefined {
    const request = this.pending.get(rid);
    if (request === undefined) return undefined;
    this.pending.delete(rid);
    clearTimeout(request.timer);
    return request;
  }

  private failPending(code: ClientErrorCode, message: string): void {
    const requests = [...this.pending.values()];
    this.pending.clear();
    for (const request of requests) {
      clearTimeout(request.timer);
      request.reject(new WardenError(code, message, { cmd: request.cmd }));
    }
  }
}

export function errorFromFrame(frame: ErrorFrame, fallbackCmd?: string): WardenError {
  const cmd = frame.cmd ?? fallbackCmd;
  return new WardenError(frame.code, frame.message, cmd === undefined ? {} : { cmd });
}
