// The list of broker URLs a client may connect to (the nodes of a cluster): checked once when the
// client is made, the order reconnect attempts go round it in, and the error that reports every
// URL of a first connect that failed. Browser-safe: `URL` is a web API, Node has it too.
import { fullJitterDelay, type BackoffOptions } from './backoff.js';
import { ClientErrorCodes, WardenError, isBrokerRefusal } from './errors.js';

/**
 * The broker URLs as a frozen, non-empty list. Throws a TypeError for an empty list or a URL that
 * is not ws: or wss: (checked here, before any socket opens, like every other bad option).
 */
export function brokerUrlsOf(input: string | readonly string[]): readonly string[] {
  const single = typeof input === 'string';
  if (!single && !Array.isArray(input)) throw new TypeError('the broker URL must be a string or a list of strings');
  const urls: readonly unknown[] = single ? [input] : input;
  if (urls.length === 0) throw new TypeError('the list of broker URLs is empty: give at least one ws:// or wss:// URL');
  urls.forEach((url, index) => checkUrl(url, single ? 'the broker URL' : `broker URL #${index + 1}`));
  return Object.freeze([...(urls as readonly string[])]);
}

function checkUrl(url: unknown, what: string): void {
  if (typeof url !== 'string') throw new TypeError(`${what} must be a string`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The text itself is not echoed: it may hold a password.
    throw new TypeError(`${what} is not a valid URL (expected ws://host:port/path or wss://...)`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')
    throw new TypeError(`${what} must be a ws:// or wss:// URL, not ${parsed.protocol}//`);
  // The WebSocket constructor refuses fragments (WHATWG WebSockets Standard, "get a URL record").
  if (parsed.hash !== '') throw new TypeError(`${what} must not have a fragment (#...)`);
}

/**
 * The URL as it may appear in an error message or a log: without user info (a password), query
 * (often a token) or fragment. Falls back to a placeholder for text that is not a URL.
 */
export function displayUrl(url: string): string {
  try {
    const { protocol, username, password, host, pathname, search } = new URL(url);
    const userInfo = username === '' && password === '' ? '' : '<redacted>@';
    return `${protocol}//${userInfo}${host}${pathname}${search === '' ? '' : '?<redacted>'}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Where reconnect attempt `attempt` (from 1) goes and how long the client waits before it. */
export interface FailoverStep {
  index: number;
  delayMs: number;
}

/**
 * Reconnect attempts go round the list starting with the URL after `droppedIndex` (the node that
 * just failed is tried last, not hammered first). The backoff applies per full round, not per
 * attempt: the first attempt of round r waits fullJitterDelay(r), the others of the round go at
 * once. Why: when one node dies the others are most likely up, and a backoff grown on the dead
 * node must not delay reaching them; and since a round touches each node once, spacing the
 * rounds spares a recovering cluster just as well. With one URL this is the per-attempt backoff.
 */
export function failoverStep(
  attempt: number,
  droppedIndex: number,
  urlCount: number,
  backoff: BackoffOptions,
  random: () => number = Math.random,
): FailoverStep {
  const index = (droppedIndex + attempt) % urlCount;
  const firstOfRound = (attempt - 1) % urlCount === 0;
  const round = Math.floor((attempt - 1) / urlCount);
  return { index, delayMs: firstOfRound ? fullJitterDelay(round, backoff, random) : 0 };
}

export interface UrlFailure {
  url: string;
  error: unknown;
}

/**
 * What a first connect rejects with when every URL failed. One URL: its own error, as always.
 * Several: a WardenError naming each URL (without secrets) and why, with `cause` an AggregateError
 * of the per-URL errors in list order. Its code is the first broker refusal's (a broker that
 * answered, e.g. LOGON_FAILED for wrong credentials, says more than a node that is down), else
 * the code every URL failed with if they agree, else CONNECTION_FAILED.
 */
export function allUrlsFailed(failures: readonly UrlFailure[]): unknown {
  if (failures.length === 1) return failures[0]!.error;
  const errors = failures.map((failure) => failure.error);
  const codes = errors.map((error) => (error instanceof WardenError ? error.code : undefined));
  const refusal = errors.find(isBrokerRefusal);
  const code =
    refusal?.code ??
    (codes[0] !== undefined && codes.every((code) => code === codes[0])
      ? codes[0]
      : ClientErrorCodes.CONNECTION_FAILED);
  const reasons = failures.map(({ url, error }) => `${displayUrl(url)}: ${describeFailure(error)}`);
  return new WardenError(code, `could not connect to any of ${failures.length} broker URLs: ${reasons.join('; ')}`, {
    ...(refusal?.cmd === undefined ? {} : { cmd: refusal.cmd }),
    cause: new AggregateError(errors, 'every broker URL failed'),
  });
}

function describeFailure(error: unknown): string {
  if (error instanceof WardenError) return `${error.code} (${error.message})`;
  return error instanceof Error ? error.message : String(error);
}
