// Refusals of HTTP publish as HTTP answers: the native protocol's error code and message (so a
// client handles both protocols with one table, docs/protocol.md), an HTTP status that fits the
// code, and whether the connection closes after the answer. Gate refusals are turned into native
// errors by the native adapter's own functions (native-refusals.ts), then given a status here:
// the codes and texts cannot drift apart.
import { ErrorCodes, type ErrorCode } from '../../protocol/native.js';
import { type BrokerError } from '../errors.js';
import type { LogonRefused } from '../gates/logon-gate.js';
import type { PublishRefusal } from '../gates/publish-gate.js';
import { nativeLogonRefusal, nativePublishRefusal } from '../native/native-refusals.js';

/** The HTTP status of each error code (docs/http.md, "Errors"); a refusal may pick another (405, 415). */
const STATUS: Readonly<Record<ErrorCode, number>> = {
  BAD_FRAME: 400,
  FRAME_TOO_LARGE: 413,
  UNKNOWN_COMMAND: 404,
  INVALID_FIELD: 400,
  NOT_LOGGED_ON: 401,
  ALREADY_LOGGED_ON: 400,
  LOGON_FAILED: 401,
  NO_CHALLENGE: 400,
  AUTHENTICATION_UNAVAILABLE: 503,
  NOT_ENTITLED: 403,
  ENTITLEMENT_UNAVAILABLE: 503,
  // Never an answer to a request (only sent on a native subscription); 403 if it ever were.
  ENTITLEMENT_REVOKED: 403,
  INVALID_TOPIC: 400,
  TOPIC_TOO_LONG: 400,
  INVALID_REGEX: 400,
  DUPLICATE_SUBSCRIPTION: 409,
  UNKNOWN_SUBSCRIPTION: 404,
  UNSUPPORTED: 501,
  INVALID_FILTER: 400,
  INVALID_SELECT: 400,
  CONTENT_NOT_ENTITLED: 403,
  TOO_MANY_SUBSCRIPTIONS: 429,
  RESOURCE_LIMIT: 429,
  USER_NOT_ALLOWED: 403,
  HOST_NOT_ALLOWED: 403,
  CONNECTION_LIMIT: 503,
  RATE_LIMITED: 429,
  SERVER_BUSY: 503,
  LOGON_BLOCKED: 429,
  MESSAGE_TOO_LARGE: 413,
  TOO_MANY_PUBLISH_TOPICS: 429,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** The challenges a 401 offers (RFC 9110 §11.6.1): both schemes the listener reads. */
export const WWW_AUTHENTICATE = ['Basic realm="warden", charset="UTF-8"', 'Bearer realm="warden"'];

export class HttpRefusal extends Error {
  override readonly name = 'HttpRefusal';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Close the connection after the answer: a refused logon (as the native protocol does), a body left unread. */
    readonly close: boolean = false,
    readonly status: number = STATUS[code],
    readonly headers: Readonly<Record<string, string | readonly string[]>> = {},
  ) {
    super(message);
  }
}

/** A refusal before or at logon: 401s offer the schemes; the connection closes (*Securing AMPS*: a failed logon closes it). */
export function logonRefusal(code: ErrorCode, message: string): HttpRefusal {
  const status = STATUS[code];
  return new HttpRefusal(code, message, true, status, status === 401 ? { 'WWW-Authenticate': WWW_AUTHENTICATE } : {});
}

/** The LogonGate's refusal, with the native protocol's code and fixed text (the reason is in the broker log only). */
export function httpLogonRefusal(refused: LogonRefused): HttpRefusal {
  if (refused.reason === 'challenge-unsupported')
    return logonRefusal(
      ErrorCodes.LOGON_FAILED,
      "logon refused: this listener's authentication module needs a challenge-response exchange (e.g. SCRAM), which HTTP publish cannot do; use a password or a token",
    );
  const { code, message } = nativeLogonRefusal(refused);
  return logonRefusal(code, message);
}

/** The PublishGate's refusal, with the native protocol's code and text; the connection stays up. */
export function httpPublishRefusal(refused: PublishRefusal, topic: string): HttpRefusal {
  const { code, message } = nativePublishRefusal(refused, topic, undefined);
  // The distinct-topic window is one second long.
  const headers: Record<string, string> = code === ErrorCodes.TOO_MANY_PUBLISH_TOPICS ? { 'Retry-After': '1' } : {};
  return new HttpRefusal(code, message, false, STATUS[code], headers);
}

/** A BrokerError (from the body's parser) as an answer; the connection stays up. */
export function fromBrokerError(err: BrokerError): HttpRefusal {
  return new HttpRefusal(err.code, err.message);
}
