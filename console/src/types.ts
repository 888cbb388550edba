// The shapes of the console's server API (same origin, JSON), as the server sends them.

/** A signed-in session: the cookie is HttpOnly, so the token is all the page holds. */
export interface Session {
  readonly user: string;
  readonly csrfToken: string;
}

export interface CacheCounts {
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
}

export interface NodeSample {
  readonly node: string;
  readonly alive: boolean;
  readonly self: boolean;
  readonly connections: number;
  readonly messagesInPerSec: number;
  readonly deliveriesPerSec: number;
}

/** One sample of the broker's counters, sent every intervalMs on /console/events. */
export interface Sample {
  /** Epoch milliseconds. */
  readonly t: number;
  readonly node: string | null;
  readonly connections: number;
  readonly messagesInPerSec: number;
  readonly deliveriesPerSec: number;
  readonly denialsPerSec: number;
  readonly cacheHitsPerSec: number;
  readonly cacheMissesPerSec: number;
  readonly cache: CacheCounts;
  readonly moduleCalls: number;
  readonly moduleFailures: number;
  readonly entitlementsEnabled: boolean;
  /** Mean milliseconds per module over the interval; null: the module had no calls. */
  readonly moduleLatencyMs: Readonly<Record<string, number | null>>;
  /** Changes whenever an admin action is audited: the cue to refetch the audit log. */
  readonly auditSeq: number;
  /** Only in a cluster. */
  readonly nodes?: readonly NodeSample[];
}

/** The first event of every stream: the samples of the last historyMs. */
export interface SampleHistory {
  readonly intervalMs: number;
  readonly historyMs: number;
  readonly samples: readonly Sample[];
}

export interface EntitlementStatus {
  readonly enabled: boolean;
  readonly cache: CacheCounts;
  readonly moduleCalls: number;
  readonly failures: number;
}

/** How a cluster-wide admin action went on the other nodes. */
export interface NodesOutcome {
  readonly applied: number;
  readonly of: number;
  readonly missing: readonly string[];
  readonly failed: readonly { readonly node: string; readonly error: string }[];
}

/** How a reset treats open connections (docs/entitlement.md#re-evaluation). */
export type ResetMode = 'disconnect' | 'reevaluate';

export interface ResetResult {
  readonly reset: string;
  readonly mode: ResetMode;
  readonly disconnected: number;
  /** `reevaluate`: subscriptions ended because their read is now denied. */
  readonly subscriptionsRevoked?: number;
  readonly moduleErrors?: readonly { readonly module: string; readonly error: string }[];
  readonly nodes?: NodesOutcome;
}

export interface EnabledResult {
  readonly enabled: boolean;
  readonly nodes?: NodesOutcome;
}

export type Protocol = 'native' | 'mqtt' | 'http';

export interface ConnectionInfo {
  readonly id: string;
  readonly user: string | null;
  readonly remoteAddress: string;
  readonly listener: string;
  readonly protocol: Protocol;
  readonly version: string | null;
  readonly clientId: string | null;
  readonly loggedOn: boolean;
  readonly subscriptions: number;
  readonly queuedBytes: number;
  /** ISO 8601. */
  readonly connectedAt: string;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** The vhost it is in; absent without vhosts. */
  readonly vhost?: string;
}

/** One vhost of GET /admin/vhosts (server/admin/admin-actions.ts VhostInfo). */
export interface VhostInfo {
  readonly name: string;
  readonly source: string;
  readonly default: boolean;
  readonly connections: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerUser: number;
  readonly maxConnectionsPerHost: number;
  readonly allowUnknownUser: boolean;
  readonly groups: readonly string[];
}

export interface VhostsReport {
  readonly enabled: boolean;
  readonly vhosts: readonly VhostInfo[];
}

export interface ConnectionPage {
  /** Matches on this node over all pages. */
  readonly total: number;
  readonly connections: readonly ConnectionInfo[];
  /** The `after` cursor of the next page; absent on the last page. */
  readonly next?: string;
}

export interface ConnectionFilter {
  readonly user: string;
  readonly host: string;
  readonly listener: string;
  /** '' for any protocol. */
  readonly protocol: Protocol | '';
}

export interface KickResult {
  readonly id: string;
  readonly disconnected: boolean | number;
}

export interface KickUserResult {
  readonly user: string;
  readonly disconnected: number;
}

export interface AuditEntry {
  readonly at: string;
  readonly user: string | null;
  readonly method: string;
  readonly path: string;
  readonly action?: string;
  readonly status: number;
  readonly outcome: 'done' | 'refused';
  readonly result?: unknown;
}

export interface AuditLog {
  readonly enabled: boolean;
  /** Newest first. */
  readonly entries: readonly AuditEntry[];
}

export type ExplainAction = 'logon' | 'read' | 'write' | 'admin';

export interface ExplainQuestion {
  readonly user: string;
  readonly action: ExplainAction;
  readonly topic?: string;
  readonly path?: string;
  readonly listener?: string;
}

export interface ExplainedRule {
  readonly effect: 'grant' | 'deny';
  readonly location: string;
  readonly group?: string;
  readonly user?: string;
  readonly index: number;
  readonly text: string;
  readonly pattern?: string;
}

export type CacheState =
  | { readonly cached: false }
  | {
      readonly cached: true;
      readonly since: string;
      readonly ageMs: number;
      readonly decision: 'allow' | 'deny';
      readonly filter: string | null;
      readonly select: string | null;
    };

export interface Explanation {
  readonly request: {
    readonly user: string;
    readonly action: string;
    readonly resourceType: string;
    readonly resource: string;
  };
  readonly module: string;
  readonly moduleConfig: string;
  readonly entitlementsEnabled: boolean;
  readonly decision: 'allow' | 'deny';
  readonly reason?: string;
  readonly filter: string | null;
  readonly select: string | null;
  /** null: no rule matched (the module's default); absent: the module cannot say. */
  readonly rule?: ExplainedRule | null;
  readonly error?: string;
  readonly cache: CacheState;
  readonly moduleLatencyMs: number | null;
}

export interface ClusterNode {
  readonly node: string;
  readonly alive?: boolean;
  readonly self?: boolean;
}

export type ClusterInfo =
  | { readonly clustered: false }
  | { readonly clustered: true; readonly node: string; readonly nodes: readonly ClusterNode[] };
