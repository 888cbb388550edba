import { describe, expect, it } from 'vitest';
import { FifoRing } from '../../server/topics/fifo-ring.js';

describe('FifoRing', () => {
  it('evicts in insertion order once full, across wrap-around', () => {
    const ring = new FifoRing<number>(3);
    expect([1, 2, 3].map((n) => ring.pushEvicting(n))).toEqual([undefined, undefined, undefined]);
    expect(ring.size).toBe(3);
    expect([4, 5, 6, 7, 8].map((n) => ring.pushEvicting(n))).toEqual([1, 2, 3, 4, 5]);
    expect(ring.size).toBe(3);
  });

  it('works with a capacity of one', () => {
    const ring = new FifoRing<string>(1);
    expect(ring.pushEvicting('a')).toBeUndefined();
    expect(ring.pushEvicting('b')).toBe('a');
    expect(ring.pushEvicting('c')).toBe('b');
  });
});
