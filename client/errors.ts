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
  /**
   * The broker could not prove it is the real broker, or ran the logon exchange in a way the SDK
   * refuses: a missing or wrong SCRAM server signature, a malformed or unsafe server-first-message
   * (nonce mismatch, iteration count out of bounds), or a challenge the chosen mechanism has no
   * step for. The SDK closes the connection (1008) and does not retry.
   */
  SERVER_AUTHENTICATION_FAILED: 'SERVER_AUTHENTICATION_FAILED',
  /** `message.json()` on raw bytes (e.g. an MQTT publish) that are not UTF-8 JSON text. */
  PAYLOAD_NOT_JSON: 'PAYLOAD_NOT_JSON',
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
