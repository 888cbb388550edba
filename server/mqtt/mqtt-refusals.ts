// The security gates' refusals as MQTT reason codes (v5; connackV3Code and SUBACK 0x80 cover
// v3.1.1). Admission: limits and rate are temporary (v3.1.1: 3, server unavailable), users and
// hosts are not (5, not authorized). Nothing about the reason reaches the client but a fixed text.
import type { RefusalKind } from '../admission/refusal.js';
import type { LogonRefused } from '../gates/logon-gate.js';
import type { PublishRefusal } from '../gates/publish-gate.js';
import type { SubscribeRefusal } from '../gates/subscribe-gate.js';
import { ReasonCodes } from './reason-codes.js';

const ADMISSION_REASON_CODES: Readonly<Record<RefusalKind, number>> = {
  // Never sent: a disabled protocol's connections are closed before CONNECT is read.
  'protocol-disabled': ReasonCodes.NOT_AUTHORIZED,
  'rate-limited': ReasonCodes.CONNECTION_RATE_EXCEEDED,
  'user-not-allowed': ReasonCodes.NOT_AUTHORIZED,
  'host-not-allowed': ReasonCodes.NOT_AUTHORIZED,
  'connection-limit': ReasonCodes.QUOTA_EXCEEDED,
};

export interface MqttRefusal {
  readonly reasonCode: number;
  /** A fixed Reason String instead of the code's usual one, or undefined. */
  readonly text: string | undefined;
}

export function mqttLogonRefusal(refused: LogonRefused): MqttRefusal {
  switch (refused.reason) {
    case 'admission':
      return { reasonCode: ADMISSION_REASON_CODES[refused.admission!.kind], text: refused.admission!.clientMessage };
    case 'throttled':
      return {
        reasonCode: refused.throttle === 'busy' ? ReasonCodes.SERVER_BUSY : ReasonCodes.BANNED,
        text: undefined,
      };
    case 'unavailable':
    case 'entitlement-unavailable':
      return { reasonCode: ReasonCodes.SERVER_UNAVAILABLE, text: undefined };
    case 'rejected':
      return { reasonCode: ReasonCodes.BAD_USER_NAME_OR_PASSWORD, text: undefined };
    case 'challenge-unsupported':
      return { reasonCode: ReasonCodes.BAD_AUTHENTICATION_METHOD, text: undefined };
    case 'not-entitled':
    case 'vhost':
      return { reasonCode: ReasonCodes.NOT_AUTHORIZED, text: undefined };
    case 'protocol':
      return { reasonCode: ReasonCodes.CLIENT_IDENTIFIER_NOT_VALID, text: undefined };
  }
}

/**
 * A refused PUBLISH's PUBACK/PUBREC reason code. 0x95 Packet too large is not a PUBACK reason
 * code (MQTT 5 §3.4.2.1), and the size is a limit on this connection: 0x97 Quota exceeded.
 * 'invalid-topic' is a protocol violation, answered by the handler, not here.
 */
export function mqttPublishRefusal(refused: PublishRefusal): MqttRefusal {
  switch (refused.reason) {
    case 'too-large':
      return { reasonCode: ReasonCodes.QUOTA_EXCEEDED, text: 'message too large' };
    case 'topic-rate':
      return { reasonCode: ReasonCodes.QUOTA_EXCEEDED, text: 'too many distinct publish topics this second' };
    case 'entitlement-unavailable':
      return { reasonCode: ReasonCodes.UNSPECIFIED_ERROR, text: undefined };
    case 'invalid-topic':
      return { reasonCode: ReasonCodes.TOPIC_NAME_INVALID, text: undefined };
    case 'not-entitled':
    case 'filtered':
    case 'not-object':
      return { reasonCode: ReasonCodes.NOT_AUTHORIZED, text: undefined };
  }
}

/** A refused SUBSCRIBE filter's SUBACK code for a v5 client (v3.1.1 clients get 0x80). */
export function mqttSubscribeRefusal(refused: SubscribeRefusal): number {
  switch (refused.reason) {
    case 'too-many':
      return ReasonCodes.QUOTA_EXCEEDED;
    case 'invalid-filter':
      return ReasonCodes.TOPIC_FILTER_INVALID;
    case 'not-entitled':
      return ReasonCodes.NOT_AUTHORIZED;
    case 'entitlement-unavailable':
      return ReasonCodes.UNSPECIFIED_ERROR;
  }
}
