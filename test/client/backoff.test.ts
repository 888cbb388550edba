// The reconnect delay: full-jitter exponential backoff, uniform in [0, min(max, initial * 2^attempt)].
import { describe, expect, it } from 'vitest';
import { backoffCeiling, fullJitterDelay } from '../../client/index.js';

const options = { initialDelayMs: 100, maxDelayMs: 10_000 };
/** Math.random's largest possible value. */
const ALMOST_ONE = 1 - Number.EPSILON / 2;

describe('full-jitter backoff', () => {
  it('doubles the ceiling per attempt up to the maximum', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffCeiling(attempt, options))).toEqual([
      100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000,
    ]);
    // Huge attempt numbers (2^attempt overflowing to Infinity) stay capped.
    expect(backoffCeiling(5000, options)).toBe(10_000);
  });

  it('spans [0, ceiling] from the lowest to the highest random value', () => {
    for (const attempt of [0, 3, 10, 2000]) {
      const ceiling = backoffCeiling(attempt, options);
      expect(fullJitterDelay(attempt, options, () => 0)).toBe(0);
      expect(fullJitterDelay(attempt, options, () => ALMOST_ONE)).toBe(ceiling);
      expect(fullJitterDelay(attempt, options, () => 0.5)).toBe(Math.floor(0.5 * (ceiling + 1)));
    }
  });

  it('stays within [0, ceiling] and is actually jittered', () => {
    for (const attempt of [0, 1, 4, 7, 30]) {
      const ceiling = backoffCeiling(attempt, options);
      const samples = Array.from({ length: 2000 }, () => fullJitterDelay(attempt, options));
      expect(samples.every(Number.isInteger)).toBe(true);
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeLessThanOrEqual(ceiling);
      // Not a fixed interval: many distinct values, spread over the range (mean near ceiling / 2).
      expect(new Set(samples).size).toBeGreaterThan(Math.min(50, ceiling / 2));
      const mean = samples.reduce((sum, d) => sum + d, 0) / samples.length;
      expect(mean).toBeGreaterThan(ceiling * 0.4);
      expect(mean).toBeLessThan(ceiling * 0.6);
    }
  });

  it('grows: the typical delay rises with the attempt number until the cap', () => {
    const meanDelay = (attempt: number): number => {
      let sum = 0;
      for (let i = 0; i < 4000; i++) sum += fullJitterDelay(attempt, options);
      return sum / 4000;
    };
    const means = [0, 2, 4, 6].map(meanDelay);
    for (let i = 1; i < means.length; i++) expect(means[i]!).toBeGreaterThan(means[i - 1]! * 2);
  });

  it('never exceeds a fractional ceiling', () => {
    const tiny = { initialDelayMs: 0.5, maxDelayMs: 0.5 };
    expect(fullJitterDelay(0, tiny, () => ALMOST_ONE)).toBeLessThanOrEqual(0.5);
  });
});
