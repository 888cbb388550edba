// Connect and publish options, with their defaults.
import type { Encoding } from '../protocol/native.js';
import type { WebSocketConstructor } from './socket.js';

export interface ReconnectOptions {
  /** Backoff ceiling for the first attempt, doubled per attempt. Default 100. */
  initialDelayMs?: number;
  /** Upper bound of the backoff ceiling. Default 10_000. */
  maxDelayMs?: number;
  /** Attempts per outage before giving up (then the client closes). Default Infinity. */
  maxAttempts?: number;
}

export interface ConnectOptions {
  user: string;
  password?: string;
  token?: string;
  /** Wire encoding (subprotocol). Default 'msgpack'. */
  encoding?: Encoding;
  /** Automatic reconnection after a connection that was established drops. Default true. */
  reconnect?: boolean | ReconnectOptions;
  /** How long a request (logon, subscribe, acked publish, ping...) may wait for its answer. Default 10_000. */
  requestTimeoutMs?: number;
  /** How long opening the socket may take. Default 10_000. */
  connectTimeoutMs?: number;
  /** WebSocket constructor override (default: globalThis.WebSocket, else the `ws` package). */
  WebSocket?: WebSocketConstructor;
}

export interface PublishOptions {
  /** Wait for the broker to confirm (or refuse) the publish. Default false. */
  ack?: boolean;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  maxAttempts: Infinity,
};
