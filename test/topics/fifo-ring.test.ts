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

describe('FifoRing.shift', () => {
  it('takes out the oldest, keeps order across compactions, and mixes with pushEvicting', () => {
    const ring = new FifoRing<number>(5000);
    for (let i = 0; i < 5000; i++) ring.pushEvicting(i);
    for (let i = 0; i < 3000; i++) expect(ring.shift()).toBe(i);
    expect(ring.size).toBe(2000);
    for (let i = 5000; i < 8000; i++) expect(ring.pushEvicting(i)).toBeUndefined();
    expect(ring.pushEvicting(8000)).toBe(3000);
    expect(ring.size).toBe(5000);
    const rest: number[] = [];
    for (let v = ring.shift(); v !== undefined; v = ring.shift()) rest.push(v);
    expect(rest).toEqual(Array.from({ length: 5000 }, (_, i) => 3001 + i));
    expect(ring.shift()).toBeUndefined();
  });
});
