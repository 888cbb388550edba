// A connection's recent write answers by topic, so a publish costs one Map lookup instead of
// building a (user, action, topic) cache key. It follows the entitlement service's generation:
// a reset, disable or enable empties it.
import type { Decision } from '../security/decision.js';
import { isPromiseLike } from '../security/decision.js';
import type { EntitlementService } from '../security/entitlement-service.js';

/** Distinct topics remembered per connection before starting over. */
const MAX_TOPICS = 1024;

export class WriteDecisionCache {
  /** Created on the first publish: many connections only subscribe. */
  private byTopic: Map<string, Decision> | null = null;
  private generation: number;

  constructor(private readonly service: EntitlementService) {
    this.generation = service.generation;
  }

  get(user: string, topic: string): Decision | Promise<Decision> {
    if (this.generation !== this.service.generation) {
      this.byTopic?.clear();
      this.generation = this.service.generation;
    }
    const known = this.byTopic?.get(topic);
    if (known !== undefined) return known;
    const answer = this.service.check(user, 'write', 'topic', topic);
    if (isPromiseLike(answer)) return answer.then((decision) => this.remember(topic, decision));
    return this.remember(topic, answer);
  }

  private remember(topic: string, decision: Decision): Decision {
    // Failures are retried; answers while entitlements are disabled are not kept (seed 003).
    if (decision.failed || !this.service.enabled) return decision;
    const byTopic = (this.byTopic ??= new Map());
    if (byTopic.size >= MAX_TOPICS) byTopic.clear();
    byTopic.set(topic, decision);
    return decision;
  }
}
