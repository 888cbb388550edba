// MQTT reason codes (v5, spec 2.4) and v3.1.1 CONNACK return codes / SUBACK failure, as used here.
export const ReasonCodes = {
  SUCCESS: 0x00,
  /** DISCONNECT from a v5 client: close, and publish the will. */
  DISCONNECT_WITH_WILL_MESSAGE: 0x04,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  /** AUTH: the exchange goes on (enhanced authentication). */
  CONTINUE_AUTHENTICATION: 0x18,
  UNSPECIFIED_ERROR: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC_ERROR: 0x83,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  CLIENT_IDENTIFIER_NOT_VALID: 0x85,
  BAD_USER_NAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_UNAVAILABLE: 0x88,
  SERVER_BUSY: 0x89,
  BANNED: 0x8a,
  SERVER_SHUTTING_DOWN: 0x8b,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_IDENTIFIER_NOT_FOUND: 0x92,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  QUOTA_EXCEEDED: 0x97,
  ADMINISTRATIVE_ACTION: 0x98,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
  CONNECTION_RATE_EXCEEDED: 0x9f,
} as const;

/** v3.1.1 CONNACK return codes (spec 3.2.2.3). */
export const ConnackV3 = {
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USER_NAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

/** v3.1.1 SUBACK failure return code. */
export const SUBACK_FAILURE_V3 = 0x80;

/** A v5 CONNACK reason code as the v3.1.1 return code closest to it. */
export function connackV3Code(reason: number): number {
  switch (reason) {
    case ReasonCodes.SUCCESS:
      return ConnackV3.ACCEPTED;
    case ReasonCodes.UNSUPPORTED_PROTOCOL_VERSION:
      return ConnackV3.UNACCEPTABLE_PROTOCOL_VERSION;
    case ReasonCodes.CLIENT_IDENTIFIER_NOT_VALID:
      return ConnackV3.IDENTIFIER_REJECTED;
    case ReasonCodes.BAD_USER_NAME_OR_PASSWORD:
    case ReasonCodes.BAD_AUTHENTICATION_METHOD:
      return ConnackV3.BAD_USER_NAME_OR_PASSWORD;
    case ReasonCodes.SERVER_UNAVAILABLE:
    // Admission limits (connections, rate) pass: v3.1.1's "Server unavailable" says try again later.
    case ReasonCodes.QUOTA_EXCEEDED:
    case ReasonCodes.CONNECTION_RATE_EXCEEDED:
    // The logon guard's refusals are temporary too (security.logonQueue, security.logonBackoff).
    case ReasonCodes.SERVER_BUSY:
    case ReasonCodes.BANNED:
      return ConnackV3.SERVER_UNAVAILABLE;
    default:
      return ConnackV3.NOT_AUTHORIZED;
  }
}

/**
 * v5 Reason Strings (spec 3.x.2.2): fixed, human-readable texts per reason code, so nothing from a
 * module or from inside the broker (error messages, rule sources) is ever sent.
 */
const REASON_STRINGS: Readonly<Record<number, string>> = {
  [ReasonCodes.UNSPECIFIED_ERROR]: 'the request could not be completed; try again later',
  [ReasonCodes.MALFORMED_PACKET]: 'malformed packet',
  [ReasonCodes.PROTOCOL_ERROR]: 'protocol error',
  [ReasonCodes.CLIENT_IDENTIFIER_NOT_VALID]: 'client identifier not valid',
  [ReasonCodes.BAD_USER_NAME_OR_PASSWORD]: 'bad user name or password',
  [ReasonCodes.NOT_AUTHORIZED]: 'not authorized',
  [ReasonCodes.SERVER_UNAVAILABLE]: 'authentication or entitlement service unavailable',
  [ReasonCodes.SERVER_SHUTTING_DOWN]: 'server shutting down',
  [ReasonCodes.BAD_AUTHENTICATION_METHOD]: 'authentication method not supported',
  [ReasonCodes.KEEP_ALIVE_TIMEOUT]: 'keep alive timeout',
  [ReasonCodes.SESSION_TAKEN_OVER]: 'another connection took over this client id',
  [ReasonCodes.TOPIC_FILTER_INVALID]: 'invalid topic filter',
  [ReasonCodes.TOPIC_NAME_INVALID]: 'invalid topic name',
  [ReasonCodes.TOPIC_ALIAS_INVALID]: 'topic alias out of range',
  [ReasonCodes.RECEIVE_MAXIMUM_EXCEEDED]: 'receive maximum exceeded',
  [ReasonCodes.PACKET_TOO_LARGE]: 'packet too large',
  [ReasonCodes.QUOTA_EXCEEDED]: 'quota exceeded',
  [ReasonCodes.CONNECTION_RATE_EXCEEDED]: 'connection rate exceeded',
  [ReasonCodes.ADMINISTRATIVE_ACTION]: 'entitlements were reset',
  [ReasonCodes.SERVER_BUSY]: 'too many logons waiting; try again later',
  [ReasonCodes.BANNED]: 'too many failed logons; try again later',
};

/** `{ properties: { reasonString } }` for a refusal's code (or `text`, another fixed text), or nothing. */
export function reasonProperties(code: number, text?: string): { properties?: { reasonString: string } } {
  const reasonString = code >= ReasonCodes.UNSPECIFIED_ERROR ? (text ?? REASON_STRINGS[code]) : undefined;
  return reasonString === undefined ? {} : { properties: { reasonString } };
}

/**
 * The Reason String properties of a refusal, unless the client asked for no problem information:
 * v5 Request Problem Information 0 forbids them on PUBACK, PUBREC, SUBACK and the like (CONNACK,
 * DISCONNECT and PUBLISH may still carry one) [MQTT-3.1.2-29].
 */
export function problem(
  client: { readonly problemInformation: boolean },
  reasonCode: number,
  text?: string,
): ReturnType<typeof reasonProperties> {
  return client.problemInformation ? reasonProperties(reasonCode, text) : {};
}
