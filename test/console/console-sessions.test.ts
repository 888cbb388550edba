// Console sessions on their own, on a hand-moved clock: idle and absolute expiry, the oldest
// session ending beyond maxSessions, and the CSRF comparison.
import { describe, expect, it } from 'vitest';
import { ConsoleSessions, csrfTokenMatches } from '../../server/console/console-sessions.js';

function sessions(limits: Partial<ConstructorParameters<typeof ConsoleSessions>[0]> = {}) {
  const clock = { now: 1_000_000 };
  const store = new ConsoleSessions({ idleMs: 1000, maxAgeMs: 5000, maxSessions: 3, ...limits }, () => clock.now);
  return { store, clock };
}

describe('ConsoleSessions', () => {
  it('ends a session left unused for idleMs, and keeps one in use', () => {
    const { store, clock } = sessions();
    const kept = store.create('ops');
    const idle = store.create('ops');
    clock.now += 900;
    expect(store.use(kept.token)?.user).toBe('ops');
    clock.now += 900;
    expect(store.use(kept.token)?.user).toBe('ops');
    expect(store.use(idle.token)).toBeUndefined();
  });

  it('ends every session maxAgeMs after sign-in, in use or not', () => {
    const { store, clock } = sessions();
    const { token } = store.create('ops');
    for (let i = 0; i < 5; i++) {
      clock.now += 900;
      expect(store.use(token)).toBeDefined();
    }
    clock.now += 900;
    expect(store.use(token)).toBeUndefined();
  });

  it('ends the oldest session beyond maxSessions', () => {
    const { store } = sessions();
    const tokens = ['a', 'b', 'c', 'd'].map((user) => store.create(user).token);
    expect(store.size).toBe(3);
    expect(store.use(tokens[0]!)).toBeUndefined();
    expect(tokens.slice(1).map((t) => store.use(t)?.user)).toEqual(['b', 'c', 'd']);
  });

  it('sweeps expired sessions, and knows none after end() or clear()', () => {
    const { store, clock } = sessions();
    const a = store.create('a');
    store.create('b');
    clock.now += 1000;
    const c = store.create('c');
    store.sweep();
    expect(store.size).toBe(1);
    store.end(c.token);
    expect(store.use(c.token)).toBeUndefined();
    expect(store.use(a.token)).toBeUndefined();
    store.create('d');
    store.clear();
    expect(store.size).toBe(0);
  });

  it('gives every session its own unguessable tokens, and compares the CSRF token exactly', () => {
    const { store } = sessions({ maxSessions: 100 });
    const made = Array.from({ length: 50 }, () => store.create('ops'));
    expect(new Set(made.flatMap((m) => [m.token, m.session.csrfToken])).size).toBe(100);
    const { session } = made[0]!;
    expect(csrfTokenMatches(session, session.csrfToken)).toBe(true);
    expect(csrfTokenMatches(session, made[1]!.session.csrfToken)).toBe(false);
    expect(csrfTokenMatches(session, session.csrfToken.slice(1))).toBe(false);
    expect(csrfTokenMatches(session, undefined)).toBe(false);
  });
});
