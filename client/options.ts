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

/**
 * How the client logs on:
 * - `password`: the password goes to the broker in the logon (use TLS: `wss:`);
 * - `token`: a bearer token (e.g. a JWT) goes to the broker in the logon;
 * - `SCRAM-SHA-256` (RFC 7677): a challenge-response exchange; the password never crosses the
 *   wire, and the broker must prove it knows the user's credentials (protects against a fake broker).
 */
export type LogonMechanism = 'password' | 'token' | 'SCRAM-SHA-256';
export const LOGON_MECHANISMS: readonly LogonMechanism[] = ['password', 'token', 'SCRAM-SHA-256'];

/** PEM text or bytes, or a list of them. */
export type PemInput = string | Uint8Array | ReadonlyArray<string | Uint8Array>;

/**
 * TLS settings for a `wss:` URL in Node, passed to the `ws` package (which hands them to Node's
 * tls.connect). Browsers do TLS themselves (trust store, client certificate prompt): there this
 * option cannot be used.
 */
export interface TlsOptions {
  /** CA certificates to verify the broker's certificate with, instead of Node's default list (e.g. a private CA). */
  ca?: PemInput;
  /** The client certificate (and intermediates), for listeners with requireClientCertificate. */
  cert?: PemInput;
  /** The client certificate's private key. */
  key?: PemInput;
  /** Unlocks an encrypted `key`. */
  passphrase?: string;
}

export const TLS_OPTION_KEYS: readonly (keyof TlsOptions)[] = ['ca', 'cert', 'key', 'passphrase'];

export interface ConnectOptions {
  /**
   * The user name sent in the logon. Leave it out where the broker needs none: a listener that
   * takes the identity from the client certificate (`tls-cert`) or logs clients on implicitly
   * (`implicit`), or a token that names the user. Where one is needed, a logon without it is
   * refused (LOGON_FAILED, saying so). `''` asks for an anonymous logon, if the broker allows one.
   */
  user?: string;
  /** For the `password` and `SCRAM-SHA-256` mechanisms. */
  password?: string;
  /** For the `token` mechanism. */
  token?: string;
  /** Default: `'token'` if `token` is set, else `'password'`. */
  mechanism?: LogonMechanism;
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
  /**
   * Node only, `wss:` URLs only: CAs, client certificate and key. With it the SDK uses `ws` (or
   * the `WebSocket` override, given these as its third argument) even where a global WebSocket
   * exists, since the platform's cannot take TLS options.
   */
  tls?: TlsOptions;
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
