// A fan-out's receivers share what they can of a delivery: those whose subscription ids (and
// encoding) are equal get one prefix, so that one frame per message serves them all.
import { describe, expect, it } from 'vitest';
import { DeliveryPlan } from '../../server/delivery/delivery-plan.js';
import { SubscriptionEntry, type NativeDeliveryTarget } from '../../server/delivery/subscription-entry.js';
import type { Encoding } from '../../protocol/native.js';
import { ALLOW_ALL } from '../../server/security/decision.js';

function receiver(encoding: Encoding): NativeDeliveryTarget {
  return {
    kind: 'native',
    encoding,
    readAccess: () => ALLOW_ALL,
    sendDelivery: () => undefined,
    holdDelivery: () => undefined,
    releaseHeld: () => undefined,
    reportInvalidRules: () => undefined,
    reportDeliveryError: () => undefined,
  };
}

describe('a delivery plan', () => {
  it('gives receivers with equal subscription ids and encoding one prefix', () => {
    const [a, b, c, d, e] = [
      receiver('msgpack'),
      receiver('msgpack'),
      receiver('msgpack'),
      receiver('json'),
      receiver('msgpack'),
    ];
    const entries = [
      new SubscriptionEntry(a, 1, null, null),
      new SubscriptionEntry(b, 1, null, null),
      new SubscriptionEntry(c, 2, null, null),
      new SubscriptionEntry(d, 1, null, null),
      new SubscriptionEntry(e, 1, null, null),
      new SubscriptionEntry(e, 2, null, null),
    ];
    const plan = DeliveryPlan.build('t', entries);
    expect(plan.targets).toEqual([a, b, c, d, e]);
    const [pa, pb, pc, pd, pe] = plan.prefixes;
    expect(pa).toBe(pb);
    expect(pc).not.toBe(pa);
    expect(pd).not.toBe(pa); // same ids, other encoding
    expect(pe).not.toBe(pa); // ids [1, 2]
    expect(pe).not.toBe(pc);
    expect(pd!.toString('utf8')).toBe('{"op":"msg","sids":[1],');
  });
});
