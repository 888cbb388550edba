// The decision core of the `vhost-policy` entitlement module: one vhost's policy, compiled once,
// answering the broker's EntitlementRequest synchronously (docs/vhosts.md#rules). It reuses the
// policy module's patterns, matchers and answers: `sources` are read grants, `targets` write
// grants, each carrying the group's filter and select list. A pattern without `${user}` is bound
// once, to the vhost; one with `${user}` is bound per user: at load for listed users, on first
// sight (kept in a bounded LRU) for users in no group.
import { LRUCache } from 'lru-cache';
import type { EntitlementAnswer, EntitlementRequest } from '../security/module-types.js';
import { allowAnswer, denyAnswer, type AllowAnswer, type DenyAnswer } from '../security/entitlement/answers.js';
import { requestKind } from '../security/entitlement/request-kind.js';
import type { TopicMatcher } from '../security/entitlement/topic-matcher.js';
import { bindTopicPattern, patternUses, type TopicPattern } from '../security/entitlement/topic-pattern.js';
import {
  isHostAllowed,
  parseHostPattern,
  type HostNameResolver,
  type HostPattern,
} from '../security/authentication/host-access.js';
import { canonicalVhostName } from './vhost-names.js';
import { DEFAULT_GROUP, type VhostGroupDefinition, type VhostPolicyDefinition } from './vhost-policy-schema.js';

/** Bound rules kept for users in no group (as the policy module's UNKNOWN_USER_CACHE_SIZE). */
export const UNKNOWN_USER_CACHE_SIZE = 10_000;

const NOT_IN_A_GROUP = denyAnswer('user is in no group of the vhost');
const NO_READ = denyAnswer('no source of the group matches the topic');
const NO_WRITE = denyAnswer('no target of the group matches the topic');
const NO_ADMIN = denyAnswer('the group may not update connections');
const NOT_THIS_VHOST = denyAnswer("the path is not one of the vhost's own resources");
const UNSUPPORTED = denyAnswer('unsupported request');

/** A group compiled once: patterns bound to the vhost where they can be, answers built. */
export interface PreparedVhostGroup {
  readonly name: string;
  readonly answer: AllowAnswer;
  readonly remoteHosts: readonly HostPattern[];
  readonly sources: readonly PreparedPattern[];
  readonly targets: readonly PreparedPattern[];
  readonly maxMessageSize: number | undefined;
  readonly maxSubscriptions: number | undefined;
  readonly allowAdminStatusUpdate: boolean;
}

/** `matcher` when the pattern needs no user; else the pattern, bound per user. */
type PreparedPattern = { readonly matcher: TopicMatcher } | { readonly perUser: TopicPattern };

/** One user's rules in the vhost: every matcher ready, so a check is a loop over them. */
export interface VhostUserRules {
  /** The group the user is in, or null (refused). */
  readonly group: PreparedVhostGroup | null;
  readonly logon: EntitlementAnswer;
  readonly read: readonly TopicMatcher[];
  readonly write: readonly TopicMatcher[];
}

const REFUSED: VhostUserRules = Object.freeze({ group: null, logon: NOT_IN_A_GROUP, read: [], write: [] });

export class VhostPolicyRules {
  /** The vhost's name: the policy's hostname, canonical (what `${vhost}` stands for). */
  readonly vhost: string;
  readonly maxConnections: number;
  readonly maxConnectionsPerUser: number;
  readonly maxConnectionsPerHost: number;
  readonly allowUnknownUser: boolean;
  readonly groups: ReadonlyMap<string, PreparedVhostGroup>;
  private readonly known = new Map<string, VhostUserRules>();
  private readonly unknown = new LRUCache<string, VhostUserRules>({ max: UNKNOWN_USER_CACHE_SIZE });
  private readonly adminPrefix: string;

  constructor(definition: VhostPolicyDefinition) {
    this.vhost = canonicalVhostName(definition.hostname, true);
    this.maxConnections = definition.maxConnections;
    this.maxConnectionsPerUser = definition.maxConnectionsPerUser;
    this.maxConnectionsPerHost = definition.maxConnectionsPerHost;
    this.allowUnknownUser = definition.allowUnknownUser;
    this.adminPrefix = vhostAdminPrefix(this.vhost);
    const groups = new Map<string, PreparedVhostGroup>();
    const groupOfUser = new Map<string, PreparedVhostGroup>();
    for (const [name, group] of Object.entries(definition.groups)) {
      const prepared = prepareGroup(name, group, this.vhost);
      groups.set(name, prepared);
      if (name === DEFAULT_GROUP) continue;
      for (const user of group.users) groupOfUser.set(user, prepared);
    }
    this.groups = groups;
    for (const [user, group] of groupOfUser) this.known.set(user, bindUser(group, user, this.vhost));
  }

