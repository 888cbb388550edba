// The Warden client: a state machine over one connection at a time, owning the live
// subscriptions and re-establishing both after an unexpected disconnect, on the next broker URL
// of its list (failover between the nodes of a cluster, see failover.ts).
import {
  CloseCodes,
  ErrorCodes,
  MAX_SUBSCRIPTION_ID,
  type AckFrame,
  type Encoding,
  type SubscriptionId,
} from '../protocol/native.js';
import { createCodec, type Codec, type InboundMessage } from './codec.js';
import { Connection, type LogonRequest } from './connection.js';
import { ClientErrorCodes, WardenError, isBrokerRefusal } from './errors.js';
import { allUrlsFailed, brokerUrlsOf, failoverStep, type UrlFailure } from './failover.js';
import { SCRAM_SHA_256, ScramSha256Client, scramAvailable } from './scram.js';
import {
  ABNORMAL_CLOSURE,
  closeSocket,
  openSocket,
  resolveWebSocket,
  type SocketCloseEvent,
  type WebSocketConstructor,
  type WebSocketLike,
} from './socket.js';
import { DeliveredMessage, type Message } from './message.js';
import {
  DEFAULT_BUFFER_SIZE,
  Subscription,
  type MessageHandler,
  type SubscribeSpec,
  type SubscriptionOwner,
  type SubscriptionSpec,
} from './subscription.js';
import { TypedEmitter, rethrowAsync } from './typed-emitter.js';
import { socketOptionsFor } from './tls-options.js';
import type { ClientEvents, ClientState } from './events.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_RECONNECT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  LOGON_MECHANISMS,
  type ConnectOptions,
  type LogonMechanism,
  type PublishOptions,
  type ReconnectOptions,
} from './options.js';

/** Logon refusals worth retrying: the broker may be back to normal on the next attempt. */
const TRANSIENT_REFUSALS: ReadonlySet<string> = new Set([
  ErrorCodes.SHUTTING_DOWN,
  ErrorCodes.INTERNAL,
  ErrorCodes.AUTHENTICATION_UNAVAILABLE,
  // Admission limits: connections end and rate buckets refill, so a later attempt may be admitted.
  ErrorCodes.CONNECTION_LIMIT,
  ErrorCodes.RATE_LIMITED,
  // The logon guard: queues drain and back-offs end. The SDK gives up on LOGON_FAILED, so its own
  // wrong password never gets it blocked; a block it meets was caused by someone else's failures.
  ErrorCodes.SERVER_BUSY,
  ErrorCodes.LOGON_BLOCKED,
]);

/**
 * Opens a connection and logs on, to the first of `urls` that accepts (tried in order). Rejects if
 * every URL failed (the first connect is not retried).
 */
export async function connect(urls: string | readonly string[], options: ConnectOptions = {}): Promise<Client> {
  const client = new Client(urls, options);
  await client.start();
  return client;
}

export class Client extends TypedEmitter<ClientEvents> {
  private currentState: ClientState = 'connecting';
  /** The broker URLs, in the order the first connect tries them. */
  readonly urls: readonly string[];
  /** Index in `urls` of the current connection, or of the last one (0 before the first). */
  private urlIndex = 0;
  private readonly codec: Codec;
  private readonly reconnectOptions: Required<ReconnectOptions> | undefined;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly mechanism: LogonMechanism;
  /** What `ws` gets for options.tls; undefined without it. */
  private readonly socketOptions: Record<string, unknown> | undefined;
  private webSocketImpl: WebSocketConstructor | undefined;
  /** The socket in use or being set up; undefined between connections. */
  private connection: Connection | undefined;
  /** The connection that has completed logon (commands other than logon may be sent on it). */
  private loggedOn: Connection | undefined;
  private identity: { user: string; session: string } | undefined;
  /** Confirmed subscriptions: the ones re-sent after a reconnect. */
  private readonly subscriptions = new Map<SubscriptionId, Subscription>();
  /** Sent but not yet acked: deliveries may already arrive for them. */
  private readonly pendingSubscriptions = new Map<SubscriptionId, Subscription>();
  private nextSid = 0;
  private wakeFromBackoff: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  /** A socket being opened by establish(), so close() can wait for it too. */
  private opening: Promise<WebSocketLike> | undefined;
  private readonly subscriptionOwner: SubscriptionOwner = {
    release: (subscription, reason) => this.release(subscription, reason),
  };

