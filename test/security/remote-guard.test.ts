// The guard in front of a remote module's service, on a hand-moved clock: which replies count
// as failures, answers given again while the service fails, and what it writes to the audit log.
import { describe, expect, it } from 'vitest';
import {
  brokenStatus,
  RemoteGuard,
  STALE_AUDIT_WINDOW_MS,
  type RemoteOptions,
  type ServiceReply,
} from '../../server/security/remote-guard.js';
import { testContext } from './entitlement/helpers.js';

const OPTIONS: RemoteOptions = {
  circuit: { failures: 2, probeIntervalMs: 1000 },
  serveStaleMs: 10_000,
  staleMaxEntries: 100,
  staleMaxBytes: 1_000_000,
};

function guard(options: Partial<RemoteOptions> = {}, keep: (answer: string) => boolean = () => true) {
  const clock = { now: 1_000_000 };
  const context = testContext();
  const remote = new RemoteGuard<string>(
    { module: 'http', service: 'http://127.0.0.1:9' },
    { ...OPTIONS, ...options },
    (answer) => 2 * answer.length,
    keep,
    context,
    () => clock.now,
  );
  let asked = 0;
  /** Asks through the guard with a service that replies `reply`. */
  const ask = (key: string | null, reply: ServiceReply<string>) =>
    remote.ask(key, () => {
      asked++;
      return Promise.resolve(reply);
    });
  return { remote, clock, context, ask, asked: () => asked };
}

const answer = (value: string): ServiceReply<string> => ({ ok: true, value });
const down: ServiceReply<string> = { ok: false, broken: true, reason: 'ECONNREFUSED' };
const useless: ServiceReply<string> = { ok: false, broken: false, reason: 'answered HTTP 404' };

