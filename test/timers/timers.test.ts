// The broker's time source (server/timers.ts) and the hand-moved one tests give it
// (test/helpers/manual-timers.ts).
import { describe, expect, it } from 'vitest';
import { realTimers } from '../../server/timers.js';
import { ManualTimers } from '../helpers/manual-timers.js';

describe('ManualTimers', () => {
  it('the clock stands still until advanced', () => {
    const timers = new ManualTimers();
    const start = timers.now();
    expect(timers.now()).toBe(start);
    timers.advance(1500);
    expect(timers.now()).toBe(start + 1500);
  });

  it('a timer runs when its delay has passed, not a millisecond before, with the clock at its due time', () => {
    const timers = new ManualTimers();
    const start = timers.now();
    const ran: number[] = [];
    timers.setTimeout(() => ran.push(timers.now() - start), 1000);
    timers.advance(999);
    expect(ran).toEqual([]);
    timers.advance(5);
    expect(ran).toEqual([1000]);
    expect(timers.now() - start).toBe(1004);
    timers.advance(10_000);
    expect(ran).toEqual([1000]);
  });

  it('runs due timers in due order (ties in arming order), and those they arm within the advance', () => {
    const timers = new ManualTimers();
    const ran: string[] = [];
    timers.setTimeout(() => ran.push('b@20'), 20);
    timers.setTimeout(() => {
      ran.push('a@10');
      timers.setTimeout(() => ran.push('c@15'), 5);
      timers.setTimeout(() => ran.push('late@40'), 30);
    }, 10);
    timers.setTimeout(() => ran.push('d@20'), 20);
    timers.advance(30);
    expect(ran).toEqual(['a@10', 'c@15', 'b@20', 'd@20']);
    expect(timers.pendingCount()).toBe(1);
    timers.advance(10);
    expect(ran.at(-1)).toBe('late@40');
  });

  it('a cleared timer never runs; clearing one that ran does nothing', () => {
    const timers = new ManualTimers();
    let ran = 0;
    const cleared = timers.setTimeout(() => ran++, 10);
    const kept = timers.setTimeout(() => ran++, 10);
    timers.clearTimeout(cleared);
    expect(timers.pendingCount(10)).toBe(1);
    timers.advance(10);
    timers.clearTimeout(kept);
    expect(ran).toBe(1);
    expect(timers.pendingCount()).toBe(0);
  });

  it('armed(ms) resolves once a timer with that delay is pending', async () => {
    const timers = new ManualTimers();
    let resolved = false;
    const armed = timers.armed(60_000).then(() => (resolved = true));
    timers.setTimeout(() => {}, 1000);
    await Promise.resolve();
    expect(resolved).toBe(false);
    timers.setTimeout(() => {}, 60_000);
    await armed;
    await timers.armed(60_000); // pending already: at once
  });

  it('a delay outside 1..2^31-1 ms runs after 1 ms, as Node does', () => {
    const timers = new ManualTimers();
    let ran = 0;
    timers.setTimeout(() => ran++, 0);
    timers.setTimeout(() => ran++, 2 ** 31);
    timers.advance(1);
    expect(ran).toBe(2);
  });
});

describe('realTimers', () => {
  it('reads Date.now; runs a timer; a cleared one does not run; neither keeps the process alive', async () => {
    const before = Date.now();
    const now = realTimers.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    const ran: string[] = [];
    const cleared = realTimers.setTimeout(() => ran.push('cleared'), 1);
    realTimers.clearTimeout(cleared);
    // Node runs timers in due order: by the time the later one runs, the cleared one would have.
    await new Promise<void>((resolve) => {
      const handle = realTimers.setTimeout(() => {
        ran.push('kept');
        resolve();
      }, 2);
      expect((handle as unknown as NodeJS.Timeout).hasRef()).toBe(false);
    });
    expect(ran).toEqual(['kept']);
  });
});
