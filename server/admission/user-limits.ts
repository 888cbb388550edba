// How many connections one user may have at once: Apache Knox's concurrent session tiers
// (non-privileged by default, privileged, unlimited) with netconfd-pro's per-user overrides. Resolved from config once; a lookup
// is two map probes at logon.
import type { UserLimitsConfig } from '../config/admission-schema.js';

export class UserLimits {
  private readonly enabled: boolean;
  private readonly defaultLimit: number;
  private readonly unlimited: ReadonlySet<string>;
  /** Per-user overrides and privileged users' limit, in one map (an override wins: it names the user). */
  private readonly byUser: ReadonlyMap<string, number>;

  constructor(config: UserLimitsConfig) {
    this.enabled = config.enabled;
    this.defaultLimit = config.default;
    this.unlimited = new Set(config.unlimited);
    const byUser = new Map<string, number>();
    for (const user of config.privileged.users) byUser.set(user, config.privileged.limit);
    for (const [user, limit] of Object.entries(config.users)) byUser.set(user, limit);
    this.byUser = byUser;
  }

  /**
   * The user's concurrent connection limit; Infinity when the limiter is off (Knox: "If the
   * verifier is disabled it will not do anything even if the other parameters are configured")
   * or the user is unlimited ("even if they are configured in the privileged group as well").
   */
  limitFor(user: string): number {
    if (!this.enabled || this.unlimited.has(user)) return Number.POSITIVE_INFINITY;
    return this.byUser.get(user) ?? this.defaultLimit;
  }
}
