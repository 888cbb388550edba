// The decision core of the `vhost-policy` entitlement module: one vhost's policy, compiled once,
// answering the broker's EntitlementRequest synchronously (docs/vhosts.md#rules). It reuses the
// policy module's patterns, matchers and answers: `sources` are read grants, `targets` write
// grants, each carrying the group's filter and select list. A pattern without `${user}` is bound
// once, to the vhost; one with `${user}` is bound per user: at load for listed users, on first
// sight (kept in a bounded LRU) for users in no group. explain() names the entry of the policy
// that decided (vhost-policy-explain.ts), for the admin's `explain`.
import { LRUCache } from 'lru-cache';
import type { EntitlementAnswer, EntitlementExplanation, EntitlementRequest } from '../security/module-types.js';
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
import { explainVhostAnswer } from './vhost-policy-explain.js';
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
  /** The group as written (explain names its entries); checks never read it. */
  readonly definition: VhostGroupDefinition;
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
  /** The user's index in the group's `users`; null for a user in no group. */
  readonly member: number | null;
  readonly logon: EntitlementAnswer;
  readonly read: readonly TopicMatcher[];
  readonly write: readonly TopicMatcher[];
  /** For each matcher of `read` (`write`), the index of its pattern in the group's `sources` (`targets`): explain only. */
  readonly readFrom: readonly number[];
  readonly writeFrom: readonly number[];
}

const REFUSED: VhostUserRules = Object.freeze({
  group: null,
  member: null,
  logon: NOT_IN_A_GROUP,
  read: [],
  write: [],
  readFrom: [],
  writeFrom: [],
});

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
    const groupOfUser = new Map<string, { group: PreparedVhostGroup; member: number }>();
    for (const [name, group] of Object.entries(definition.groups)) {
      const prepared = prepareGroup(name, group, this.vhost);
      groups.set(name, prepared);
      if (name === DEFAULT_GROUP) continue;
      // The schema refuses a user in two groups; listed twice in one, the first entry names them.
      group.users.forEach((user, member) => {
        if (!groupOfUser.has(user)) groupOfUser.set(user, { group: prepared, member });
      });
    }
    this.groups = groups;
    for (const [user, { group, member }] of groupOfUser)
      this.known.set(user, bindUser(group, member, user, this.vhost));
  }

  /** The broker's question for a user in this vhost. Synchronous; allocates nothing once the user is bound. */
  check(request: EntitlementRequest): EntitlementAnswer {
    return this.decide(this.rulesOf(request.user), request);
  }

  /**
   * check()'s answer with the entry of the policy that decided it (docs/vhosts.md#explain). Side-effect
   * free: a user in no group is bound for this call only, and the cache of such users is not touched.
   */
  explain(request: EntitlementRequest): EntitlementExplanation {
    const rules = this.peekRulesOf(request.user);
    const answer = this.decide(rules, request);
    return { answer, rule: explainVhostAnswer(rules, request, answer, this.groups.has(DEFAULT_GROUP)) };
  }

  private decide(rules: VhostUserRules, request: EntitlementRequest): EntitlementAnswer {
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
    // allowUnknownUser without a $default group: no group restricts where they come from.
    if (group === NOTHING_GROUP) return true;
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
    let bound = this.unknown.get(user);
    if (bound === undefined) {
      bound = this.bindUnknown(user);
      this.unknown.set(user, bound);
    }
    return bound;
  }

  /** rulesOf() without caching or touching the cache's recency. */
  private peekRulesOf(user: string): VhostUserRules {
    const known = this.known.get(user);
    if (known !== undefined) return known;
    if (!this.allowUnknownUser) return REFUSED;
    return this.unknown.peek(user) ?? this.bindUnknown(user);
  }

  /** allowUnknownUser without a $default group: unknown users may log on and do nothing else. */
  private bindUnknown(user: string): VhostUserRules {
    const fallback = this.groups.get(DEFAULT_GROUP);
    return fallback === undefined ? LOGON_ONLY : bindUser(fallback, null, user, this.vhost);
  }
}

const ALLOW_ADMIN: AllowAnswer = allowAnswer(undefined, undefined);

const NOTHING_GROUP: PreparedVhostGroup = Object.freeze({
  name: DEFAULT_GROUP,
  definition: Object.freeze({ users: [], remoteHosts: [], sources: [], targets: [], allowAdminStatusUpdate: false }),
  answer: ALLOW_ADMIN,
  remoteHosts: [],
  sources: [],
  targets: [],
  maxMessageSize: undefined,
  maxSubscriptions: undefined,
  allowAdminStatusUpdate: false,
});

const LOGON_ONLY: VhostUserRules = Object.freeze({
  group: NOTHING_GROUP,
  member: null,
  logon: ALLOW_ADMIN,
  read: [],
  write: [],
  readFrom: [],
  writeFrom: [],
});

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
    definition: group,
    answer: allowAnswer(group.filter, group.select, group.filterSyntax),
    remoteHosts: group.remoteHosts.map(parseHostPattern),
    sources: group.sources.map(prepare),
    targets: group.targets.map(prepare),
    maxMessageSize: group.maxMessageSize,
    maxSubscriptions: group.maxSubscriptions,
    allowAdminStatusUpdate: group.allowAdminStatusUpdate,
  });
}

/**
 * Fails closed: a `${user}` pattern that cannot be bound (empty name, "/" in a level) grants nothing.
 * `member`: the user's index in the group's `users`, null for a user in no group.
 */
function bindUser(group: PreparedVhostGroup, member: number | null, user: string, vhost: string): VhostUserRules {
  const bind = (patterns: readonly PreparedPattern[]): { matchers: TopicMatcher[]; from: number[] } => {
    const matchers: TopicMatcher[] = [];
    const from: number[] = [];
    patterns.forEach((pattern, index) => {
      const bound =
        'matcher' in pattern ? pattern : bindTopicPattern(pattern.perUser, { user, group: group.name, vhost });
      if (!('matcher' in bound)) return;
      matchers.push(bound.matcher);
      from.push(index);
    });
    return { matchers, from };
  };
  const read = bind(group.sources);
  const write = bind(group.targets);
  return Object.freeze({
    group,
    member,
    logon: ALLOW_ADMIN,
    read: read.matchers,
    write: write.matchers,
    readFrom: read.from,
    writeFrom: write.from,
  });
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
