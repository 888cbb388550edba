// Publish path: topic -> cached route -> cached delivery plan -> per receiving connection, its
// resolved read entitlement and the shared body. The common case (allowed, nothing to apply) is
// one identity comparison and a write.
import type { Route, TopicEngine } from '../topics/index.js';
import type { EntitlementEpoch } from '../security/entitlement-epoch.js';
import type { BrokerStats } from '../stats.js';
import { DeliveryPlan, LastRouteShape } from './delivery-plan.js';
import type { Message } from './message.js';
import { FailedRead, PendingRead } from './read-access.js';
import type { SubscriptionEntry } from './subscription-entry.js';

export type SubscriptionRoute = Route<SubscriptionEntry, DeliveryPlan>;

/** Where a publish goes beyond this node (the cluster, cluster/cluster-router.ts). */
export interface MessageForwarder {
  forward(message: Message): void;
}

export class Router {
  /** What the last route plan was built from: routes sharing an entries list share its shape. */
  private readonly lastShape = new LastRouteShape();

  constructor(
    private readonly engine: TopicEngine<SubscriptionEntry, DeliveryPlan>,
    private readonly stats: BrokerStats,
    /** Read decisions in plans from an older epoch are asked again before use (entitlementCache.ttlMs, resets). */
    private readonly epoch: EntitlementEpoch,
  ) {}

  /** A plan for these entries of `topic`, resolved in the current entitlement epoch. */
  plan(topic: string, entries: readonly SubscriptionEntry[]): DeliveryPlan {
    return DeliveryPlan.build(topic, entries, this.epoch.value);
  }

  /** Set when the broker is a cluster node; null costs one comparison per publish. */
  forwarder: MessageForwarder | null = null;

  /**
   * Deliver to every matching, entitled subscription, here and (in a cluster) on the other nodes;
   * returns the frames sent here (or held for an entitlement answer).
   */
  publish(message: Message): number {
    // First: the cluster decides which node delivers to each `$share` group before anyone does.
    if (this.forwarder !== null) this.forwarder.forward(message);
    return this.publishLocal(message);
  }

  /** Deliver to this node's subscribers only (also a message from another node). */
  publishLocal(message: Message): number {
    const route = this.engine.route(message.topic);
    if (route.entries.length === 0) return 0;
    return this.deliver(
      (route.plan ??= DeliveryPlan.forRoute(message.topic, route.entries, this.epoch.value, this.lastShape)),
      message,
    );
  }

  /**
   * Deliver `message` through `plan`: per target, its read entitlement (held while pending, retried
   * after a failure), then the plan's content rules. Also used for one-subscription plans (MQTT
   * retained messages sent on subscribe), so every delivery goes through the same checks.
   */
  deliver(plan: DeliveryPlan, message: Message): number {
    // One comparison per message; the epoch only moves on a timer or an admin action.
    if (plan.epoch !== this.epoch.value) plan.refresh(this.epoch.value);
    const { targets, access } = plan;
    let sent = 0;
    for (let i = 0; i < targets.length; i++) {
      let a = access[i]!;
      if (a instanceof FailedRead) {
        if (Date.now() < a.retryAt) {
          this.stats.deliveriesNotEntitled++;
          continue;
        }
        a = plan.resolve(i);
      }
      if (a instanceof PendingRead) {
        targets[i]!.holdDelivery(a, plan, i, message);
        sent++;
      } else if (a instanceof FailedRead) {
        this.stats.deliveriesNotEntitled++;
      } else {
        sent += plan.deliver(i, a, message, this.stats);
      }
    }
    message.releaseFrames();
    return sent;
  }
}
