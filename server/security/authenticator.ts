// Runs one authentication module with a deadline. A module that throws, rejects or does not
// answer in time refuses the logon (fail closed); the outcome 'failed' lets the session tell
// the client AUTHENTICATION_UNAVAILABLE rather than LOGON_FAILED.
import type { Logger } from 'pino';
import type { AuthAnswer, AuthenticationModule, LogonRequest, MaybePromise } from './module-types.js';

export type AuthOutcome = AuthAnswer | { readonly outcome: 'failed'; readonly reason: string };

export class Authenticator {
  failures = 0;

  constructor(
    readonly module: AuthenticationModule,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  get allowsImplicitLogon(): boolean {
    return this.module.allowsImplicitLogon === true;
  }

  authenticate(request: LogonRequest): Promise<AuthOutcome> {
    return this.run(() => this.module.authenticate(request), request.user);
  }

  /** Continue a challenge-response exchange with the client's answer. */
  respond(challenge: Extract<AuthAnswer, { outcome: 'challenge' }>, response: string, user: string): Promise<AuthOutcome> {
    return this.run(() => challenge.respond(response), user);
  }

  private async run(call: () => MaybePromise<AuthAnswer>, user: string): Promise<AuthOutcome> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      const answer = await Promise.race([Promise.resolve().then(call), deadline]);
      return validAnswer(answer);
    } catch (err) {
      this.failures++;
      this.log.warn({ module: this.module.name, user, err }, 'authentication module failed; refusing logon');
      return { outcome: 'failed', reason: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.module.close?.();
  }
}

/** Anything but a well-formed answer refuses (fail closed). */
function validAnswer(answer: AuthAnswer): AuthOutcome {
  if (answer !== null && typeof answer === 'object') {
    if (answer.outcome === 'accept' && typeof answer.identity === 'string') return answer;
    if (answer.outcome === 'reject') return answer;
    if (answer.outcome === 'challenge' && typeof answer.data === 'string' && typeof answer.respond === 'function') return answer;
  }
  return { outcome: 'failed', reason: 'the module returned a malformed answer' };
}
