// The Authenticator answers a module's synchronous answer synchronously (no deadline timer, no
// race, no queue turn) when nothing waits for a credential check, and keeps every other
// behaviour: fail closed on a throw or a malformed answer, a deadline for asynchronous answers,
// the back-off after failed logons.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Authenticator, type AuthOutcome } from '../../server/security/authenticator.js';
import { LogonGuard } from '../../server/security/logon-guard.js';
import type { AuthAnswer, AuthenticationModule, LogonRequest } from '../../server/security/module-types.js';
import { BrokerStats } from '../../server/stats.js';

const log = pino({ level: 'silent' });

function authenticator(module: AuthenticationModule, timeoutMs = 1000): { auth: Authenticator; stats: BrokerStats } {
  const stats = new BrokerStats();
  const guard = new LogonGuard(
    { maxInFlight: 2, maxQueuedPerHost: 10, maxQueued: 10 },
    { hostFailures: 3, userFailures: 100, windowMs: 60_000, blockMs: 60_000, maxBlockMs: 60_000, maxTracked: 100 },
    stats,
    log,
  );
  return { auth: new Authenticator(module, timeoutMs, log, guard), stats };
}

const request = (user: string): LogonRequest => ({
  user,
  password: 'p',
  token: undefined,
  mechanism: 'password',
  data: undefined,
  remoteAddress: '127.0.0.1',
  listener: 'test',
  peerCertificate: undefined,
});

const isThenable = (x: unknown): boolean => typeof (x as { then?: unknown } | null)?.then === 'function';

const module = (authenticate: (r: LogonRequest) => AuthAnswer | Promise<AuthAnswer>): AuthenticationModule => ({
  name: 'test',
  authenticate,
});

describe('Authenticator', () => {
  it('a synchronous answer is returned synchronously', () => {
    const { auth } = authenticator(module((r) => ({ outcome: 'accept', identity: r.user })));
    const outcome = auth.authenticate(request('alice'));
    expect(isThenable(outcome)).toBe(false);
    expect(outcome).toEqual({ outcome: 'accept', identity: 'alice' });
  });

  it('a synchronous throw or malformed answer fails closed, synchronously', () => {
    const { auth } = authenticator(
      module(() => {
        throw new Error('down');
      }),
    );
    expect(auth.authenticate(request('alice'))).toEqual({ outcome: 'failed', reason: 'down' });
    expect(auth.failures).toBe(1);
    const malformed = authenticator(module(() => ({ outcome: 'accept' }) as unknown as AuthAnswer)).auth;
    expect(malformed.authenticate(request('alice'))).toEqual({
      outcome: 'failed',
      reason: 'the module returned a malformed answer',
    });
  });

  it('synchronous rejections still count towards the back-off', () => {
    const { auth, stats } = authenticator(module(() => ({ outcome: 'reject', reason: 'bad password' })));
    for (let i = 0; i < 3; i++) expect(auth.authenticate(request(`u${i}`))).toMatchObject({ outcome: 'reject' });
    expect(auth.authenticate(request('u9'))).toMatchObject({ outcome: 'throttled', kind: 'blocked' });
    expect(stats.logonBlocks).toBe(1);
  });

  it('an asynchronous answer still runs in the queue with its deadline', async () => {
    const { auth, stats } = authenticator(module(async (r) => ({ outcome: 'accept', identity: r.user })));
    const pending = auth.authenticate(request('bob'));
    expect(isThenable(pending)).toBe(true);
    expect(stats.logonChecksInFlight).toBe(1);
    expect(await pending).toEqual({ outcome: 'accept', identity: 'bob' });
    expect(stats.logonChecksInFlight).toBe(0);
    const never = authenticator(
      module(() => new Promise<AuthAnswer>(() => {})),
      20,
    ).auth;
    const outcome: AuthOutcome = await never.authenticate(request('bob'));
    expect(outcome).toEqual({ outcome: 'failed', reason: 'no answer within 20 ms' });
  });

  it('while checks wait for a slot, a synchronous module waits its turn too', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const { auth } = authenticator(
      module((r) => {
        calls++;
        if (calls <= 3) return gate.then(() => ({ outcome: 'accept', identity: r.user }) as const);
        return { outcome: 'accept', identity: r.user };
      }),
    );
    const first = [auth.authenticate(request('a')), auth.authenticate(request('b')), auth.authenticate(request('c'))];
    const queuedSync = auth.authenticate(request('d')); // two in flight, one waiting: not idle
    expect(isThenable(queuedSync)).toBe(true);
    release();
    expect(await Promise.all([...first, queuedSync])).toEqual(
      ['a', 'b', 'c', 'd'].map((identity) => ({ outcome: 'accept', identity })),
    );
  });
});
