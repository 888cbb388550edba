// A fan-out's receivers share what they can of a delivery: those whose subscription ids (and
// encoding) are equal get one prefix, so that one frame per message serves them all.
import { describe, expect, it } from 'vitest';
import { DeliveryPlan } from '../../server/delivery/delivery-plan.js';
import { SubscriptionEntry } from '../../server/delivery/subscription-entry.js';
import { Message } from '../../server/delivery/message.js';
import { Payload } from '../../server/delivery/payload.js';
import { Router } from '../../server/delivery/router.js';
import { EntitlementEpoch } from '../../server/security/entitlement-epoch.js';
import { BrokerStats } from '../../server/stats.js';
import { TopicEngine } from '../../server/topics/index.js';
import type { SharedFrame } from '../../server/transports/shared-frame.js';
import { recordingReceiver } from '../helpers/native-receiver.js';

describe('a delivery plan', () => {
  it('gives receivers with equal subscription ids and encoding one prefix', () => {
    const [a, b, c, d, e] = [
      recordingReceiver('msgpack'),
      recordingReceiver('msgpack'),
      recordingReceiver('msgpack'),
      recordingReceiver('json'),
      recordingReceiver('msgpack'),
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

  it('shares one frame per fan-out, which the message does not keep afterwards', () => {
    const frames: SharedFrame[] = [];
    const [a, b] = [recordingReceiver('msgpack', frames), recordingReceiver('msgpack', frames)];
    const plan = DeliveryPlan.build('t', [
      new SubscriptionEntry(a, 1, null, null),
      new SubscriptionEntry(b, 1, null, null),
    ]);
    const stats = new BrokerStats();
    const router = new Router(new TopicEngine(), stats, new EntitlementEpoch());
    const message = new Message('t', Payload.ofValue({ x: 1 }), stats);
    expect(router.deliver(plan, message)).toBe(2);
    expect(frames).toHaveLength(2);
    expect(frames[1]).toBe(frames[0]);
    // Retained or queued, the message holds no copy of its frames: the next delivery builds one.
    expect(message.frame(plan.prefixes[0]!, message.body('msgpack'))).not.toBe(frames[0]);
  });
});
