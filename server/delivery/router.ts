// Publish path: topic -> cached route -> cached delivery plan -> one shared body per encoding.
import type { Route, TopicEngine } from '../topics/index.js';
import { DeliveryPlan } from './delivery-plan.js';
import { Message } from './message.js';
import type { PublishPayload } from '../protocol/native/command-parser.js';
import type { SubscriptionEntry } from './subscription-entry.js';

export type SubscriptionRoute = Route<SubscriptionEntry, DeliveryPlan>;

export class Router {
  constructor(private readonly engine: TopicEngine<SubscriptionEntry, DeliveryPlan>) {}

  /** Deliver to every matching subscription; returns the number of connections it was sent to. */
  publish(topic: string, payload: PublishPayload): number {
    const route = this.engine.route(topic);
    if (route.entries.length === 0) return 0;
    const plan = (route.plan ??= DeliveryPlan.build(route.entries));
    const message = new Message(topic, payload);
    const { targets, prefixes } = plan;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      target.sendDelivery(prefixes[i]!, message.body(target.encoding));
    }
    return targets.length;
  }
}
