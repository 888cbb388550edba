// What the admin interface (HTTP listener, `warden admin`) can do to a running broker: the
// entitlement actions of AMPS ("Disabling Entitlement", cache reset) and the checks the
// admin listener needs to authenticate and entitle its own requests.
import type {
  AuthAnswer,
  EntitlementAnswer,
  InvalidationTarget,
  LogonRequest,
  ModuleHealth,
} from '../security/module-types.js';
import type { TlsReloadReport } from '../tls/tls-profiles.js';
import type { ConnectionStatus } from '../admission/connection-status.js';
import type { Throttled } from '../security/logon-guard.js';
import type { ClusterView } from '../cluster/cluster.js';
import type { ConnectionDetail, ConnectionFilter, ConnectionPage } from './connection-list.js';
import type { ExplainQuestion, Explanation } from '../security/explanation.js';
import type { ReloadResult, ResetMode } from '../reload/reload-result.js';
import type { AuditedAdminAction } from '../audit/audit-log.js';
import type { ReevaluationReport } from '../security/reevaluation.js';
import type { ModuleShadowSummary } from '../security/security-manager.js';

export interface EntitlementStatus {
  /** False between a disable and the next enable. */
  enabled: boolean;
  cache: { size: number; hits: number; misses: number };
  /** Calls made to entitlement modules since start. */
  moduleCalls: number;
  /** Module calls that threw, rejected or timed out (each denied). */
  failures: number;
  /**
   * The modules that ask a remote service (authentication and entitlement): their circuit and
   * stale answers (docs/entitlement.md#circuit-breaker-and-stale-answers). Absent when none does.
   */
  modules?: ModuleHealthEntry[];
}

/** One module's health, with where it is configured. */
export interface ModuleHealthEntry extends ModuleHealth {
  readonly kind: 'authentication' | 'entitlement';
  /** The module's name (`http`, `jwt`). */
  readonly module: string;
  /** Where it is configured (`security.entitlement`, `listeners[1].authentication`). */
  readonly config: string;
}

/** A module whose reset() failed; it keeps what it had (the `policy` module: its previous policy). */
export interface ModuleResetError {
  readonly module: string;
  readonly error: string;
}

/** In a cluster: how many nodes applied an admin action (docs/cluster.md). */
export interface NodesApplied {
  readonly applied: number;
  /** Nodes asked: those connected to Redis when the action was sent. */
  readonly of: number;
  /** Live nodes that had not answered within cluster.requestTimeoutMs. */
  readonly missing: readonly string[];
  /** Nodes that answered with a failure, and why. */
  readonly failed: readonly { readonly node: string; readonly error: string }[];
}

/**
 * How an entitlement reset treats open connections: `disconnect` closes every affected logged-on
 * connection (4004), as AMPS does; `reevaluate` asks the modules again for what they hold and acts
 * only on what is now denied (docs/entitlement.md#re-evaluation).
 */
export const ENTITLEMENT_RESET_MODES = ['disconnect', 'reevaluate'] as const;
export type EntitlementResetMode = (typeof ENTITLEMENT_RESET_MODES)[number];

export interface ResetResult {
  readonly disconnected: number;
  /** `reevaluate`: native subscriptions ended because their read is now denied (summed over the nodes in a cluster). */
  readonly subscriptionsRevoked?: number;
  /** `reevaluate`, on this node: what was asked again and how long it took. */
  readonly reevaluation?: ReevaluationReport;
  /** Present only when some module's reset failed. */
  readonly moduleErrors?: readonly ModuleResetError[];
  /** Present in a cluster: the reset ran on every node. */
  readonly nodes?: NodesApplied;
}

/** What a targeted invalidation did: the user's connections re-evaluated (docs/entitlement.md#targeted-invalidation). */
export interface InvalidateResult {
  /** Connections closed because the user's logon is now denied. */
  readonly disconnected: number;
  /** Native subscriptions ended because their read is now denied. */
  readonly subscriptionsRevoked: number;
  /** On this node: what was asked again and how long it took (absent in a cluster's answer). */
  readonly reevaluation?: ReevaluationReport;
  readonly nodes?: NodesApplied;
}

/** Which connections an admin closes: one, by its id, or every logged-on connection of a user. */
export type KickTarget = ({ readonly id: string } | { readonly user: string }) & {
  /** Only in this vhost (a tenant admin's request, docs/vhosts.md#admin). */
  readonly vhost?: string;
};

/** One vhost as GET /admin/vhosts shows it. */
export interface VhostInfo {
  readonly name: string;
  /** Where its policy came from: its file, or `vhosts.policies[N]`. */
  readonly source: string;
  /** Whether host names no policy matches come here. */
  readonly default: boolean;
  readonly connections: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerUser: number;
  readonly maxConnectionsPerHost: number;
  readonly allowUnknownUser: boolean;
  readonly groups: readonly string[];
}

/** GET /admin/vhosts. */
export interface VhostsReport {
  /** False when vhosts are off (vhosts.enabled): the list is empty. */
  readonly enabled: boolean;
  readonly vhosts: readonly VhostInfo[];
}

export interface KickResult {
  readonly disconnected: number;
  /** Present in a cluster: every node was asked. */
  readonly nodes?: NodesApplied;
}

/** GET /admin/audit: the latest admin actions this node audited, newest first. */
export interface AdminHistory {
  /** False when the audit log is off (audit.enabled: false): nothing is recorded. */
  readonly enabled: boolean;
  readonly entries: readonly AuditedAdminAction[];
}

