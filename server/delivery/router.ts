// Publish path: topic -> cached route -> cached delivery plan -> one shared body per encoding.
// Per receiving connection the plan already holds its read entitlement, so the common case
// (allowed, nothing to apply) is one identity comparison.
import type { Route, TopicEngine } from '../topics/index.js';
import { ALLOW_ALL } from '../security/decision.js';
import { DeliveryPlan } from './delivery-plan.js';
import { Message } from './message.js';
import type { PublishPayload } from '../protocol/native/command-parser.js';
import { FailedRead, PendingRead } from './read-access.js';
import type { SubscriptionEntry } from './subscription-entry.js';

export type SubscriptionRoute = Route<SubscriptionEntry, DeliveryPlan>;

export class Router {
  constructor(private readonly engine: TopicEngine<SubscriptionEntry, DeliveryPlan>) {}

  /** Deliver to every matching, entitled subscription; returns the number of connections it went (or is held) for. */
  publish(topic: string, payload: PublishPayload): number {
    const route = this.engine.route(topic);
    if (route.entries.length === 0) return 0;
    const plan = (route.plan ??= DeliveryPlan.build(topic, route.entries));
    const message = new Message(topic, payload);
    const { targets, prefixes, access } = plan;
    let sent = 0;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      let a = access[i]!;
      if (a instanceof FailedRead && Date.now() >= a.retryAt) a = plan.resolve(i);
      if (a === ALLOW_ALL) target.sendDelivery(prefixes[i]!, message.body(target.encoding));
      else if (a instanceof PendingRead) target.holdDelivery(a, prefixes[i]!, message.body(target.encoding));
      else if (a instanceof FailedRead || !a.allow) {
        target.countSkipped();
        continue;
      }
      // Allowed with an entitlement filter or select list: applying them is the content-filter stage's job.
      else target.sendDelivery(prefixes[i]!, message.body(target.encoding));
      sent++;
    }
    return sent;
  }
}
