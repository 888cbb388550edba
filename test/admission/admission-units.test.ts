// The admission pieces alone, on a hand-moved clock: the per-host token bucket (and its sweep,
// which bounds memory under a storm from many addresses), the per-user tiers, the publish-topic
// window, and canonical host keys.
import { describe, expect, it } from 'vitest';
import { HostRateLimiter } from '../../server/admission/host-rate-limiter.js';
import { HostAddress } from '../../server/admission/host-address.js';
import { PublishTopicWindow } from '../../server/admission/publish-topic-window.js';
import { UserLimits } from '../../server/admission/user-limits.js';
import { ManualClock } from './fixture.js';

describe('HostRateLimiter', () => {
  it('a burst, then one per 1/perSecond; the first refusal is reported, the rest of the storm is not', () => {
    const clock = new ManualClock();
    const limiter = new HostRateLimiter(2, 3, clock.read);
    expect(['h', 'h', 'h', 'h', 'h'].map((h) => limiter.take(h))).toEqual([
      'allowed',
      'allowed',
      'allowed',
      'refused',
      'refused-again',
    ]);
    expect(limiter.take('other')).toBe('allowed');
    clock.advance(500); // one token at 2 per second
    expect(limiter.take('h')).toBe('allowed');
    expect(limiter.take('h')).toBe('refused');
    clock.advance(10_000); // refills to the burst, never beyond
    expect([1, 2, 3, 4].map(() => limiter.take('h'))).toEqual(['allowed', 'allowed', 'allowed', 'refused']);
  });

  it('a clock that steps back adds no tokens', () => {
    const clock = new ManualClock();
    const limiter = new HostRateLimiter(1, 1, clock.read);
    expect(limiter.take('h')).toBe('allowed');
    clock.advance(-60_000);
    expect(limiter.take('h')).toBe('refused');
  });

  it('buckets that have filled up again are swept out as new hosts arrive', () => {
    const clock = new ManualClock();
    const limiter = new HostRateLimiter(1, 1, clock.read);
    for (let i = 0; i < 1024; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(1024);
    clock.advance(1000);
    limiter.take('192.168.0.1');
    expect(limiter.size).toBe(1);
  });
});

describe('UserLimits (Knox tiers, netconfd-pro overrides)', () => {
  const config = {
    enabled: true,
    default: 2,
    privileged: { users: ['p', 'pu', 'po'], limit: 3 },
    unlimited: ['u', 'pu'],
    users: { o: 1, po: 7 },
  };

  it.each([
    ['someone', 2],
    ['p', 3],
    ['u', Number.POSITIVE_INFINITY],
    ['pu', Number.POSITIVE_INFINITY],
    ['o', 1],
    ['po', 7],
  ])('%s: %d', (user, limit) => {
    expect(new UserLimits(config).limitFor(user)).toBe(limit);
  });

  it('switched off, nobody is limited', () => {
    expect(new UserLimits({ ...config, enabled: false }).limitFor('o')).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('PublishTopicWindow', () => {
  it('distinct topics per clock second; repeats are free', () => {
    const clock = new ManualClock();
    clock.now = 5_000;
    const window = new PublishTopicWindow(2, clock.read);
    expect(['a', 'b', 'a', 'c', 'b'].map((t) => window.admit(t))).toEqual([true, true, true, false, true]);
    clock.advance(999);
    expect(window.admit('c')).toBe(false);
    clock.advance(1);
    expect(['c', 'd', 'a'].map((t) => window.admit(t))).toEqual([true, true, false]);
  });
});

describe('HostAddress', () => {
  it('IPv4-mapped IPv6 counts as the IPv4 host', () => {
    expect(HostAddress.of('::ffff:127.0.0.1').key).toBe('127.0.0.1');
    expect(HostAddress.of('127.0.0.1').key).toBe('127.0.0.1');
    expect(HostAddress.of('::1').key).toBe('0:0:0:0:0:0:0:1');
    expect(HostAddress.of('').ip).toBeNull();
  });
});