/** GET /admin/entitlements/shadow: the shadow policies of this node's entitlement modules (docs/entitlement.md#shadow-policy). */
export interface ShadowReport {
  /** One per entitlement module with a shadow policy; empty when none has one. */
  readonly shadows: readonly ModuleShadowSummary[];
}

/** What promoting the shadow policies did on this node. */
export interface ShadowsPromoted {
  /** Where a shadow policy became live: `security.entitlement`, `listeners[1].entitlement`, ... */
  readonly promoted: readonly string[];
  /** Modules whose promotion failed (they keep their live policy), with why. */
  readonly moduleErrors?: readonly ModuleResetError[];
}

/** POST /admin/entitlements/shadow/promote. */
export interface PromoteResult extends ShadowsPromoted {
  /** The entitlement reset of every user that followed. */
  readonly reset: ResetResult;
  /** In a cluster: how many nodes promoted (`promoted` is this node's). */
  readonly nodes?: NodesApplied;
}

/** A promotion with no shadow policy to promote: nothing changed (HTTP 409). */
export class NoShadowPolicyError extends Error {}

/** GET /admin/cluster outside a cluster. */
export interface NotClustered {
  readonly clustered: false;
}

export interface AdminActions {
  /**
   * Entitlement reset: clear the cache (for one user, or everyone), call each entitlement
   * module's reset(), and then, by `mode` (default `disconnect`): disconnect the affected
   * connections (close 4004) so they reconnect under the current entitlements, or re-evaluate
   * what they hold. Modules whose reset failed are listed with why.
   */
  resetEntitlements(user?: string, mode?: EntitlementResetMode, vhost?: string): Promise<ResetResult>;
  /** The vhosts with their connections and limits; with `vhost`, that one alone. */
  listVhosts(vhost?: string): VhostsReport;
  /** The canonical name of the vhost `name` names, or undefined when there is no such vhost. */
  vhostNamed(name: string): string | undefined;
  /**
   * Targeted invalidation: forget the cached answers `target` names (a user's, for one action or
   * resource), then re-evaluate that user's open connections. In a cluster, on every node.
   */
  invalidateEntitlements(target: InvalidationTarget): Promise<InvalidateResult>;
  resetEntitlements(user?: string): Promise<ResetResult>;
  /** The shadow policies of this node's entitlement modules, with what differed (docs/entitlement.md#shadow-policy). */
  shadowSummaries(): ShadowReport;
  /**
   * Make every shadow policy live (in a cluster, on every node), then reset the entitlements of
   * every user. Throws NoShadowPolicyError, changing nothing, when there is no shadow policy.
   */
  promoteShadow(): Promise<PromoteResult>;
  /** Until enabled again every check allows everything, with no filter or select list, and nothing is cached. In a cluster, on every node. */
  disableEntitlements(): Promise<NodesApplied | undefined>;
  /** New module contexts, cache cleared; existing connections and subscriptions are kept. In a cluster, on every node. */
  enableEntitlements(): Promise<NodesApplied | undefined>;
  /** The cluster's nodes, each with its liveness, connections and message rates (docs/cluster.md). */
  clusterStatus(): Promise<ClusterView | NotClustered>;
  /** With `vhost`, that vhost's cache and module alone. */
  entitlementStatus(vhost?: string): EntitlementStatus;
  /**
   * Re-read every TLS profile's certificate, key and CA files; profiles whose files are good get
   * the new secure context (new connections use it), the others keep theirs (docs/tls.md).
   */
  reloadTls(): Promise<TlsReloadReport>;
  /** Admission control: the connections admitted now (in all, per user, per host) and the refusals since start (docs/admission.md). */
  connectionStatus(): ConnectionStatus;
  /** This node's open connections matching `filter`, `limit` of them after the id `after` (docs/admin.md, "Connections"). */
  listConnections(filter: ConnectionFilter, limit: number, after: string | undefined): ConnectionPage;
  /** One connection of this node, with its subscription patterns; null when there is none with that id. */
  connectionDetail(id: string, vhost?: string): ConnectionDetail | null;
  /** The latest `limit` admin actions this node audited (at most RECENT_ADMIN_ACTIONS), newest first. */
  recentAdminActions(limit: number): AdminHistory;
  /** Close connections (close code 4005, MQTT v5 DISCONNECT 0x98); in a cluster, on every node. */
  disconnectConnections(target: KickTarget): Promise<KickResult>;
  /**
   * Live reload (docs/admin.md#live-reload): re-read the config file and apply what can change
   * without a restart, or nothing (saying why). `reset`: how to reset entitlements if users or
   * policy changed (default: the config's reload.reset). This node only, in a cluster. Throws
   * ReloadUnavailableError when the broker has no config file to read.
   */
  reloadConfig(reset?: ResetMode): Promise<ReloadResult>;
  /**
   * Authenticate an admin request with the admin listener's authentication module (fail closed on
   * module failure); `throttled` when the logon guard refused it without a check (docs/authentication.md).
   */
  authenticateAdmin(request: LogonRequest, vhost?: string): Promise<AuthAnswer | Throttled>;
  /**
   * Entitle an admin request: resource type `admin`, action `read` (GET) or `write` (POST),
   * resource = the request path; about a vhost, its tenant admins may too (docs/vhosts.md#admin).
   */
  checkAdmin(user: string, action: 'read' | 'write', resource: string, vhost?: string): Promise<EntitlementAnswer>;
  /**
   * Explain one entitlement decision on this node: the module's answer and rule, the filter and
   * select list, and the cached copy. Changes no cache. Throws UnknownListenerError for a listener
   * the config does not have.
   */
  explainEntitlement(question: ExplainQuestion, vhost?: string): Promise<Explanation>;
}
