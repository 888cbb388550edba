// Public surface of the Warden client SDK (`@warden-broker/client`, also `warden-broker/client`). Browser-safe.
export { connect, Client } from './client.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_RECONNECT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  LOGON_MECHANISMS,
  type ConnectOptions,
  type LogonMechanism,
  type PemInput,
  type TlsOptions,
  type PublishOptions,
  type ReconnectOptions,
} from './options.js';
export type {
  ClientEvents,
  ClientState,
  ConnectedEvent,
  DisconnectedEvent,
  ReconnectingEvent,
  StateChangeEvent,
} from './events.js';
export {
  Subscription,
  DEFAULT_BUFFER_SIZE,
  type MessageHandler,
  type SubscribeSpec,
  type SubscriptionSpec,
} from './subscription.js';
export type { Message } from './message.js';
export {
  WardenError,
  ClientErrorCodes,
  isBrokerRefusal,
  type ClientErrorCode,
  type WardenErrorCode,
  type WardenErrorOptions,
} from './errors.js';
export { fullJitterDelay, backoffCeiling, type BackoffOptions } from './backoff.js';
export type { WebSocketConstructor, WebSocketLike, SocketCloseEvent, SocketMessageEvent } from './socket.js';
export type { Listener } from './typed-emitter.js';
export {
  CloseCodes,
  ErrorCodes,
  FILTER_SYNTAXES,
  MAX_SUBSCRIPTION_ID,
  SUBPROTOCOLS,
  SUBPROTOCOL_JSON,
  SUBPROTOCOL_MSGPACK,
  type CloseCode,
  type Encoding,
  type ErrorCode,
  type FilterSyntax,
  type SubscriptionId,
} from '../protocol/native.js';
