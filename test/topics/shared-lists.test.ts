// Routes whose topics match the same subscriptions share one list, and the router's plans for them
// share what is derived from it (SharedLists, DeliveryPlan.forRoute). Sharing must never let a
// change to one route show in another, and a plan over a list its caller changes (a shared
// subscription's members) must not be taken from the shared one.
import { describe, expect, it } from 'vitest';
import { DeliveryPlan } from '../../server/delivery/delivery-plan.js';
import { Message } from '../../server/delivery/message.js';
import { Payload } from '../../server/delivery/payload.js';
import { Router } from '../../server/delivery/router.js';
import { SubscriptionEntry, type NativeDeliveryTarget } from '../../server/delivery/subscription-entry.js';
import { ALLOW_ALL } from '../../server/security/decision.js';
import { EntitlementEpoch } from '../../server/security/entitlement-epoch.js';
import { BrokerStats } from '../../server/stats.js';
import { DEFAULT_TOPIC_LIMITS, parseSubscriptionPattern, TopicEngine } from '../../server/topics/index.js';

const pattern = (topic: string) => parseSubscriptionPattern({ topic }, DEFAULT_TOPIC_LIMITS);

/** A native receiver that records the data of what it is sent. */
function receiver(): NativeDeliveryTarget & { got: unknown[] } {
  const got: unknown[] = [];
  return {
    kind: 'native',
    encoding: 'json',
    got,
    readAccess: () => ALLOW_ALL,
    sendDelivery: (frame) => void got.push(JSON.parse(Buffer.concat([frame.head, frame.tail]).toString('utf8')).data),
    holdDelivery: () => undefined,
    releaseHeld: () => undefined,
    reportInvalidRules: () => undefined,
    reportDeliveryError: () => undefined,
  };
}

describe('routes matching the same subscriptions', () => {
  it('share one list, and a change to one route is its own', () => {
    const engine = new TopicEngine<string>();
    const all = ['#', 'm/#', 'm/+'].map((f, i) => engine.add(pattern(f), `w${i}`));
    const m1 = engine.route('m/1');
    const m2 = engine.route('m/2');
    expect(m1.entries).toEqual(['w0', 'w1', 'w2']);
    expect(m2.entries).toBe(m1.entries);

    engine.add(pattern('m/1'), 'own');
    expect(engine.route('m/1').entries).toEqual(['w0', 'w1', 'w2', 'own']);
    expect(engine.route('m/2').entries).toEqual(['w0', 'w1', 'w2']);

    // A removal compacts both; new routes m/3 and m/4 again share one list.
    engine.remove(all[1]!);
    expect(engine.route('m/1').entries).toEqual(['w0', 'w2', 'own']);
    expect(engine.route('m/2').entries).toEqual(['w0', 'w2']);
    expect(engine.route('m/3').entries).toEqual(['w0', 'w2']);
    expect(engine.route('m/4').entries).toBe(engine.route('m/3').entries);
    engine.removeAll(all);
    expect(engine.route('m/2').entries).toEqual([]);
    expect(engine.route('m/1').entries).toEqual(['own']);
  });

  it('get plans sharing their targets and prefixes, each with its own read decisions, and all deliver', () => {
    const stats = new BrokerStats();
    const engine = new TopicEngine<SubscriptionEntry, DeliveryPlan>();
    const router = new Router(engine, stats, new EntitlementEpoch());
    const a = receiver();
    const b = receiver();
    engine.add(pattern('m/#'), new SubscriptionEntry(a, 1, null, null));
    engine.add(pattern('#'), new SubscriptionEntry(b, 2, null, null));
    router.publish(new Message('m/1', Payload.ofValue('one'), stats));
    router.publish(new Message('m/2', Payload.ofValue('two'), stats));
    const p1 = engine.route('m/1').plan!;
    const p2 = engine.route('m/2').plan!;
    expect(p2.targets).toBe(p1.targets);
    expect(p2.prefixes).toBe(p1.prefixes);
    expect(p2.access).not.toBe(p1.access);
    expect(p2.topic).toBe('m/2');
    expect(a.got).toEqual(['one', 'two']);
    expect(b.got).toEqual(['one', 'two']);
  });

  it('a plan over a list its caller changes (shared-subscription members) reflects the change', () => {
    const [a, b] = [receiver(), receiver()];
    const members = [new SubscriptionEntry(a, 1, null, null)];
    expect(DeliveryPlan.build('t', members).targets).toEqual([a]);
    members.push(new SubscriptionEntry(b, 2, null, null));
    expect(DeliveryPlan.build('t', members).targets).toEqual([a, b]);
  });
});
