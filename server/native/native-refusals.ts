// The security gates' refusals as native error codes (docs/protocol.md). A refused logon is the
// error frame, then close 4003 (the AMPS User Guide, *Securing AMPS*: a failed logon closes the
// connection); the client gets a fixed text, and the reason goes to the log only.
import { ErrorCodes, type ErrorCode, type RequestId } from '../../protocol/native.js';
import type { RefusalKind } from '../admission/refusal.js';
import { BrokerError } from '../errors.js';
import type { LogonRefused } from '../gates/logon-gate.js';
import type { PublishRefusal } from '../gates/publish-gate.js';
import type { SubscribeRefusal } from '../gates/subscribe-gate.js';
import type { ThrottleKind } from '../security/logon-guard.js';

const ADMISSION_ERROR_CODES: Readonly<Record<RefusalKind, ErrorCode>> = {
  // Never sent: a disabled protocol's connections are closed before any frame.
  'protocol-disabled': ErrorCodes.LOGON_FAILED,
  'rate-limited': ErrorCodes.RATE_LIMITED,
  'user-not-allowed': ErrorCodes.USER_NOT_ALLOWED,
  'host-not-allowed': ErrorCodes.HOST_NOT_ALLOWED,
  'connection-limit': ErrorCodes.CONNECTION_LIMIT,
};

/** The logon guard's refusals (security.logonQueue, security.logonBackoff): fixed texts, nothing about the limits. */
const THROTTLE_CODES: Readonly<Record<ThrottleKind, ErrorCode>> = {
  busy: ErrorCodes.SERVER_BUSY,
  blocked: ErrorCodes.LOGON_BLOCKED,
};
const THROTTLE_MESSAGES: Readonly<Record<ThrottleKind, string>> = {
  busy: 'too many logons are waiting; try again later',
  blocked: 'too many failed logons; try again later',
};

export interface NativeLogonRefusal {
  readonly code: ErrorCode;
  /** The error frame's text. */
  readonly message: string;
  /** The close frame's reason. */
  readonly close: string;
}

export function nativeLogonRefusal(refused: LogonRefused): NativeLogonRefusal {
  switch (refused.reason) {
    case 'admission': {
      const kind = refused.admission!.kind;
      return {
        code: ADMISSION_ERROR_CODES[kind],
        message: refused.admission!.clientMessage,
        close: `logon refused: ${kind}`,
      };
    }
    case 'throttled': {
      const kind = refused.throttle!;
      return { code: THROTTLE_CODES[kind], message: THROTTLE_MESSAGES[kind], close: `logon refused: ${kind}` };
    }
    case 'unavailable':
      return {
        code: ErrorCodes.AUTHENTICATION_UNAVAILABLE,
        message: 'authentication is unavailable; try again later',
        close: 'authentication unavailable',
      };
    case 'entitlement-unavailable':
      return {
        code: ErrorCodes.ENTITLEMENT_UNAVAILABLE,
        message: 'logon refused',
        close: 'authentication unavailable',
      };
    case 'rejected':
    case 'challenge-unsupported':
    case 'not-entitled':
    case 'protocol':
    case 'vhost':
      return { code: ErrorCodes.LOGON_FAILED, message: 'logon refused', close: 'logon refused' };
  }
}

export function nativePublishRefusal(refused: PublishRefusal, topic: string, rid: RequestId | undefined): BrokerError {
  switch (refused.reason) {
    case 'invalid-topic':
      return new BrokerError(refused.error!.code, refused.error!.message, rid, 'publish');
    case 'too-large':
      return new BrokerError(ErrorCodes.MESSAGE_TOO_LARGE, refused.detail, rid, 'publish');
    case 'not-entitled':
      return new BrokerError(ErrorCodes.NOT_ENTITLED, refused.detail, rid, 'publish');
    case 'entitlement-unavailable':
      return new BrokerError(ErrorCodes.ENTITLEMENT_UNAVAILABLE, 'entitlement check failed; denied', rid, 'publish');
    case 'topic-rate':
      return new BrokerError(
        ErrorCodes.TOO_MANY_PUBLISH_TOPICS,
        'this connection has published to as many distinct topics this second as its resource limits allow',
        rid,
        'publish',
      );
    case 'filtered':
    case 'not-object':
      return new BrokerError(
        ErrorCodes.CONTENT_NOT_ENTITLED,
        `not entitled to publish this content to "${topic}": ${refused.detail}`,
        rid,
        'publish',
      );
  }
}

export function nativeSubscribeRefusal(refused: SubscribeRefusal, rid: RequestId): BrokerError {
  switch (refused.reason) {
    case 'too-many':
      return new BrokerError(ErrorCodes.TOO_MANY_SUBSCRIPTIONS, refused.detail, rid, 'subscribe');
    case 'invalid-filter':
      return new BrokerError(refused.error!.code, refused.error!.message, rid, 'subscribe');
    case 'not-entitled':
      return new BrokerError(ErrorCodes.NOT_ENTITLED, refused.detail, rid, 'subscribe');
    case 'entitlement-unavailable':
      return new BrokerError(ErrorCodes.ENTITLEMENT_UNAVAILABLE, refused.detail, rid, 'subscribe');
  }
}
