// What stands between a logon and the authentication module (the logon-flood defences): the
// failed-logon back-off per host and per user name, then the fair, bounded queue of checks.
// One guard serves every listener's Authenticator and the admin listener's, since they share one
// threadpool and one attacker. Refusals here cost no credential check.
import type { Logger } from 'pino';
import type { Clock } from '../timers.js';
import { HostAddress } from '../admission/host-address.js';
import type { BrokerStats } from '../stats.js';
import { FailureTracker } from './logon-backoff.js';
import { LogonQueue, type CheckStart, type LogonQueueLimits } from './logon-queue.js';

export interface LogonBackoffConfig {
  readonly hostFailures: number;
  readonly userFailures: number;
  readonly windowMs: number;
  readonly blockMs: number;
  readonly maxBlockMs: number;
  readonly maxTracked: number;
}

/** Why the guard refused: `busy` (the queue is full), `blocked` (back-off after failed logons). */
export type ThrottleKind = 'busy' | 'blocked';

export interface Throttled {
  readonly outcome: 'throttled';
  readonly kind: ThrottleKind;
  /** For the log only. */
  readonly reason: string;
}

export class LogonGuard {
  private readonly queue: LogonQueue;
  private readonly hosts: FailureTracker;
  private readonly users: FailureTracker;

  constructor(
    queue: LogonQueueLimits,
    backoff: LogonBackoffConfig,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
    clock: Clock = Date.now,
  ) {
    this.queue = new LogonQueue(queue, stats);
    const common = {
      windowMs: backoff.windowMs,
      blockMs: backoff.blockMs,
      maxBlockMs: backoff.maxBlockMs,
      maxTracked: backoff.maxTracked,
    };
    this.hosts = new FailureTracker({ ...common, failures: backoff.hostFailures }, clock);
    this.users = new FailureTracker({ ...common, failures: backoff.userFailures }, clock);
  }

  /** The per-host key of a remote address (`::ffff:10.0.0.1` and `10.0.0.1` are one host). */
  static hostOf(remoteAddress: string): string {
    return HostAddress.of(remoteAddress).key;
  }

  /** A refusal when `host` or `user` is blocked now, else null. */
  blocked(host: string, user: string): Throttled | null {
    const forHost = this.hosts.blockedFor(host);
    const forUser = forHost > 0 || user === '' ? 0 : this.users.blockedFor(user);
    if (forHost === 0 && forUser === 0) return null;
    this.stats.logonsRefusedBlocked++;
    const reason =
      forHost > 0
        ? `too many failed logons from ${host}: blocked for ${Math.ceil(forHost / 1000)} s more (security.logonBackoff)`
        : `too many failed logons for this user name: blocked for ${Math.ceil(forUser / 1000)} s more (security.logonBackoff)`;
    return { outcome: 'throttled', kind: 'blocked', reason };
  }

  /** A check asked now would run at once (nothing waits for a slot): it may skip the queue. */
  get idle(): boolean {
    return this.queue.idle;
  }

  /** Run a check in `host`'s turn (see LogonQueue.run). */
  run(host: string, start: CheckStart, wanted: () => boolean): Promise<boolean> | Throttled {
    const ran = this.queue.run(host, start, wanted);
    if (ran !== 'busy') return ran;
    return {
      outcome: 'throttled',
      kind: 'busy',
      reason: 'too many logons waiting for a credential check (security.logonQueue)',
    };
  }

  /** The module refused the credentials. */
  failed(host: string, user: string): void {
    const hostBlock = this.hosts.fail(host);
    const userBlock = user === '' ? 0 : this.users.fail(user);
    if (hostBlock > 0) this.blockStarted({ host }, hostBlock);
    if (userBlock > 0) this.blockStarted({ host, user }, userBlock);
  }

  /** The module accepted: the user name's failures are forgotten (the host's are not, or one good account would launder a host's guessing). */
  succeeded(user: string): void {
    if (user !== '') this.users.forget(user);
  }

  private blockStarted(fields: { host: string; user?: string }, ms: number): void {
    this.stats.logonBlocks++;
    this.log.warn(
      { ...fields, blockMs: ms },
      fields.user === undefined ? 'failed logons: host blocked' : 'failed logons: user name blocked',
    );
  }
}
