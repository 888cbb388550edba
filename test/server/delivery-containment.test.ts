// One receiver's failing delivery stays its own: the router, the delivery plan
// and the held deliveries are the shipped ones; the receivers are DeliveryTargets built here, one
// of which throws (no client input can make a shipped receiver throw once payload depth is bounded,
// so the failure is injected through the target interface).
import { describe, expect, it } from 'vitest';
import { EntitlementEpoch } from '../../server/security/entitlement-epoch.js';
import { Router } from '../../server/delivery/router.js';
import { Message } from '../../server/delivery/message.js';
import { Payload } from '../../server/delivery/payload.js';
import { SubscriptionEntry, type NativeDeliveryTarget } from '../../server/delivery/subscription-entry.js';
import type { DeliveryPlan } from '../../server/delivery/delivery-plan.js';
import type { PendingRead } from '../../server/delivery/read-access.js';
import { HeldDeliveryGate } from '../../server/session/held-delivery-gate.js';
import { ALLOW_ALL, type Decision } from '../../server/security/decision.js';
import { BrokerStats } from '../../server/stats.js';
import { TopicEngine } from '../../server/topics/index.js';
import { TurnBatcher, type Batched } from '../../server/transports/turn-batcher.js';
import type { SharedFrame } from '../../server/transports/shared-frame.js';

class Receiver implements NativeDeliveryTarget {
  readonly kind = 'native';
  readonly encoding = 'json';
  readonly got: string[] = [];
  readonly errors: unknown[] = [];
  private readonly held: HeldDeliveryGate<SharedFrame, null>;

  constructor(
    stats: BrokerStats,
    private readonly access: () => Decision | Promise<Decision>,
    private readonly fails: boolean,
  ) {
    this.held = new HeldDeliveryGate(100, this, stats);
  }

  readAccess(): Decision | Promise<Decision> {
    return this.access();
  }

  sendDelivery(frame: SharedFrame): void {
    if (this.held.queueBehindHeld(frame, null)) return;
    this.sendNow(frame);
  }

  sendNow(frame: SharedFrame): void {
    if (this.fails) throw new Error('receiver broke');
    this.got.push(JSON.parse(Buffer.concat([frame.head, frame.tail]).toString('utf8')).data as string);
  }

  holdDelivery(pending: PendingRead, plan: DeliveryPlan, index: number, message: Message): void {
    this.held.hold(pending, plan, index, message);
  }

  releaseHeld(): void {
    this.held.release();
  }

  reportInvalidRules(): void {}

  reportDeliveryError(err: unknown): void {
    this.errors.push(err);
  }
}

function setup(access: () => Decision | Promise<Decision>): {
  stats: BrokerStats;
  router: Router;
  receivers: Receiver[];
} {
  const stats = new BrokerStats();
  const engine = new TopicEngine<SubscriptionEntry, DeliveryPlan>();
  const router = new Router(engine, stats, new EntitlementEpoch());
  // The failing receiver is in the middle: those before and after it must still be served.
  const receivers = [
    new Receiver(stats, access, false),
    new Receiver(stats, access, true),
    new Receiver(stats, access, false),
  ];
  receivers.forEach((r, i) => engine.add({ kind: 'exact', topic: 't' }, new SubscriptionEntry(r, i + 1, null, null)));
  return { stats, router, receivers };
}

describe('a delivery that throws', () => {
  it('is dropped and counted; the other receivers of the message still get it', () => {
    const { stats, router, receivers } = setup(() => ALLOW_ALL);
    router.publish(new Message('t', Payload.ofValue('one'), stats));
    router.publish(new Message('t', Payload.ofValue('two'), stats));
    expect(receivers[0]!.got).toEqual(['one', 'two']);
    expect(receivers[2]!.got).toEqual(['one', 'two']);
    expect(receivers[1]!.errors.map((e) => (e as Error).message)).toEqual(['receiver broke', 'receiver broke']);
    expect(stats.deliveryErrors).toBe(2);
  });

  it('from held deliveries released by an asynchronous entitlement answer: contained in the continuation', async () => {
    const rejections: unknown[] = [];
    const onRejection = (err: unknown): void => void rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      const { stats, router, receivers } = setup(
        () => new Promise<Decision>((resolve) => setImmediate(resolve, ALLOW_ALL)),
      );
      router.publish(new Message('t', Payload.ofValue('held'), stats));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(receivers[0]!.got).toEqual(['held']);
      expect(receivers[2]!.got).toEqual(['held']);
      expect(stats.deliveryErrors).toBe(1);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('an entitlement answer that rejects denies that receiver (fail closed), never an unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (err: unknown): void => void rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      const { stats, router, receivers } = setup(() => Promise.reject(new Error('module exploded')));
      router.publish(new Message('t', Payload.ofValue('x'), stats));
      await new Promise((resolve) => setImmediate(resolve));
      expect(receivers.map((r) => r.got)).toEqual([[], [], []]);
      expect(receivers[0]!.errors.map((e) => (e as Error).message)).toEqual(['module exploded']);
      expect(stats.deliveriesNotEntitled).toBe(3);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

describe('a connection whose end-of-turn write throws', () => {
  it('is terminated and reported; the other connections of the turn are still written', async () => {
    const reported: unknown[] = [];
    const batcher = new TurnBatcher((err) => reported.push(err));
    const log: string[] = [];
    const item = (name: string, fails: boolean): Batched => ({
      batched: false,
      flushBatch() {
        if (fails) throw new Error(`${name} broke`);
        log.push(`flushed ${name}`);
      },
      terminate() {
        log.push(`terminated ${name}`);
      },
    });
    for (const [name, fails] of [
      ['a', false],
      ['b', true],
      ['c', false],
    ] as const)
      batcher.hold(item(name, fails));
    // Not yet: the batch goes out at the end of the event loop's turn.
    expect(log).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['flushed a', 'terminated b', 'flushed c']);
    expect(reported.map((e) => (e as Error).message)).toEqual(['b broke']);
  });
});
