// `http`: asks a web service about every request (like AMPS's auxiliary web-service module). POSTs
// {user, action, resourceType, resource} as JSON; see http-answer.ts for what counts as an answer.
// Every failure throws, and the broker denies (fail closed) without caching the failure.
import { z } from 'zod';
import { integerField } from '../../config/fields.js';
import type {
  EntitlementAnswer,
  EntitlementModule,
  EntitlementModuleFactory,
  EntitlementRequest,
} from '../module-types.js';
import { parseModuleOptions } from '../module-options.js';
import { answerFromResponse } from './http-answer.js';

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
});

class HttpEntitlementModule implements EntitlementModule {
  readonly name = 'http';
  private readonly url: string;
  /** For error messages: the URL without credentials or query. */
  private readonly where: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;

  constructor(options: z.output<typeof optionsSchema>) {
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
  }

  async check(request: EntitlementRequest): Promise<EntitlementAnswer> {
    const { user, action, resourceType, resource } = request;
    // One signal for the whole exchange, body included.
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify({ user, action, resourceType, resource }),
        signal,
        // A redirected POST is not what was configured; treat it as a failure.
        redirect: 'error',
      });
      return await answerFromResponse(response);
    } catch (error) {
      const reason = signal.aborted ? `did not answer within ${this.timeoutMs} ms` : describe(error);
      throw new Error(`entitlement service ${this.where}: ${reason}`, { cause: error });
    }
  }
}

/** fetch reports network failures as "fetch failed" with the real reason (ECONNREFUSED...) as the cause. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

export const createHttpEntitlement: EntitlementModuleFactory = (options, context): EntitlementModule =>
  new HttpEntitlementModule(parseModuleOptions(optionsSchema, options, context));
