// The Warden native wire protocol, shared by the broker and the client SDK.
// Pure types and constants: nothing here may import Node-only modules (the SDK runs in browsers).
// The prose version of this file is docs/protocol.md; keep them in step.

/** WebSocket subprotocols. msgpack frames are binary, JSON frames are text. */
export const SUBPROTOCOL_MSGPACK = 'warden.v1.msgpack';
export const SUBPROTOCOL_JSON = 'warden.v1.json';
export type Encoding = 'msgpack' | 'json';
export const SUBPROTOCOLS: Readonly<Record<Encoding, string>> = {
  msgpack: SUBPROTOCOL_MSGPACK,
  json: SUBPROTOCOL_JSON,
};

/** Request id chosen by the client; echoed on the ack or error. */
export type RequestId = number;
/** Subscription id chosen by the client: an integer in [0, 2^31). */
export type SubscriptionId = number;
export const MAX_SUBSCRIPTION_ID = 0x7fffffff;

/** The syntaxes a content filter may be written in (docs/filters.md). */
export const FILTER_SYNTAXES = ['jsonata', 'amps'] as const;
export type FilterSyntax = (typeof FILTER_SYNTAXES)[number];

// ---- client -> broker ------------------------------------------------------

export interface LogonCommand {
  op: 'logon';
  rid: RequestId;
  /** Absent or '': no user name (the identity comes from the client certificate or the token, or the logon is anonymous). */
  user?: string;
  password?: string;
  /** A bearer token (e.g. a JWT) instead of a password. */
  token?: string;
  /**
   * `password` (default when a password is given), `token` (default when a token is given), or a
   * challenge-response mechanism such as `SCRAM-SHA-256` (RFC 7677), whose first message goes in `data`.
   */
  mechanism?: string;
  data?: string;
}

/** The client's answer to a `challenge` frame during logon. */
export interface AuthCommand {
  op: 'auth';
  rid: RequestId;
  data: string;
}

export interface SubscribeCommand {
  op: 'subscribe';
  rid: RequestId;
  sid: SubscriptionId;
  /** An exact topic or an MQTT-style wildcard filter (`+` one level, `#` the rest). */
  topic?: string;
  /** A regular expression (RE2 syntax) matched against the whole topic string. */
  regex?: string;
  /** Content filter: a JSONata expression (docs/filters.md); only matching messages are delivered. */
  filter?: string;
  /**
   * The syntax of `filter`: `jsonata`, or `amps` (`/px > 100 AND /region = 'EU'`, docs/filters.md,
   * "The AMPS syntax"). Absent: the broker's default (content.filterSyntax, `jsonata` unless set).
   */
  filterSyntax?: FilterSyntax;
  /** Select list, e.g. `-/,+/sym,+/px` (docs/select-lists.md): the fields delivered. */
  select?: string;
}

export interface UnsubscribeCommand {
  op: 'unsubscribe';
  rid: RequestId;
  sid: SubscriptionId;
}

/**
 * Exactly one of `data` (any JSON-compatible value; in msgpack a top-level binary means raw
 * bytes) or `bytes` (raw bytes: a msgpack binary, or base64 text in JSON).
 */
export interface PublishCommand {
  op: 'publish';
  rid?: RequestId;
  topic: string;
  data?: unknown;
  bytes?: Uint8Array | string;
  /** Ask for an ack (or an error) carrying `rid`. Without it a refused publish is reported with no rid. */
  ack?: boolean;
}

export interface PingCommand {
  op: 'ping';
  rid: RequestId;
}

export type ClientCommand =
  LogonCommand | AuthCommand | SubscribeCommand | UnsubscribeCommand | PublishCommand | PingCommand;

export type CommandName = ClientCommand['op'];

// ---- broker -> client ------------------------------------------------------

export interface AckFrame {
  op: 'ack';
  rid: RequestId;
  /** On a logon ack: the identity the broker assigned and the broker's session id. */
  user?: string;
  session?: string;
  /** On a logon ack after a challenge-response mechanism: the final server message (SCRAM's server signature). */
  data?: string;
}

/** During logon: the client must answer `data` with an `auth` command carrying the same rid. */
export interface ChallengeFrame {
  op: 'challenge';
  rid: RequestId;
  data: string;
}

export interface ErrorFrame {
  op: 'error';
  /** Absent when the failing command carried no usable rid (a malformed frame, an un-acked publish). */
  rid?: RequestId;
  code: ErrorCode;
  message: string;
  /** The command the error answers, when known. */
  cmd?: string;
  /** The subscription the broker ended (ENTITLEMENT_REVOKED); the client must not re-send it. */
  sid?: SubscriptionId;
}

/** A delivery: one frame per message per connection, listing every subscription it matched. */
export interface MessageFrame {
  op: 'msg';
  sids: SubscriptionId[];
  topic: string;
  data?: unknown;
  bytes?: Uint8Array | string;
}

export type ServerFrame = AckFrame | ErrorFrame | MessageFrame | ChallengeFrame;

// ---- error codes -------------------------------------------------------------

