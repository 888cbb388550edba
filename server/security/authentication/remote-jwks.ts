// The JSON Web Key Set at a `jwt` module's `jwksUrl`, fetched as jose's createRemoteJWKSet does
// (when first needed; again once it is JWKS_MAX_AGE_MS old; again when a token names a key it does
// not have, at most every JWKS_COOLDOWN_MS), but through a RemoteGuard: failed fetches count
// towards its circuit breaker, an open circuit refuses a fetch at once, and with serveStaleMs the
// last key set fetched is used past its age while fetching fails (docs/authentication.md#jwt).
// The keys themselves are jose's: createLocalJWKSet picks the key a token names.
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../../timers.js';
import { readCappedText, TooLargeError } from '../capped-body.js';
import type { ModuleContext, ModuleHealth } from '../module-types.js';
import { brokenStatus, RemoteGuard, type RemoteOptions, type ServiceReply } from '../remote-guard.js';

/** A key set is used this long after it was fetched (jose's cacheMaxAge default). */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
/** A token naming an unknown key fetches the set again only if it is older than this (jose's cooldownDuration). */
export const JWKS_COOLDOWN_MS = 30_000;
/** A key set is a few KiB; certificate chains make it bigger, never this big. */
export const MAX_JWKS_BYTES = 1024 * 1024;

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/** A key set as fetched: jose's lookup over it, and the bytes it holds (its text, 2 bytes a character). */
class KeySet {
  constructor(
    readonly keys: LocalKeySet,
    readonly bytes: number,
  ) {}
}

export interface RemoteJwksOptions {
  readonly timeoutMs: number;
  readonly circuit: RemoteOptions['circuit'];
  readonly serveStaleMs: number;
}

export class RemoteJwks {
  private current: KeySet | null = null;
  /** When `current` was fetched (clock ms). */
  private fetchedAt = 0;
  private pending: Promise<void> | null = null;
  /** Why the last fetch failed, for the rejection when there is no key set to use. */
  private lastFailure = '';
  private readonly guard: RemoteGuard<KeySet>;
  /** The stale answers' key: there is one request, "the key set". */
  private readonly staleKey: string;
  private readonly headers = { accept: 'application/json, application/jwk-set+json' };

  constructor(
    private readonly url: URL,
    private readonly options: RemoteJwksOptions,
    context: Pick<ModuleContext, 'log' | 'audit' | 'configPath'>,
    private readonly clock: Clock,
  ) {
    this.guard = new RemoteGuard<KeySet>(
      { module: 'jwt', service: url.origin },
      {
        circuit: options.circuit,
        serveStaleMs: options.serveStaleMs,
        staleMaxEntries: 1,
        staleMaxBytes: 2 * MAX_JWKS_BYTES + 1024,
      },
      (set) => set.bytes,
      () => true,
      context,
      clock,
    );
    this.staleKey = this.guard.key(['jwks']);
  }

  /** For jwtVerify: the key the token's header names. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (this.current === null || this.clock() - this.fetchedAt >= JWKS_MAX_AGE_MS) await this.reload();
    const set = this.current;
    if (set === null) throw new Error(`JSON Web Key Set unavailable: ${this.lastFailure}`);
    try {
      return await set.keys(header, token);
    } catch (err) {
      if (!isNoMatchingKey(err) || this.clock() - this.fetchedAt < JWKS_COOLDOWN_MS) throw err;
      // A key the set does not have: perhaps a new one. Fetch again (the circuit permitting).
      await this.reload();
      return (this.current ?? set).keys(header, token);
    }
  };

  /** One fetch at a time; concurrent verifications wait for the same one. */
  private reload(): Promise<void> {
    this.pending ??= this.fetchThroughGuard().finally(() => (this.pending = null));
    return this.pending;
  }

  private async fetchThroughGuard(): Promise<void> {
    const reply = await this.guard.ask(this.options.serveStaleMs > 0 ? this.staleKey : null, () => this.fetchSet());
    if (reply.ok) {
      // A stale answer is the set in use (or the last one fetched): it keeps its age.
      if (reply.stale === null) this.fetchedAt = this.clock();
      else this.fetchedAt = reply.stale.at;
      this.current = reply.value;
      return;
    }
    this.lastFailure = reply.reason;
    // Past its age with nothing fresher: not used any more (fail closed).
    if (this.current !== null && this.clock() - this.fetchedAt >= JWKS_MAX_AGE_MS) this.current = null;
  }

  private async fetchSet(): Promise<ServiceReply<KeySet>> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const failed = (error: unknown): ServiceReply<KeySet> => ({
      ok: false,
      broken: true,
      reason: signal.aborted
        ? `the JWKS URL did not answer within ${this.options.timeoutMs} ms`
        : `fetching the JWKS failed: ${describeFetchError(error)}`,
    });
    let text: string;
    try {
      // A redirect is not followed: the key set is where it was configured, or nowhere.
      const response = await fetch(this.url, { method: 'GET', headers: this.headers, redirect: 'error', signal });
      if (response.status !== 200) {
        await response.body?.cancel();
        const reason = `the JWKS URL answered HTTP ${response.status} (expected 200)`;
        return { ok: false, broken: brokenStatus(response.status), reason };
      }
      text = await readCappedText(response, MAX_JWKS_BYTES);
    } catch (error) {
      if (error instanceof TooLargeError && !signal.aborted)
        return { ok: false, broken: false, reason: `the JWKS is larger than ${MAX_JWKS_BYTES} bytes` };
      return failed(error);
    }
    let keys: LocalKeySet;
    try {
      keys = createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
    } catch {
      return {
        ok: false,
        broken: false,
        reason: 'the JWKS URL answered with something that is not a JSON Web Key Set',
      };
    }
    return { ok: true, value: new KeySet(keys, 2 * text.length) };
  }

  health(): ModuleHealth {
    return this.guard.health();
  }
}

function isNoMatchingKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ERR_JWKS_NO_MATCHING_KEY';
}

/** The cause's code (ECONNREFUSED...) or message; fetch itself only says "fetch failed". */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message;
  return error.message;
}
