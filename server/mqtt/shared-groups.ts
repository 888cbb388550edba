// Every MQTT 5 shared subscription group, broker-wide, by share name and filter: a group enters the
// topic engine with its first member and leaves it with its last.
import type { DeliveryPlan } from '../delivery/delivery-plan.js';
import type { SubscriptionEntry } from '../delivery/subscription-entry.js';
import type { Logger } from 'pino';
import type { BrokerStats } from '../stats.js';
import type { SubscriptionPattern, TopicEngine } from '../topics/index.js';
import { SharedGroup } from './shared-group.js';
import type { SharedFilter } from './shared-subscription-filter.js';

/** One session's place in a group. */
export class SharedMembership {
  constructor(
    readonly group: SharedGroup,
    readonly entry: SubscriptionEntry,
    readonly pattern: SubscriptionPattern,
  ) {}
}

export class SharedGroups {
  private readonly groups = new Map<string, SharedGroup>();

  constructor(
    private readonly engine: TopicEngine<SubscriptionEntry, DeliveryPlan>,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.groups.size;
  }

  join(filter: SharedFilter, pattern: SubscriptionPattern, member: SubscriptionEntry): SharedMembership {
    const key = `${filter.shareName}/${filter.filter}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = new SharedGroup(key, filter, this.stats, this.log);
      group.handle = this.engine.add(pattern, group.engineEntry());
      this.groups.set(key, group);
    }
    group.join(member);
    return new SharedMembership(group, member, pattern);
  }

  leave(membership: SharedMembership): void {
    const { group } = membership;
    group.leave(membership.entry);
    if (group.size > 0 || this.groups.get(group.key) !== group) return;
    this.groups.delete(group.key);
    if (group.handle !== null) this.engine.remove(group.handle);
    group.handle = null;
  }
}
