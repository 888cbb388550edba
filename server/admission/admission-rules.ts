// The rules of admission control as resolved from `admission` and `limits`: which protocols,
// users and hosts are allowed, the per-user limits and the resource-limit groups. Built once at
// start and again by a live reload, which swaps the whole set at once (admission.ts); the counts
// of admitted connections are not part of it and carry over.
import type { AdmissionConfig, LimitsConfig, Protocol } from '../config/admission-schema.js';
import type { Clock } from '../timers.js';
import { HostList } from './host-list.js';
import { HostRateLimiter } from './host-rate-limiter.js';
import { ResourceGroups } from './resource-group.js';
import { UserLimits } from './user-limits.js';

export class AdmissionRules {
  readonly protocols: ReadonlySet<Protocol>;
  readonly allowedUsers: ReadonlySet<string> | null;
  readonly superusers: ReadonlySet<string>;
  readonly userHosts: ReadonlyMap<string, HostList>;
  readonly userLimits: UserLimits;
  readonly groups: ResourceGroups;
  readonly rate: HostRateLimiter | null;

  /** `previous`: the rules being replaced, whose connection-rate buckets are kept when the rate did not change. */
  constructor(
    readonly config: AdmissionConfig,
    limits: LimitsConfig,
    clock: Clock,
    previous: AdmissionRules | null = null,
  ) {
    this.protocols = new Set(config.protocols);
    this.allowedUsers = config.allowedUsers === undefined ? null : new Set(config.allowedUsers);
    this.superusers = new Set(config.superusers);
    this.userHosts = new Map(Object.entries(config.remoteHosts).map(([user, hosts]) => [user, new HostList(hosts)]));
    this.userLimits = new UserLimits(config.userLimits);
    this.groups = new ResourceGroups(limits);
    const { perSecond, burst } = config.connectionRate;
    const before = previous?.config.connectionRate;
    this.rate =
      before !== undefined && before.perSecond === perSecond && before.burst === burst
        ? previous!.rate
        : perSecond > 0
          ? new HostRateLimiter(perSecond, burst, clock)
          : null;
  }
}
