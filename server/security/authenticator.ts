// Runs one authentication module with a deadline. A module that throws, rejects or does not
// answer in time refuses the logon (fail closed); the outcome 'failed' lets the session tell
// the client AUTHENTICATION_UNAVAILABLE rather than LOGON_FAILED. Every call goes through the
// broker's LogonGuard first (back-off, then a fair, bounded queue: logon-guard.ts); the outcome
// 'throttled' is its refusal, given without asking the module.
//
// A module that answers synchronously (allow-any, a static user list with a cached hash check)
// when no check is waiting is answered synchronously too: no deadline timer, no Promise.race and
// no queue turn, which were most of a logon's cost in a connection storm (bench:peers storm). It
// cannot overrun a deadline it has already met, and its answer is the same as through the queue.
import type { Logger } from 'pino';
import type { AuthAnswer, AuthenticationModule, LogonRequest, MaybePromise } from './module-types.js';
import { LogonGuard, type Throttled } from './logon-guard.js';
import { isPromiseLike } from './decision.js';
import { observedCall, type ModuleCallObserver } from './module-calls.js';

export type AuthOutcome = AuthAnswer | { readonly outcome: 'failed'; readonly reason: string } | Throttled;

const ALWAYS = (): boolean => true;

export class Authenticator {
  failures = 0;
  /** Module calls under way (each bounded by its deadline): a module replaced by a live reload is closed once they settle. */
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private current: AuthenticationModule,
    private readonly timeoutMs: number,
    private readonly log: Logger,
    private readonly guard: LogonGuard,
    /** Told of each module call (the metrics); null: nothing is timed. */
    private readonly observer: ModuleCallObserver | null = null,
  ) {}

  get module(): AuthenticationModule {
    return this.current;
  }

  /**
   * A live reload's new module: logons from now on use it (queued ones too); those it is already
   * checking finish with the old one, which is then closed. A challenge-response exchange begun
   * before goes on with the old module's challenge. Resolves once the old module is closed; never rejects.
   */
  async replaceModule(module: AuthenticationModule): Promise<void> {
    const old = this.current;
    this.current = module;
    await Promise.allSettled([...this.running]);
    try {
      await old.close?.();
    } catch (err) {
      this.log.error({ module: old.name, err }, 'closing the replaced authentication module failed');
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.running.add(promise);
    const done = (): void => void this.running.delete(promise);
    promise.then(done, done);
    return promise;
  }

  get allowsImplicitLogon(): boolean {
    return this.current.allowsImplicitLogon === true;
  }

  /** `wanted` is asked when the check's turn comes: false (the connection has gone) skips it. */
  authenticate(request: LogonRequest, wanted: () => boolean = ALWAYS): AuthOutcome | Promise<AuthOutcome> {
    return this.guarded(() => this.current.authenticate(request), request.user, request.remoteAddress, wanted);
  }

  /** Continue a challenge-response exchange with the client's answer. */
  respond(
    challenge: Extract<AuthAnswer, { outcome: 'challenge' }>,
    response: string,
    user: string,
    remoteAddress: string,
    wanted: () => boolean = ALWAYS,
  ): AuthOutcome | Promise<AuthOutcome> {
    return this.guarded(() => challenge.respond(response), user, remoteAddress, wanted);
  }

  private guarded(
    moduleCall: () => MaybePromise<AuthAnswer>,
    user: string,
    remoteAddress: string,
    wanted: () => boolean,
  ): AuthOutcome | Promise<AuthOutcome> {
    const observer = this.observer;
    const call =
      observer === null ? moduleCall : () => observedCall(observer, this.current.name, 'authenticate', moduleCall);
    const host = LogonGuard.hostOf(remoteAddress);
    const blocked = this.guard.blocked(host, user);
    if (blocked !== null) return blocked;
    if (!this.guard.idle) return this.queued(call, user, host, wanted);
    let answer: MaybePromise<AuthAnswer>;
    try {
      answer = call();
    } catch (err) {
      return this.failed(err, user);
    }
    if (!isPromiseLike(answer)) return this.settled(validAnswer(answer), host, user);
    // Asynchronous after all: it takes its slot now (the queue is idle) and gets its deadline.
    const pending = this.track(Promise.resolve(answer));
    return this.queued(() => pending, user, host, wanted);
  }

  /** The module's answer, remembered by the logon guard (failed logons back off, a success forgets the user's). */
  private settled(outcome: AuthOutcome, host: string, user: string): AuthOutcome {
    if (outcome.outcome === 'reject') this.guard.failed(host, user);
    else if (outcome.outcome === 'accept') this.guard.succeeded(user);
    return outcome;
  }

  private failed(err: unknown, user: string): AuthOutcome {
    this.failures++;
    this.observer?.failed(this.current.name, 'authenticate');
    this.log.warn({ module: this.current.name, user, err }, 'authentication module failed; refusing logon');
    return { outcome: 'failed', reason: err instanceof Error ? err.message : String(err) };
  }

  private async queued(
    call: () => MaybePromise<AuthAnswer>,
    user: string,
    host: string,
    wanted: () => boolean,
  ): Promise<AuthOutcome> {
    let outcome: AuthOutcome | undefined;
    const ran = this.guard.run(
      host,
      async () => {
        // Blocked while it waited (the failures queued before it): refused, still without a check.
        outcome = this.guard.blocked(host, user) ?? (await this.run(call, user));
      },
      wanted,
    );
    if (!(ran instanceof Promise)) return ran;
    if (!(await ran) || outcome === undefined)
      return { outcome: 'failed', reason: 'the connection closed while its logon waited for a credential check' };
    return this.settled(outcome, host, user);
  }

  private async run(call: () => MaybePromise<AuthAnswer>, user: string): Promise<AuthOutcome> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      const answer = await this.track(Promise.race([Promise.resolve().then(call), deadline]));
      return validAnswer(answer);
    } catch (err) {
      return this.failed(err, user);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.current.close?.();
  }
}

/** Anything but a well-formed answer refuses (fail closed). */
function validAnswer(answer: AuthAnswer): AuthOutcome {
  if (answer !== null && typeof answer === 'object') {
    if (answer.outcome === 'accept' && typeof answer.identity === 'string') return answer;
    if (answer.outcome === 'reject') return answer;
    if (answer.outcome === 'challenge' && typeof answer.data === 'string' && typeof answer.respond === 'function')
      return answer;
  }
  return { outcome: 'failed', reason: 'the module returned a malformed answer' };
}