  /** Use `connect()`, which also opens the connection. */
  constructor(
    urls: string | readonly string[],
    private readonly options: ConnectOptions = {},
  ) {
    super();
    this.urls = brokerUrlsOf(urls);
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    if (options.user !== undefined && typeof options.user !== 'string')
      throw new TypeError('options.user must be a string');
    this.mechanism = logonMechanismOf(options);
    this.socketOptions = socketOptionsFor(this.urls, options.tls);
    this.codec = createCodec(options.encoding ?? 'msgpack');
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const reconnect = options.reconnect ?? true;
    this.reconnectOptions =
      reconnect === false ? undefined : { ...DEFAULT_RECONNECT, ...(reconnect === true ? {} : definedOnly(reconnect)) };
  }

  get state(): ClientState {
    return this.currentState;
  }

  /**
   * The URL of the broker the client is connected to; while reconnecting (or once closed), that of
   * the connection that ended; before the first connection, the first URL.
   */
  get url(): string {
    return this.urls[this.urlIndex]!;
  }

  get encoding(): Encoding {
    return this.codec.encoding;
  }

  /** The identity the broker assigned at the last logon (undefined before the first). */
  get user(): string | undefined {
    return this.identity?.user;
  }

  /** The broker's session id of the current (or last) connection. */
  get session(): string | undefined {
    return this.identity?.session;
  }

  /**
   * @internal The first connect: each URL once, in order, with no delay (they are different
   * nodes); any failure moves on to the next URL. No retry. Called by `connect()`.
   */
  async start(): Promise<void> {
    const failures: UrlFailure[] = [];
    for (const [index, url] of this.urls.entries()) {
      try {
        await this.establish(index, false);
        return;
      } catch (error) {
        if (!this.establishing) {
          // close() ran meanwhile: report that, not the URLs not tried.
          this.setState('closed');
          throw asConnectError(error);
        }
        failures.push({ url, error: asConnectError(error) });
      }
    }
    this.setState('closed');
    throw allUrlsFailed(failures);
  }

  /**
   * Subscribes. With a handler, messages are passed to it; without one, iterate the returned
   * subscription (`for await`). Rejects with the broker's refusal, or NOT_CONNECTED while
   * not connected.
   */
  async subscribe(spec: SubscribeSpec, handler?: MessageHandler): Promise<Subscription> {
    const connection = this.requireConnected('subscribe');
    const { bufferSize = DEFAULT_BUFFER_SIZE, ...rest } = spec;
    const wireSpec = wireSpecOf(rest);
    const sid = this.allocateSid();
    const subscription = new Subscription(this.subscriptionOwner, sid, wireSpec, handler, bufferSize);
    this.pendingSubscriptions.set(sid, subscription);
    try {
      await connection.request({ op: 'subscribe', sid, ...wireSpec });
    } catch (error) {
      this.pendingSubscriptions.delete(sid);
      subscription.end();
      throw error;
    }
    this.pendingSubscriptions.delete(sid);
    if (!subscription.active) return subscription; // ended while pending (buffer overflow): it reports that itself
    if (this.currentState === 'closed') {
      subscription.end();
      throw new WardenError(ClientErrorCodes.CLOSED, 'the client was closed', { cmd: 'subscribe' });
    }
    if (this.connection !== connection) {
      // Acked on a connection that is already gone: it was not in the set re-sent on reconnect.
      subscription.end();
      throw new WardenError(ClientErrorCodes.CONNECTION_LOST, 'the connection dropped right after the subscribe', {
        cmd: 'subscribe',
      });
    }
    this.subscriptions.set(sid, subscription);
    return subscription;
  }

