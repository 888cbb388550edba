// WebSocket acquisition: pick a constructor that works on this platform and open a socket with it.
// Nothing Node-only may be imported statically here: `ws` is loaded lazily, and only where the
// platform has no WebSocket of its own (Node < 22).
import { ClientErrorCodes, WardenError } from './errors.js';
import { displayUrl } from './failover.js';

/** The close code browsers report when a connection ends without a close frame. */
export const ABNORMAL_CLOSURE = 1006;

export interface SocketCloseEvent {
  code: number;
  reason: string;
}
export interface SocketMessageEvent {
  data: unknown;
}

/**
 * The part of the WebSocket API the SDK uses; both the browser's WebSocket and `ws` satisfy it.
 * Method syntax on purpose: it keeps the listener parameters bivariant, so the platforms' richer
 * event types are accepted.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: (event: unknown) => void): void;
  addEventListener(type: 'message', listener: (event: SocketMessageEvent) => void): void;
  addEventListener(type: 'close', listener: (event: SocketCloseEvent) => void): void;
  removeEventListener(type: 'open', listener: (event: unknown) => void): void;
  removeEventListener(type: 'close', listener: (event: SocketCloseEvent) => void): void;
}

/** The third argument is only passed for options.tls, in the form `ws` takes (`{ ca, cert, key, passphrase }`). */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: Record<string, unknown>,
) => WebSocketLike;

/** WebSocket.OPEN / CLOSED; literals because a user-supplied constructor might not expose the statics. */
export const OPEN = 1;
export const CLOSED = 3;

/** Closes a socket nobody else listens to and resolves once it is closed. */
export function closeSocket(socket: WebSocketLike, code: number, reason: string): Promise<void> {
  if (socket.readyState === CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    socket.addEventListener('close', () => resolve());
    try {
      socket.close(code, reason);
    } catch {
      resolve(); // an invalid state means it is already closing; don't hang on an event that may not come
    }
  });
}

/**
 * The override if given, else the platform's WebSocket, else `ws` (loaded on first use).
 * `needsTlsOptions` skips the platform's: browsers and Node's global WebSocket take no TLS options.
 */
export async function resolveWebSocket(
  override?: WebSocketConstructor,
  needsTlsOptions = false,
): Promise<WebSocketConstructor> {
  if (override !== undefined) return override;
  const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof native === 'function' && !needsTlsOptions) return native;
  try {
    const module = await import('ws');
    const WebSocketImpl: WebSocketConstructor = module.WebSocket ?? module.default;
    return WebSocketImpl;
  } catch (error) {
    throw new WardenError(
      ClientErrorCodes.CONNECTION_FAILED,
      needsTlsOptions
        ? 'options.tls needs the `ws` package (Node), which could not be loaded; in browsers leave options.tls out: the browser does TLS'
        : 'no WebSocket implementation: this platform has no global WebSocket and the `ws` package could not be loaded; pass options.WebSocket',
      { cause: error },
    );
  }
}

/**
 * Opens a socket speaking `subprotocol`. Resolves once open; rejects with CONNECTION_FAILED if it
 * errors or closes first, the broker picked another subprotocol, or `timeoutMs` passes.
 */
export function openSocket(
  WebSocketImpl: WebSocketConstructor,
  url: string,
  subprotocol: string,
  timeoutMs: number,
  /** Passed to the constructor as its third argument (options.tls); undefined passes none. */
  socketOptions?: Record<string, unknown>,
): Promise<WebSocketLike> {
  // Error messages name the broker without the URL's user info or query, which may hold secrets.
  const shown = displayUrl(url);
  return new Promise((resolve, reject) => {
    let socket: WebSocketLike;
    try {
      socket =
        socketOptions === undefined
          ? new WebSocketImpl(url, subprotocol)
          : new WebSocketImpl(url, subprotocol, socketOptions);
    } catch (error) {
      // Invalid URLs throw synchronously (SyntaxError in browsers and ws).
      reject(
        new WardenError(ClientErrorCodes.CONNECTION_FAILED, `cannot open ${shown}: ${describe(error)}`, {
          cause: error,
        }),
      );
      return;
    }
    // Browsers default to Blob, which would need an async read per frame; ws defaults to
    // 'nodebuffer' (a Uint8Array), which is fine and avoids a copy, so leave it.
    if (socket.binaryType === 'blob') socket.binaryType = 'arraybuffer';

    let lastError: unknown;
    const fail = (message: string, cause?: unknown): void => {
      cleanup();
      // Best effort: a socket that never opened may already be closed.
      try {
        socket.close();
      } catch {
        /* already closed */
      }
      reject(new WardenError(ClientErrorCodes.CONNECTION_FAILED, message, { cause }));
    };
    const onOpen = (): void => {
      if (socket.protocol !== subprotocol) {
        fail(`broker at ${shown} did not accept subprotocol ${subprotocol} (got ${JSON.stringify(socket.protocol)})`);
        return;
      }
      cleanup();
      resolve(socket);
    };
    // Never removed: `ws` throws an 'error' event that has no listener (e.g. the one it emits
    // after close() aborts a handshake), which would crash a Node process.
    const onError = (event: unknown): void => {
      // Browsers give no detail; ws puts the Error on event.error.
      lastError = (event as { error?: unknown } | null)?.error ?? event;
    };
    const onClose = (event: SocketCloseEvent): void => {
      const detail = lastError instanceof Error ? lastError.message : `closed with code ${event.code}`;
      fail(`cannot connect to ${shown}: ${detail}`, lastError);
    };
    const timer = setTimeout(() => fail(`cannot connect to ${shown}: timed out after ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('close', onClose);
    };
    socket.addEventListener('open', onOpen);
    socket.addEventListener('error', onError);
    socket.addEventListener('close', onClose);
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