/** Stable error codes. Never change the meaning of one; add new ones. Listed in docs/protocol.md. */
export const ErrorCodes = {
  /** The frame could not be decoded (bad JSON or msgpack, not an object, wrong frame type). */
  BAD_FRAME: 'BAD_FRAME',
  /** The frame exceeded the listener's maxFrameBytes. */
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  /** `op` is missing or names no command. */
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
  /** A field is missing, has the wrong type or an out-of-range value. */
  INVALID_FIELD: 'INVALID_FIELD',
  /** A command other than logon before a successful logon. */
  NOT_LOGGED_ON: 'NOT_LOGGED_ON',
  /** A second logon on the same connection. */
  ALREADY_LOGGED_ON: 'ALREADY_LOGGED_ON',
  /** The logon was refused (bad credentials, unknown user, host not allowed, logon not entitled). The broker then closes the connection (4003). */
  LOGON_FAILED: 'LOGON_FAILED',
  /** An `auth` command with no challenge outstanding. */
  NO_CHALLENGE: 'NO_CHALLENGE',
  /** The authentication module failed or did not answer in time; the logon is refused (fail closed). */
  AUTHENTICATION_UNAVAILABLE: 'AUTHENTICATION_UNAVAILABLE',
  /** The user is not entitled to this action on this resource (read for subscribe, write for publish). */
  NOT_ENTITLED: 'NOT_ENTITLED',
  /** The entitlement module failed or did not answer in time; the action is denied (fail closed). */
  ENTITLEMENT_UNAVAILABLE: 'ENTITLEMENT_UNAVAILABLE',
  /**
   * Unsolicited, with the `sid` it ends: a re-evaluation of entitlements (a reset in reevaluate
   * mode, an invalidation) found the user may no longer read the subscription's topic. The broker
   * removed the subscription; the connection stays up.
   */
  ENTITLEMENT_REVOKED: 'ENTITLEMENT_REVOKED',
  /** A topic or wildcard filter is malformed (empty, NUL, misplaced wildcard, wildcard in a publish topic). */
  INVALID_TOPIC: 'INVALID_TOPIC',
  /** A topic or pattern is longer than the broker allows. */
  TOPIC_TOO_LONG: 'TOPIC_TOO_LONG',
  /** A regex the linear-time engine cannot compile (syntax error, backreference, lookaround). */
  INVALID_REGEX: 'INVALID_REGEX',
  /** The subscription id is already in use on this connection. */
  DUPLICATE_SUBSCRIPTION: 'DUPLICATE_SUBSCRIPTION',
  /** No subscription with that id on this connection. */
  UNKNOWN_SUBSCRIPTION: 'UNKNOWN_SUBSCRIPTION',
  /** A feature this broker version does not implement. */
  UNSUPPORTED: 'UNSUPPORTED',
  /** A content filter outside the supported JSONata subset, or one that does not parse; the message names the construct. */
  INVALID_FILTER: 'INVALID_FILTER',
  /** A malformed select list; the message names the step. */
  INVALID_SELECT: 'INVALID_SELECT',
  /** The published message does not match the publisher's write entitlement filter; it was delivered to no one. */
  CONTENT_NOT_ENTITLED: 'CONTENT_NOT_ENTITLED',
  /** The connection already has the maximum number of subscriptions (the listener's, or its resource-limit group's). */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /** A broker-wide resource budget (or the user's share of it) has no room: e.g. topics.regex for regex subscriptions. The connection stays up. */
  RESOURCE_LIMIT: 'RESOURCE_LIMIT',
  /** Admission: the user is not in the broker's allowed users. The logon is refused and the connection closed (4003). */
  USER_NOT_ALLOWED: 'USER_NOT_ALLOWED',
  /** Admission: the user may not connect from this remote address. The logon is refused and the connection closed (4003). */
  HOST_NOT_ALLOWED: 'HOST_NOT_ALLOWED',
  /** Admission: the broker's, this host's or this user's connection limit is reached; retry later. Closed with 4003. */
  CONNECTION_LIMIT: 'CONNECTION_LIMIT',
  /** Admission: too many connections from this host per second; retry later. The logon is refused and the connection closed (4003). */
  RATE_LIMITED: 'RATE_LIMITED',
  /** Too many logons from this host (or in all) are waiting for a credential check; retry later. No check was made; closed (4003). */
  SERVER_BUSY: 'SERVER_BUSY',
  /** Too many failed logons from this host or for this user name; retry after the back-off. No check was made; closed (4003). */
  LOGON_BLOCKED: 'LOGON_BLOCKED',
  /** The published message is larger than the user's resource-limit group allows; it was delivered to no one. */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** The connection has published to as many distinct topics this second as its resource-limit group allows; the publish was delivered to no one. */
  TOO_MANY_PUBLISH_TOPICS: 'TOO_MANY_PUBLISH_TOPICS',
  /** The broker is shutting down. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** An unexpected broker-side failure; details are in the broker log, never on the wire. */
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** WebSocket close codes the broker uses (4000-4999 is the application range). */
export const CloseCodes = {
  /** The broker is shutting down. */
  GOING_AWAY: 1001,
  /** The client kept sending bad frames (see maxProtocolErrors). */
  POLICY_VIOLATION: 1008,
  /** A frame beyond the hard size limit. */
  MESSAGE_TOO_BIG: 1009,
  /** The subscriber did not read fast enough and its send queue passed maxSendQueueBytes. */
  SLOW_CONSUMER: 4001,
  /** No logon within logonTimeoutMs. */
  LOGON_TIMEOUT: 4002,
  /** The logon was refused (authentication, entitlement or admission); the error frame before the close says why. */
  LOGON_FAILED: 4003,
  /** An administrator reset this user's entitlements; reconnect to get the current ones. */
  ENTITLEMENTS_RESET: 4004,
  /** An administrator closed this connection (DELETE /admin/connections); the SDK does not reconnect. */
  DISCONNECTED_BY_ADMIN: 4005,
  /** An unexpected broker failure while handling this connection (logged, counted in connectionErrors); only this connection is closed. */
  INTERNAL_ERROR: 1011,
} as const;
export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes];