  /** The broker's question for a user in this vhost. Synchronous; allocates nothing once the user is bound. */
  check(request: EntitlementRequest): EntitlementAnswer {
    const rules = this.rulesOf(request.user);
    switch (requestKind(request)) {
      case 'logon':
        return rules.logon;
      case 'read':
        return rules.group === null
          ? NOT_IN_A_GROUP
          : firstMatch(rules.read, request.resource, rules.group.answer, NO_READ);
      case 'write':
        return rules.group === null
          ? NOT_IN_A_GROUP
          : firstMatch(rules.write, request.resource, rules.group.answer, NO_WRITE);
      case 'admin':
        if (rules.group === null) return NOT_IN_A_GROUP;
        if (!rules.group.allowAdminStatusUpdate) return NO_ADMIN;
        return isVhostAdminPath(request.resource, this.adminPrefix) ? ALLOW_ADMIN : NOT_THIS_VHOST;
      default:
        return UNSUPPORTED;
    }
  }

  /** The user's group: their own, else $default when unknown users are allowed, else undefined (refused). */
  groupOf(user: string): PreparedVhostGroup | undefined {
    return this.rulesOf(user).group ?? undefined;
  }

  /**
   * Whether the user may connect from `remoteAddress` (AMQ Interconnect 7.2.3.2 `remoteHosts`):
   * the host-access lists' rules, DNS names confirmed forward. A user with no group may not.
   */
  async isRemoteHostAllowed(user: string, remoteAddress: string, resolveNames: HostNameResolver): Promise<boolean> {
    const group = this.groupOf(user);
    if (group === undefined) return false;
    return isHostAllowed(group.remoteHosts, remoteAddress, resolveNames);
  }

  /** Drops the bindings of users in no group (an entitlement reset). */
  forgetUnknownUsers(): void {
    this.unknown.clear();
  }

  private rulesOf(user: string): VhostUserRules {
    const known = this.known.get(user);
    if (known !== undefined) return known;
    if (!this.allowUnknownUser) return REFUSED;
    const fallback = this.groups.get(DEFAULT_GROUP);
    // allowUnknownUser without a $default group: unknown users may log on and do nothing else.
    let bound = this.unknown.get(user);
    if (bound === undefined) {
      bound = fallback === undefined ? LOGON_ONLY : bindUser(fallback, user, this.vhost);
      this.unknown.set(user, bound);
    }
    return bound;
  }
}

const ALLOW_ADMIN: AllowAnswer = allowAnswer(undefined, undefined);

const NOTHING_GROUP: PreparedVhostGroup = Object.freeze({
  name: DEFAULT_GROUP,
  answer: ALLOW_ADMIN,
  remoteHosts: [],
  sources: [],
  targets: [],
  maxMessageSize: undefined,
  maxSubscriptions: undefined,
  allowAdminStatusUpdate: false,
});

const LOGON_ONLY: VhostUserRules = Object.freeze({ group: NOTHING_GROUP, logon: ALLOW_ADMIN, read: [], write: [] });

function prepareGroup(name: string, group: VhostGroupDefinition, vhost: string): PreparedVhostGroup {
  const prepare = (pattern: TopicPattern): PreparedPattern => {
    if (patternUses(pattern, 'user')) return { perUser: pattern };
    const bound = bindTopicPattern(pattern, { user: '', group: name, vhost });
    // A vhost name is never empty and has no "/", so a pattern without ${user} always binds.
    if (!('matcher' in bound)) throw new Error(`pattern ${pattern.source} cannot be bound: ${bound.unbound}`);
    return { matcher: bound.matcher };
  };
  return Object.freeze({
    name,
    answer: allowAnswer(group.filter, group.select, group.filterSyntax),
    remoteHosts: group.remoteHosts.map(parseHostPattern),
    sources: group.sources.map(prepare),
    targets: group.targets.map(prepare),
    maxMessageSize: group.maxMessageSize,
    maxSubscriptions: group.maxSubscriptions,
    allowAdminStatusUpdate: group.allowAdminStatusUpdate,
  });
}

/** Fails closed: a `${user}` pattern that cannot be bound (empty name, "/" in a level) grants nothing. */
function bindUser(group: PreparedVhostGroup, user: string, vhost: string): VhostUserRules {
  const bind = (patterns: readonly PreparedPattern[]): TopicMatcher[] => {
    const out: TopicMatcher[] = [];
    for (const pattern of patterns) {
      if ('matcher' in pattern) {
        out.push(pattern.matcher);
        continue;
      }
      const bound = bindTopicPattern(pattern.perUser, { user, group: group.name, vhost });
      if ('matcher' in bound) out.push(bound.matcher);
    }
    return out;
  };
  return Object.freeze({ group, logon: ALLOW_ADMIN, read: bind(group.sources), write: bind(group.targets) });
}

function firstMatch(
  matchers: readonly TopicMatcher[],
  topic: string,
  allow: AllowAnswer,
  deny: DenyAnswer,
): EntitlementAnswer {
  for (let i = 0; i < matchers.length; i++) if (matchers[i].matches(topic)) return allow;
  return deny;
}

/**
 * The admin paths of one vhost's own resources: `/admin/vhosts/<vhost>` and below. The next
 * increment scopes each admin endpoint to a vhost by asking for this form of its path (a request
 * with `?vhost=` is checked as `/admin/vhosts/<vhost>/<endpoint>`); broker-wide paths are never a
 * tenant's.
 */
export function vhostAdminPrefix(vhost: string): string {
  return `/admin/vhosts/${vhost}`;
}

/** Whether `path` is `prefix` itself or below it (not merely starting with the same characters). */
export function isVhostAdminPath(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f; // '/'
}