  /**
   * Publishes `data`: a Uint8Array (or any ArrayBuffer / ArrayBuffer view) is sent as raw bytes, anything else as a
   * JSON-compatible value (`undefined` becomes null). With `{ ack: true }` resolves when the
   * broker accepted it; otherwise once handed to the socket. Never buffered across reconnects:
   * rejects with NOT_CONNECTED while not connected.
   */
  async publish(topic: string, data: unknown, options: PublishOptions = {}): Promise<void> {
    const connection = this.requireConnected('publish');
    const payload =
      data instanceof ArrayBuffer
        ? { bytes: new Uint8Array(data) }
        : ArrayBuffer.isView(data)
          ? { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
          : { data: data === undefined ? null : data };
    if (options.ack === true) {
      await connection.request({ op: 'publish', topic, ...payload, ack: true });
    } else {
      connection.send({ op: 'publish', topic, ...payload });
    }
  }

  /** Round trip to the broker, in milliseconds. */
  async ping(): Promise<number> {
    const connection = this.requireConnected('ping');
    const started = performance.now();
    await connection.request({ op: 'ping' });
    return performance.now() - started;
  }

  /**
   * Closes with code 1000 and stops reconnecting. Pending requests reject with CLOSED, async
   * iterators end (after yielding what they buffered). Resolves once the socket is closed.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- state machine ---------------------------------------------------------------------

  /** The only place the state changes; emits 'state' on a real change only. */
  private setState(next: ClientState): void {
    if (next === this.currentState) return;
    const previous = this.currentState;
    this.currentState = next;
    this.emit('state', { state: next, previous });
  }

  /** True while a connect or reconnect attempt may continue (nobody closed the client meanwhile). */
  private get establishing(): boolean {
    return this.currentState === 'connecting' || this.currentState === 'reconnecting';
  }

  /**
   * Opens a socket to `urls[index]`, logs on and (after a reconnect) re-subscribes; then the client
   * is connected. Throws on any failure, leaving no connection behind.
   */
  private async establish(index: number, reconnected: boolean): Promise<void> {
    this.webSocketImpl ??= await resolveWebSocket(this.options.WebSocket, this.socketOptions !== undefined);
    if (!this.establishing) throw closedError('logon');
    const url = this.urls[index]!;
    const opening = openSocket(
      this.webSocketImpl,
      url,
      this.codec.subprotocol,
      this.connectTimeoutMs,
      this.socketOptions,
    );
    this.opening = opening;
    let socket: WebSocketLike;
    try {
      socket = await opening;
    } finally {
      if (this.opening === opening) this.opening = undefined;
    }
    if (!this.establishing) {
      // close() ran while the socket was opening; it waits for this close (see shutdown()).
      void closeSocket(socket, 1000, 'client closed');
      throw closedError('logon');
    }
    const connection: Connection = new Connection(socket, this.codec, this.requestTimeoutMs, {
      message: (frame) => this.deliver(frame),
      unsolicitedError: (error) => this.emit('error', error),
      subscriptionEnded: (sid, error) => this.endedByBroker(sid, error),
      closed: (event) => this.onConnectionClosed(connection, event),
    });
    this.connection = connection;

    let ack: AckFrame;
    try {
      ack = await this.logOn(connection);
    } catch (caught) {
      const error = logonFailure(connection, caught, this.options.user);
      // The close code tells the broker (and its logs) why we hung up: 4003 for a refused logon
      // (the broker closes with it too), 1008 for a broker that failed to authenticate itself.
      if (isServerAuthenticationFailure(error))
        await this.abandon(connection, CloseCodes.POLICY_VIOLATION, 'server authentication failed');
      else if (isBrokerRefusal(error)) await this.abandon(connection, CloseCodes.LOGON_FAILED, 'logon refused');
      else await this.abandon(connection, 1000, 'logon failed');
      throw error;
    }
    if (!this.establishing) throw closedError('logon');
    if (!connection.isOpen) {
      await this.abandon(connection, 1000, 'connection lost');
      throw new WardenError(ClientErrorCodes.CONNECTION_LOST, 'the connection dropped right after logon', {
        cmd: 'logon',
      });
    }
    this.loggedOn = connection;

    if (reconnected) {
      await this.resubscribeAll(connection);
      if (!this.establishing) throw closedError('subscribe');
      if (!connection.isOpen) {
        await this.abandon(connection, 1000, 'connection lost');
        throw new WardenError(ClientErrorCodes.CONNECTION_LOST, 'the connection dropped while re-subscribing', {
          cmd: 'subscribe',
        });
      }
    }

    this.identity = { user: ack.user ?? this.options.user ?? '', session: ack.session ?? '' };
    this.urlIndex = index;
    this.setState('connected');
    this.emit('connected', { reconnected, url, ...this.identity });
  }

  /** Re-sends every confirmed subscription with its sid and spec. Throws if the connection fails. */
  private async resubscribeAll(connection: Connection): Promise<void> {
    const subscriptions = [...this.subscriptions.values()];
    const results = await Promise.allSettled(
      subscriptions.map((subscription) =>
        connection.request({ op: 'subscribe', sid: subscription.id, ...subscription.spec }),
      ),
    );
    let transportFailure: unknown;
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') return;
      const subscription = subscriptions[index]!;
      if (isBrokerRefusal(result.reason)) {
        // A refusal is the broker's answer, not a transient failure: drop the subscription.
        if (this.subscriptions.get(subscription.id) !== subscription) return; // unsubscribed meanwhile
        this.subscriptions.delete(subscription.id);
        subscription.end(result.reason);
        this.emit('error', result.reason);
      } else {
        transportFailure ??= result.reason;
      }
    });
    if (transportFailure !== undefined) {
      await this.abandon(connection, 1000, 'resubscribe failed');
      throw transportFailure;
    }
  }

  /** Closes a connection that did not become the established one. */
  private async abandon(connection: Connection, code: number, reason: string): Promise<SocketCloseEvent> {
    if (this.connection === connection) this.connection = undefined;
    if (this.loggedOn === connection) this.loggedOn = undefined;
    return connection.close(code, reason, ClientErrorCodes.CONNECTION_LOST);
  }

  private onConnectionClosed(connection: Connection, event: SocketCloseEvent): void {
    if (connection !== this.connection) return;
    // While connecting/reconnecting the establish() flow sees the failed request and handles it;
    // after close() the shutdown path reports. Only a drop of the live connection is handled here.
    if (this.currentState !== 'connected') return;
    this.connection = undefined;
    this.loggedOn = undefined;
    // An administrator closed this connection on purpose: coming straight back would undo it.
    if (this.reconnectOptions === undefined || event.code === CloseCodes.DISCONNECTED_BY_ADMIN) {
      this.enterClosed();
      this.emit('disconnected', { code: event.code, reason: event.reason, willReconnect: false });
      return;
    }
    this.setState('reconnecting');
    this.emit('disconnected', { code: event.code, reason: event.reason, willReconnect: true });
    void this.reconnect(this.reconnectOptions);
  }

  /** Goes round the URLs from the one after the dropped connection's; see failoverStep for the order and backoff. */
  private async reconnect(options: Required<ReconnectOptions>): Promise<void> {
    const droppedIndex = this.urlIndex;
    const urlCount = this.urls.length;
    let lastError: unknown;
    // A failure no retry of the same node would fix, met in the current round. It ends the
    // reconnecting once the round is over, unless a later URL of the round accepts: a node with
    // a stale configuration must not cut a client off from the healthy ones, and a cluster that
    // refuses everywhere costs one logon per node, not an endless loop.
    let fatal: WardenError | undefined;
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      const { index, delayMs } = failoverStep(attempt, droppedIndex, urlCount, options);
      this.emit('reconnecting', { attempt, delayMs, url: this.urls[index]! });
      await this.backoffSleep(delayMs);
      if (this.currentState !== 'reconnecting') return;
      try {
        await this.establish(index, true);
        return;
      } catch (error) {
        if (this.currentState !== 'reconnecting') return;
        // Retrying a refused logon (wrong or revoked credentials) would never succeed; a broker
        // that fails to prove itself is something answering in its place: don't keep sending it proofs.
        if ((isBrokerRefusal(error) && !TRANSIENT_REFUSALS.has(error.code)) || isServerAuthenticationFailure(error))
          fatal = error;
        lastError = error;
      }
      if (fatal !== undefined && (attempt % urlCount === 0 || attempt === options.maxAttempts)) {
        this.giveUpOn(fatal);
        return;
      }
    }
    const error = new WardenError(
      ClientErrorCodes.CONNECTION_FAILED,
      `gave up reconnecting after ${options.maxAttempts} attempts`,
      { cause: lastError },
    );
    this.giveUp(error, ABNORMAL_CLOSURE, error.message);
  }

  /** Gives up on a refusal or a broker that failed to authenticate itself, closing with the matching code. */
  private giveUpOn(error: WardenError): void {
    if (error.code === ClientErrorCodes.SERVER_AUTHENTICATION_FAILED)
      this.giveUp(error, CloseCodes.POLICY_VIOLATION, error.message);
    else this.giveUp(error, CloseCodes.LOGON_FAILED, `logon refused: ${error.message}`);
  }

  /** The reconnect loop's end: closed state, then 'error' and a final 'disconnected'. */
  private giveUp(error: WardenError, code: number, reason: string): void {
    this.enterClosed();
    this.emit('error', error);
    this.emit('disconnected', { code, reason, willReconnect: false });
  }

  /** A delay that close() cuts short. */
  private backoffSleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(wake, ms);
      function wake(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeFromBackoff = () => {
        this.wakeFromBackoff = undefined;
        wake();
      };
    });
  }

  private async shutdown(): Promise<void> {
    const wasConnected = this.currentState === 'connected';
    this.enterClosed();
    this.wakeFromBackoff?.();
    const opening = this.opening;
    const connection = this.connection;
    this.connection = undefined;
    this.loggedOn = undefined;
    if (opening !== undefined) {
      // establish() closes it as soon as it opens (it sees the closed state).
      const socket = await opening.catch(() => undefined);
      if (socket !== undefined) await closeSocket(socket, 1000, 'client closed');
    }
    if (connection === undefined) return;
    const event = await connection.close(1000, 'client closed');
    if (wasConnected) this.emit('disconnected', { code: event.code, reason: event.reason, willReconnect: false });
  }

  /** Closed state: nothing is delivered any more and every subscription's iteration ends. */
  private enterClosed(): void {
    this.setState('closed');
    const subscriptions = [...this.subscriptions.values(), ...this.pendingSubscriptions.values()];
    this.subscriptions.clear();
    this.pendingSubscriptions.clear();
    for (const subscription of subscriptions) subscription.end();
  }

  // ---- subscriptions ---------------------------------------------------------------------

  private deliver(frame: InboundMessage): void {
    const message: Message =
      frame.bytes !== undefined
        ? new DeliveredMessage(frame.topic, frame.bytes, frame.bytes, frame.sids)
        : new DeliveredMessage(frame.topic, frame.data, undefined, frame.sids);
    for (const sid of frame.sids) {
      const subscription = this.subscriptions.get(sid) ?? this.pendingSubscriptions.get(sid);
      if (subscription === undefined) continue; // unsubscribed; a delivery was already in flight
      try {
        subscription.dispatch(message);
      } catch (error) {
        // A throwing handler must not starve the other subscriptions of this message.
        rethrowAsync(error);
      }
    }
  }

  /** The broker ended a subscription (its entitlement was revoked): it ends here too, and is not re-sent. */
  private endedByBroker(sid: SubscriptionId, error: WardenError): void {
    const subscription = this.subscriptions.get(sid) ?? this.pendingSubscriptions.get(sid);
    if (subscription === undefined) return;
    this.subscriptions.delete(sid);
    this.pendingSubscriptions.delete(sid);
    subscription.end(error);
    this.emit('error', error);
  }

  /** Ends a subscription locally, then at the broker if it may be there. */
  private async release(subscription: Subscription, reason?: WardenError): Promise<void> {
    if (!subscription.active) return;
    const sid = subscription.id;
    if (this.subscriptions.get(sid) === subscription) this.subscriptions.delete(sid);
    if (this.pendingSubscriptions.get(sid) === subscription) this.pendingSubscriptions.delete(sid);
    subscription.end(reason);
    const connection = this.loggedOn;
    // Not logged on: the broker's copy died with the old connection and will not be re-sent.
    if (connection === undefined || !connection.isOpen) return;
    try {
      await connection.request({ op: 'unsubscribe', sid });
    } catch (error) {
      if (!(error instanceof WardenError)) throw error;
      // Gone either way: the connection (and the broker's copy with it) ended, or the broker never had it.
      const gone: readonly string[] = [
        ClientErrorCodes.CONNECTION_LOST,
        ClientErrorCodes.CLOSED,
        ClientErrorCodes.NOT_CONNECTED,
        ErrorCodes.UNKNOWN_SUBSCRIPTION,
      ];
      if (!gone.includes(error.code)) throw error;
    }
  }

  /** Sids are never reused by a client (late deliveries for an old sid are then harmless). */
  private allocateSid(): SubscriptionId {
    for (;;) {
      const sid = this.nextSid;
      this.nextSid = sid >= MAX_SUBSCRIPTION_ID ? 0 : sid + 1;
      // After 2^31 subscriptions wrap around, skipping sids still in use.
      if (!this.subscriptions.has(sid) && !this.pendingSubscriptions.has(sid)) return sid;
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  private requireConnected(cmd: string): Connection {
    const connection = this.connection;
    if (this.currentState !== 'connected' || connection === undefined || !connection.isOpen) {
      throw new WardenError(ClientErrorCodes.NOT_CONNECTED, `cannot ${cmd}: the client is ${this.currentState}`, {
        cmd,
      });
    }
    return connection;
  }

  // ---- logon -----------------------------------------------------------------------------

  /** Runs the logon exchange of the configured mechanism on a fresh connection; resolves with the logon ack. */
  private async logOn(connection: Connection): Promise<AckFrame> {
    const { user, password, token } = this.options;
    if (this.mechanism === SCRAM_SHA_256) return this.logOnWithScram(connection, user!, password!);
    // No user name: the key is left out, and the broker takes the identity from elsewhere (the
    // client certificate, the token) or refuses the logon.
    const named = user === undefined ? {} : { user };
    const request: LogonRequest =
      this.mechanism === 'token'
        ? { op: 'logon', ...named, token: token!, mechanism: 'token' }
        : password === undefined
          ? { op: 'logon', ...named } // no credentials: the broker's default (e.g. an anonymous logon)
          : { op: 'logon', ...named, password, mechanism: 'password' };
    const answer = await connection.logon(request);
    if (answer.op === 'challenge') {
      throw new WardenError(
        ClientErrorCodes.SERVER_AUTHENTICATION_FAILED,
        `the broker answered a '${this.mechanism}' logon with a challenge, but that mechanism has no challenge step (the SDK runs challenge-response only for ${SCRAM_SHA_256})`,
        { cmd: 'logon' },
      );
    }
    return answer;
  }

  /** SCRAM-SHA-256: a new exchange (new nonce) on every logon, reconnects included. */
  private async logOnWithScram(connection: Connection, user: string, password: string): Promise<AckFrame> {
    const scram = new ScramSha256Client(user, password);
    const challenge = await connection.logon({
      op: 'logon',
      user,
      mechanism: SCRAM_SHA_256,
      data: scram.clientFirstMessage,
    });
    if (challenge.op !== 'challenge') {
      throw new WardenError(
        ClientErrorCodes.SERVER_AUTHENTICATION_FAILED,
        'SCRAM-SHA-256: the broker accepted the logon without running the exchange',
        { cmd: 'logon' },
      );
    }
    const clientFinal = await scram.clientFinalMessage(challenge.data);
    // PBKDF2 takes a while: the client may have been closed, or the socket lost, meanwhile.
    if (!this.establishing) throw closedError('logon');
    if (!connection.isOpen)
      throw new WardenError(ClientErrorCodes.CONNECTION_LOST, 'the connection dropped during the SCRAM exchange', {
        cmd: 'auth',
      });
    const ack = await connection.answerChallenge(challenge, clientFinal);
    if (ack.op !== 'ack') {
      throw new WardenError(
        ClientErrorCodes.SERVER_AUTHENTICATION_FAILED,
        'SCRAM-SHA-256: the broker sent a second challenge',
        { cmd: 'logon' },
      );
    }
    await scram.verifyServerFinal(ack.data);
    return ack;
  }
}

/** The spec as sent on the wire: only the fields that are set (no `undefined` keys for msgpack). */
function wireSpecOf(spec: SubscriptionSpec): SubscriptionSpec {
  return definedOnly(spec) as SubscriptionSpec;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The mechanism to log on with; throws a TypeError when the options cannot support it. */
function logonMechanismOf(options: ConnectOptions): LogonMechanism {
  const { password, token } = options;
  if (password !== undefined && typeof password !== 'string') throw new TypeError('options.password must be a string');
  if (token !== undefined && typeof token !== 'string') throw new TypeError('options.token must be a string');
  const mechanism = options.mechanism ?? (token !== undefined ? 'token' : 'password');
  if (!LOGON_MECHANISMS.includes(mechanism)) {
    throw new TypeError(
      `options.mechanism must be one of ${LOGON_MECHANISMS.map((name) => `'${name}'`).join(', ')} (got ${JSON.stringify(mechanism)})`,
    );
  }
  if (options.mechanism === 'password' && password === undefined)
    throw new TypeError("mechanism 'password' needs options.password");
  if (mechanism === 'token' && token === undefined) throw new TypeError("mechanism 'token' needs options.token");
  if (mechanism === SCRAM_SHA_256) {
    // The client-first-message names the user whose salt and proof the exchange is about.
    if (options.user === undefined || options.user === '')
      throw new TypeError(`mechanism '${SCRAM_SHA_256}' needs a non-empty options.user`);
    if (password === undefined || password === '')
      throw new TypeError(`mechanism '${SCRAM_SHA_256}' needs a non-empty options.password`);
    if (!scramAvailable()) {
      throw new TypeError(
        `mechanism '${SCRAM_SHA_256}' needs WebCrypto (crypto.subtle), which browsers only provide in secure contexts (https:, localhost)`,
      );
    }
  }
  return mechanism;
}

/**
 * A failed logon as the caller should see it: a bare 4003 close (no error frame) is still a
 * refused logon, and a refused logon without a user name says that one may be what is missing
 * (the broker never says why it refused).
 */
function logonFailure(connection: Connection, error: unknown, user: string | undefined): unknown {
  const closeEvent = connection.closeEvent;
  let failure = error;
  if (
    error instanceof WardenError &&
    error.code === ClientErrorCodes.CONNECTION_LOST &&
    closeEvent?.code === CloseCodes.LOGON_FAILED
  ) {
    const detail = closeEvent.reason === '' ? '' : `: ${closeEvent.reason}`;
    failure = new WardenError(
      ErrorCodes.LOGON_FAILED,
      `the broker refused the logon (closed with ${CloseCodes.LOGON_FAILED}${detail})`,
      { cmd: 'logon', cause: error },
    );
  }
  if (user === undefined && failure instanceof WardenError && failure.code === ErrorCodes.LOGON_FAILED) {
    return new WardenError(
      ErrorCodes.LOGON_FAILED,
      `${failure.message}: no user name was given, and this broker needs one (options.user) unless the listener identifies clients by their certificate (tls-cert) or logs them on implicitly`,
      { cmd: 'logon', cause: failure },
    );
  }
  return failure;
}

function isServerAuthenticationFailure(error: unknown): error is WardenError {
  return error instanceof WardenError && error.code === ClientErrorCodes.SERVER_AUTHENTICATION_FAILED;
}

function closedError(cmd: string): WardenError {
  return new WardenError(ClientErrorCodes.CLOSED, 'the client was closed', { cmd });
}

/** The first connect reports transport trouble as CONNECTION_FAILED; broker refusals and TIMEOUT pass through. */
function asConnectError(error: unknown): unknown {
  if (error instanceof WardenError && error.code === ClientErrorCodes.CONNECTION_LOST) {
    return new WardenError(ClientErrorCodes.CONNECTION_FAILED, `connection closed during logon: ${error.message}`, {
      cmd: 'logon',
      cause: error,
    });
  }
  return error;
}
