// `http`: asks a web service about every request (like AMPS's auxiliary web-service module). POSTs
// {user, action, resourceType, resource} as JSON; see http-answer.ts for what counts as an answer.
// Every failure throws, and the broker denies (fail closed) without caching the failure. A circuit
// breaker and, optionally, the answers the service gave before stand in front of it while it
// fails (remote-guard.ts; docs/entitlement.md#circuit-breaker-and-stale-answers).
import { z } from 'zod';
import { integerField } from '../../config/fields.js';
import { realTimers } from '../../timers.js';
import type {
  EntitlementAnswer,
  EntitlementModule,
  EntitlementModuleFactory,
  EntitlementRequest,
  ModuleContext,
  ModuleHealth,
} from '../module-types.js';
import { parseModuleOptions } from '../module-options.js';
import { brokenStatus, remoteOptionFields, RemoteGuard, type ServiceReply } from '../remote-guard.js';
import { answerFromResponse, UnusableAnswerError } from './http-answer.js';
import { StaleCopies } from './stale-copies.js';

const optionsSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  timeoutMs: integerField(1, 600_000).default(5000),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .superRefine((headers, ctx) => {
      // fetch would reject a bad header on every request; reject it once, at load.
      for (const [name, value] of Object.entries(headers)) {
        try {
          new Headers([[name, value]]);
        } catch {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            input: name,
            message: 'expected a valid HTTP header name and value',
          });
        }
      }
    }),
  ...remoteOptionFields,
});

/** What a remembered answer holds: its strings (2 bytes a character) and the object. */
function answerBytes(answer: EntitlementAnswer): number {
  const text = answer.allow
    ? (answer.filter?.length ?? 0) + (answer.select?.length ?? 0)
    : (answer.reason?.length ?? 0);
  return 64 + 2 * text;
}

const KEEP_EVERY_ANSWER = (): boolean => true;

class HttpEntitlementModule implements EntitlementModule {
  readonly name = 'http';
  private readonly url: string;
  /** For error messages: the URL without credentials or query. */
  private readonly where: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;
  private readonly serveStaleMs: number;
  private readonly guard: RemoteGuard<EntitlementAnswer>;
  /** Answers given again, which the broker has cached. */
  private readonly copies: StaleCopies;

  constructor(options: z.output<typeof optionsSchema>, context: ModuleContext) {
    this.url = options.url;
    const url = new URL(options.url);
    this.where = `${url.origin}${url.pathname}`;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers)) headers[name.toLowerCase()] = value;
    // Set last so configured headers cannot change how the body is read.
    headers['content-type'] = 'application/json';
    headers.accept = 'application/json';
    this.headers = Object.freeze(headers);
    this.timeoutMs = options.timeoutMs;
    this.serveStaleMs = options.serveStaleMs;
    const timers = context.timers ?? realTimers;
    this.guard = new RemoteGuard(
      { module: this.name, service: url.origin },
      options,
      answerBytes,
      KEEP_EVERY_ANSWER,
      context,
      () => timers.now(),
    );
    this.copies = new StaleCopies(options.staleMaxEntries, timers, (target) => {
      // A timer's entry point: what forgetting throws is logged, never thrown into the timers.
      try {
        context.invalidate(target);
      } catch (err) {
        context.log.error({ err, user: target.user }, 'forgetting an answer given again failed');
      }
    });
  }

  async check(request: EntitlementRequest): Promise<EntitlementAnswer> {
    const { user, action, resourceType, resource } = request;
    const key = this.guard.answers.enabled ? this.guard.key([user, action, resourceType, resource]) : null;
    const reply = await this.guard.ask(key, () => this.ask(request));
    if (!reply.ok) throw new Error(`entitlement service ${this.where}: ${reply.reason}`);
    if (reply.stale === null) {
      // The service answers: the broker asks again for what it was given stale.
      this.copies.flush();
      return reply.value;
    }
    if (!this.copies.add(key!, { user, action, resource }, reply.stale.at + this.serveStaleMs)) {
      throw new Error(
        `entitlement service ${this.where}: failing, and ${this.copies.size} answers given again are out already (staleMaxEntries)`,
      );
    }
    return reply.value;
  }

  /** One request to the service. */
  private async ask(request: EntitlementRequest): Promise<ServiceReply<EntitlementAnswer>> {
    const { user, action, resourceType, resource } = request;
    // One signal for the whole exchange, body included.
    const signal = AbortSignal.timeout(this.timeoutMs);
    const failed = (error: unknown): ServiceReply<EntitlementAnswer> => ({
      ok: false,
      broken: true,
      reason: signal.aborted ? `did not answer within ${this.timeoutMs} ms` : describe(error),
    });
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify({ user, action, resourceType, resource }),
        signal,
        // A redirected POST is not what was configured; treat it as a failure.
        redirect: 'error',
      });
    } catch (error) {
      return failed(error);
    }
    if (brokenStatus(response.status)) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, broken: true, reason: `answered HTTP ${response.status}` };
    }
    try {
      return { ok: true, value: await answerFromResponse(response) };
    } catch (error) {
      if (error instanceof UnusableAnswerError && !signal.aborted)
        return { ok: false, broken: false, reason: error.message };
      return failed(error);
    }
  }

  health(): ModuleHealth {
    return this.guard.health();
  }

  close(): void {
    this.copies.close();
  }
}

/** fetch reports network failures as "fetch failed" with the real reason (ECONNREFUSED...) as the cause. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

export const createHttpEntitlement: EntitlementModuleFactory = (options, context): EntitlementModule =>
  new HttpEntitlementModule(parseModuleOptions(optionsSchema, options, context), context);
