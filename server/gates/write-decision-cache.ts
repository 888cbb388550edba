// A connection's recent write answers by topic, so a publish costs one Map lookup instead of
// building a (user, action, topic) cache key. It follows the entitlement epoch: a reset, disable
// or enable empties it, and so does each tick of the TTL clock, so an answer that expired in the
// entitlement cache is asked again at the next publish (entitlementCache.ttlMs).
import { isPromiseLike, type Decision } from '../security/decision.js';
import type { EntitlementEpoch } from '../security/entitlement-epoch.js';
import type { EntitlementService } from '../security/entitlement-service.js';

/** Distinct topics remembered per connection before starting over. */
const MAX_TOPICS = 1024;

export class WriteDecisionCache {
  /** Created on the first publish: many connections only subscribe. */
  private byTopic: Map<string, Decision> | null = null;
  private readonly epoch: EntitlementEpoch;
  private seen: number;

  constructor(private readonly service: EntitlementService) {
    this.epoch = service.epoch;
    this.seen = service.epoch.value;
  }

  get(user: string, topic: string): Decision | Promise<Decision> {
    if (this.seen !== this.epoch.value) {
      this.byTopic?.clear();
      this.seen = this.epoch.value;
    }
    const known = this.byTopic?.get(topic);
    if (known !== undefined) return known;
    const answer = this.service.check(user, 'write', 'topic', topic);
    if (!isPromiseLike(answer)) return this.remember(topic, answer, this.seen);
    const asked = this.seen;
    return answer.then((decision) => this.remember(topic, decision, asked));
  }

  private remember(topic: string, decision: Decision, asked: number): Decision {
    // Failures are retried; answers while entitlements are disabled are not kept (AMPS, "Disabling Entitlement"); an
    // answer asked for before the epoch moved may be one that has since expired or been reset.
    if (decision.failed || !this.service.enabled || asked !== this.epoch.value) return decision;
    const byTopic = (this.byTopic ??= new Map());
    if (byTopic.size >= MAX_TOPICS) byTopic.clear();
    byTopic.set(topic, decision);
    return decision;
  }
}
