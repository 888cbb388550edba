// `http`: asks an HTTP(S) service. Each logon is one POST of
//   { user, password, token, mechanism, remoteAddress, listener }   (absent values are null)
// 2xx with a JSON object accepts (identity: its `identity`, else its `user`, else the logon's user
// name); 401/403 rejects; anything else (other statuses, bad JSON, network errors, timeouts,
// redirects) rejects too: fail closed. Passwords and tokens are never logged. A circuit breaker
// and, optionally, the acceptances the service gave before stand in front of it while it fails
// (remote-guard.ts; docs/authentication.md#circuit-breaker-and-stale-answers).
import { z } from 'zod';
import { integerField } from '../../config/fields.js';
import { realTimers } from '../../timers.js';
import { parseModuleOptions } from '../module-options.js';
import type { AuthAnswer, AuthenticationModuleFactory, LogonRequest } from '../module-types.js';
import { readCappedText, TooLargeError } from '../capped-body.js';
import { brokenStatus, RemoteGuard, remoteOptionFields, type ServiceReply } from '../remote-guard.js';

/** A bigger answer is not an identity; stop reading. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_IDENTITY_CHARS = 256;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const httpOptionsSchema = z.strictObject({
  url: z.string({ error: 'expected an http:// or https:// URL' }).superRefine((text, ctx) => {
    const problem = urlProblem(text);
    // The shown value drops user:password@, should someone have put them there.
    if (problem !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: `expected an http:// or https:// URL (${problem})`,
        input: text.replace(/\/\/[^/@]*@/, '//<credentials>@'),
      });
  }),
  timeoutMs: integerField(1, 300_000).default(5000),
  /** Sent with every request, e.g. an Authorization header for the service itself. */
  headers: z
    .record(
      z.string().regex(HEADER_NAME, { error: 'expected an HTTP header name' }),
      z
        .string({ error: 'expected a header value (a string)' })
        .refine((value) => !/[\r\n\0]/.test(value), { error: 'expected a header value without line breaks' }),
      { error: 'expected a map of header names to values' },
    )
    .default({}),
  ...remoteOptionFields,
});

/** A remembered acceptance: its identity (2 bytes a character) and the object. */
const acceptanceBytes = (answer: AuthAnswer): number =>
  64 + 2 * (answer.outcome === 'accept' ? answer.identity.length : 0);
/** Only acceptances are given again: a refusal while the service fails is what failing gives anyway. */
const isAcceptance = (answer: AuthAnswer): boolean => answer.outcome === 'accept';

export const createHttpAuthentication: AuthenticationModuleFactory = (options, context) => {
  const parsed = parseModuleOptions(httpOptionsSchema, options, context);
  const url = new URL(parsed.url);
  // Only the origin: a path or query could carry a key.
  context.log.info(
    { origin: url.origin, timeoutMs: parsed.timeoutMs, circuit: parsed.circuit, serveStaleMs: parsed.serveStaleMs },
    'http authentication module ready',
  );
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    context.log.warn(
      { origin: url.origin },
      'http authentication module sends passwords unencrypted (http:// to a non-loopback host); use https://',
    );
  }

  // set() replaces whatever spelling of these the configured headers used.
  const headers = new Headers(parsed.headers);
  headers.set('content-type', 'application/json');
  headers.set('accept', 'application/json');

  const timers = context.timers ?? realTimers;
  const guard = new RemoteGuard<AuthAnswer>(
    { module: 'http', service: url.origin },
    parsed,
    acceptanceBytes,
    isAcceptance,
    context,
    () => timers.now(),
  );

  /** One request to the service. */
  const ask = async (request: LogonRequest): Promise<ServiceReply<AuthAnswer>> => {
    let response: Response;
    let body: string;
    const signal = AbortSignal.timeout(parsed.timeoutMs);
    const failed = (error: unknown): ServiceReply<AuthAnswer> => ({
      ok: false,
      broken: true,
      reason: signal.aborted
        ? `auth service did not answer within ${parsed.timeoutMs} ms`
        : `auth service request failed: ${describeFetchError(error)}`,
    });
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(requestBody(request)),
        // A redirect could carry the password somewhere else (or to plain http).
        redirect: 'error',
        signal,
      });
    } catch (error) {
      return failed(error);
    }
    try {
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        const refused = `auth service refused the logon of ${JSON.stringify(request.user)} (HTTP ${response.status})`;
        return { ok: true, value: reject(refused) };
      }
      if (response.status < 200 || response.status > 299) {
        await response.body?.cancel();
        const reason = `auth service answered HTTP ${response.status} (only 2xx accepts)`;
        return { ok: false, broken: brokenStatus(response.status), reason };
      }
      body = await readCappedText(response, MAX_RESPONSE_BYTES);
    } catch (error) {
      if (error instanceof TooLargeError && !signal.aborted)
        return { ok: false, broken: false, reason: `auth service request failed: ${error.message}` };
      return failed(error);
    }
    return { ok: true, value: answerFromBody(body, request.user) };
  };

  const guarded = async (request: LogonRequest): Promise<AuthAnswer> => {
    const key = guard.answers.enabled
      ? guard.key([
          request.user,
          request.mechanism,
          request.password ?? null,
          request.token ?? null,
          request.remoteAddress,
          request.listener,
        ])
      : null;
    const reply = await guard.ask(key, () => ask(request));
    if (reply.ok) return reply.value;
    return reject(reply.refused ? `auth service not asked: ${reply.reason}` : reply.reason);
  };

  return {
    name: 'http',
    allowsImplicitLogon: false,
    authenticate(request) {
      if (request.mechanism === 'implicit')
        return reject('http module requires a logon (implicit logon is not allowed)');
      // SCRAM needs the server to hold credentials; the service cannot take part in the exchange.
      if (request.mechanism === 'SCRAM-SHA-256') return reject('http module cannot do SCRAM-SHA-256');
      return guarded(request);
    },
    health: () => guard.health(),
  };
};

function requestBody(request: LogonRequest) {
  return {
    user: request.user,
    password: request.password ?? null,
    token: request.token ?? null,
    mechanism: request.mechanism,
    remoteAddress: request.remoteAddress,
    listener: request.listener,
  };
}

/** The service's 2xx body (never logged: it could echo the credentials) to an answer. */
function answerFromBody(body: string, user: string): AuthAnswer {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return reject('auth service answered 2xx without a JSON body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return reject('auth service answered 2xx with JSON that is not an object');
  const named = 'identity' in value ? value.identity : 'user' in value ? value.user : user;
  if (typeof named !== 'string' || named === '' || named.length > MAX_IDENTITY_CHARS) {
    return reject(
      `auth service answered 2xx without a usable identity (expected a string of 1 to ${MAX_IDENTITY_CHARS} characters)`,
    );
  }
  return { outcome: 'accept', identity: named };
}

/** The cause's code (ECONNREFUSED...) or message; fetch itself only says "fetch failed". */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message;
  return error.message;
}

function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol} is not http: or https:`;
  if (url.username !== '' || url.password !== '')
    return 'credentials in the URL are not allowed; put them in `headers`';
  return undefined;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

function reject(reason: string): AuthAnswer {
  return { outcome: 'reject', reason };
}
