// Resource-limit groups (SwiftMQ: "assigned to users ... a resource limit group public which is
// used per default") carrying AMQ Interconnect's per-group remote hosts and memory limit. Resolved from
// config once; each admitted connection holds its user's group.
import { DEFAULT_LIMIT_GROUP, type LimitGroupConfig, type LimitsConfig } from '../config/admission-schema.js';
import { HostList } from './host-list.js';

const NONE = Number.POSITIVE_INFINITY;

export class ResourceGroup {
  readonly remoteHosts: HostList | null;
  /** Infinity where the group sets no limit (the listener's own limits still apply). */
  readonly maxSubscriptions: number;
  readonly maxPublishTopicsPerSecond: number;
  readonly maxMessageBytes: number;
  readonly maxQueuedBytes: number;

  constructor(
    readonly name: string,
    config: LimitGroupConfig,
  ) {
    this.remoteHosts = config.remoteHosts === undefined ? null : new HostList(config.remoteHosts);
    this.maxSubscriptions = config.maxSubscriptions ?? NONE;
    this.maxPublishTopicsPerSecond = config.maxPublishTopicsPerSecond ?? NONE;
    this.maxMessageBytes = config.maxMessageBytes ?? NONE;
    this.maxQueuedBytes = config.maxQueuedBytes ?? NONE;
  }
}

export class ResourceGroups {
  private readonly byUser = new Map<string, ResourceGroup>();
  readonly fallback: ResourceGroup;

  constructor(config: LimitsConfig) {
    let fallback: ResourceGroup | undefined;
    for (const [name, group] of Object.entries(config)) {
      const resolved = new ResourceGroup(name, group);
      if (name === DEFAULT_LIMIT_GROUP) fallback = resolved;
      for (const user of group.users) this.byUser.set(user, resolved);
    }
    // The schema adds `public` when the config leaves it out.
    this.fallback = fallback ?? new ResourceGroup(DEFAULT_LIMIT_GROUP, { users: [] });
  }

  of(user: string): ResourceGroup {
    return this.byUser.get(user) ?? this.fallback;
  }
}