describe('RemoteGuard', () => {
  it('5xx, 408 and 429 say the service is broken; other statuses are answers to one request', () => {
    expect([500, 502, 503, 504, 408, 429].map(brokenStatus)).toEqual([true, true, true, true, true, true]);
    expect([400, 401, 403, 404, 409, 422, 301].map(brokenStatus)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('opens the circuit after its failures and then refuses without asking; writes both changes to the audit log', async () => {
    const { remote, clock, context, ask, asked } = guard({ serveStaleMs: 0 });
    expect(await ask(null, down)).toEqual({ ok: false, reason: 'ECONNREFUSED', refused: false });
    expect(await ask(null, down)).toEqual({ ok: false, reason: 'ECONNREFUSED', refused: false });
    expect(await ask(null, answer('late'))).toEqual({
      ok: false,
      reason: 'circuit open (last failure: ECONNREFUSED)',
      refused: true,
    });
    expect(asked()).toBe(2);
    expect(remote.health()).toEqual({
      circuit: 'open',
      consecutiveFailures: 2,
      circuitOpens: 1,
      circuitRefusals: 1,
      staleAnswers: 0,
      staleEntries: 0,
      staleBytes: 0,
    });
    clock.now += 1000;
    expect(await ask(null, answer('back'))).toEqual({ ok: true, value: 'back', stale: null });
    expect(asked()).toBe(3);
    expect(remote.health().circuit).toBe('closed');
    expect(context.audited).toEqual([
      {
        event: 'circuit',
        fields: {
          module: 'http',
          config: 'security.entitlement',
          service: 'http://127.0.0.1:9',
          state: 'open',
          failures: 2,
          reason: 'ECONNREFUSED',
        },
      },
      {
        event: 'circuit',
        fields: {
          module: 'http',
          config: 'security.entitlement',
          service: 'http://127.0.0.1:9',
          state: 'closed',
          failures: 2,
          reason: 'the service answered',
          openMs: 1000,
          refused: 1,
        },
      },
    ]);
  });

  it('a useless answer (a 404, a malformed body) fails that request but is no failure of the service', async () => {
    const { remote, ask } = guard();
    for (let i = 0; i < 5; i++) expect(await ask(null, useless)).toMatchObject({ ok: false, refused: false });
    expect(remote.health()).toMatchObject({ circuit: 'closed', consecutiveFailures: 0 });
    // Nor does it give an answer again: the service is there, and said something else.
    const key = remote.key(['alice']);
    await ask(key, answer('allow'));
    expect(await ask(key, useless)).toEqual({ ok: false, reason: 'answered HTTP 404', refused: false });
  });

  it('gives the answer it had for the same request while the service fails or the circuit is open, up to serveStaleMs', async () => {
    const { remote, clock, ask } = guard({ circuit: { failures: 2, probeIntervalMs: 10_001 } });
    const alice = remote.key(['alice', 'read', 'a']);
    const bob = remote.key(['bob', 'read', 'a']);
    expect(await ask(alice, answer('allow alice'))).toMatchObject({ ok: true, stale: null });
    clock.now += 2000;
    // The call fails: the answer given 2 s ago instead.
    expect(await ask(alice, down)).toEqual({
      ok: true,
      value: 'allow alice',
      stale: { answer: 'allow alice', ageMs: 2000, at: 1_000_000 },
    });
    // Never one it did not give (and this second failure opens the circuit).
    expect(await ask(bob, down)).toEqual({ ok: false, reason: 'ECONNREFUSED', refused: false });
    expect(remote.health().circuit).toBe('open');
    expect(await ask(bob, down)).toEqual({
      ok: false,
      reason: 'circuit open (last failure: ECONNREFUSED)',
      refused: true,
    });
    // The circuit refuses: the answer again, without asking.
    expect(await ask(alice, answer('not asked'))).toMatchObject({ ok: true, value: 'allow alice' });
    clock.now += 7999;
    expect(await ask(alice, answer('not asked'))).toMatchObject({ ok: true, value: 'allow alice' });
    clock.now += 1;
    // 10 s after the service gave it: too old.
    expect(await ask(alice, answer('not asked'))).toMatchObject({ ok: false, refused: true });
    clock.now += 2001;
    expect(await ask(alice, answer('asked: the probe'))).toEqual({ ok: true, value: 'asked: the probe', stale: null });
    expect(remote.health()).toMatchObject({ circuit: 'closed', staleAnswers: 3, staleEntries: 1, circuitRefusals: 4 });
  });

  it('remembers only the answers `keep` accepts', async () => {
    const { remote, ask } = guard({}, (value) => value.startsWith('accept'));
    const key = remote.key(['alice', 'wrong password']);
    await ask(key, answer('reject'));
    expect(await ask(key, down)).toMatchObject({ ok: false });
    expect(remote.health().staleEntries).toBe(0);
  });

  it('writes a stale-answer line at most once per window, with how many were given since the last', async () => {
    const { remote, clock, context, ask } = guard({ circuit: null, serveStaleMs: 10 * STALE_AUDIT_WINDOW_MS });
    const key = remote.key(['alice']);
    await ask(key, answer('allow'));
    const staleLines = () => context.audited.filter((line) => line.event === 'stale-answer').map((line) => line.fields);
    await ask(key, down);
    expect(staleLines()).toEqual([
      {
        module: 'http',
        config: 'security.entitlement',
        service: 'http://127.0.0.1:9',
        served: 1,
        windowMs: STALE_AUDIT_WINDOW_MS,
        reason: 'ECONNREFUSED',
      },
    ]);
    for (let i = 0; i < 4; i++) await ask(key, down);
    clock.now += STALE_AUDIT_WINDOW_MS - 1;
    await ask(key, down);
    expect(staleLines()).toHaveLength(1);
    clock.now += 1;
    await ask(key, down);
    expect(staleLines()).toHaveLength(2);
    expect(staleLines()[1]).toMatchObject({ served: 6 });
    expect(remote.health().staleAnswers).toBe(7);
    // No circuit: every call asked the service, and none was refused.
    expect(remote.health()).toMatchObject({ circuit: 'closed', circuitOpens: 0, circuitRefusals: 0 });
  });

  it('a call that throws is a failure of the service', async () => {
    const { remote } = guard({ serveStaleMs: 0 });
    const reply = await remote.ask(null, () => Promise.reject(new Error('boom')));
    expect(reply).toEqual({ ok: false, reason: 'boom', refused: false });
    expect(remote.health().consecutiveFailures).toBe(1);
  });
});
