// The one error type the SDK surfaces. Callers branch on `code`, never on message text.
import type { ErrorCode } from '../protocol/native.js';

/** Codes the SDK itself produces (the broker's codes are `ErrorCodes` in the protocol). */
export const ClientErrorCodes = {
  /** The socket could not be opened (refused, DNS, TLS, bad URL, handshake or subprotocol mismatch, timeout). */
  CONNECTION_FAILED: 'CONNECTION_FAILED',
  /** The connection dropped while the request was waiting for its answer. */
  CONNECTION_LOST: 'CONNECTION_LOST',
  /** The client is not connected right now (reconnecting or closed); nothing was sent. */
  NOT_CONNECTED: 'NOT_CONNECTED',
  /** No answer within `requestTimeoutMs`. The broker may still have acted on the request. */
  TIMEOUT: 'TIMEOUT',
  /** `client.close()` was called (or the client gave up reconnecting) before the request was answered. */
  CLOSED: 'CLOSED',
  /** An async-iterated subscription's buffer overflowed; the subscription was ended. */
  BUFFER_OVERFLOW: 'BUFFER_OVERFLOW',
} as const;
export type ClientErrorCode = (typeof ClientErrorCodes)[keyof typeof ClientErrorCodes];

/**
 * A broker `ErrorCode`, an SDK `ClientErrorCode`, or a code added to the protocol after this SDK
 * was built (the protocol only ever adds codes, so unknown strings must be representable).
 */
export type WardenErrorCode = ErrorCode | ClientErrorCode | (string & {});

export interface WardenErrorOptions {
  /** The command the error answers (broker refusals carry it). */
  cmd?: string;
  /** The underlying failure (a socket error event, a decode exception...). */
  cause?: unknown;
}

export class WardenError extends Error {
  readonly code: WardenErrorCode;
  readonly cmd?: string;

  constructor(code: WardenErrorCode, message: string, options: WardenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WardenError';
    this.code = code;
    if (options.cmd !== undefined) this.cmd = options.cmd;
  }
}

/** True for errors that came from the broker refusing a command (as opposed to SDK/transport errors). */
export function isBrokerRefusal(error: unknown): error is WardenError {
  return error instanceof WardenError && !(Object.values(ClientErrorCodes) as string[]).includes(error.code);
}
