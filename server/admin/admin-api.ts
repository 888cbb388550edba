// The admin HTTP API's wire contract, shared by the listener and the `warden admin` client so
// the two cannot drift apart: paths, response bodies and error codes (docs/admin.md).
import type {
  AdminHistory,
  EntitlementResetMode,
  EntitlementStatus,
  InvalidateResult,
  ModuleResetError,
  NodesApplied,
  NotClustered,
  PromoteResult,
  ShadowReport,
  VhostsReport,
} from './admin-actions.js';
import type { InvalidationTarget } from '../security/module-types.js';
import type { ReevaluationReport } from '../security/reevaluation.js';
import type { ClusterView } from '../cluster/cluster.js';
import type { TlsReloadReport } from '../tls/tls-profiles.js';
import type { ConnectionStatus } from '../admission/connection-status.js';
import type { ConnectionDetail, ConnectionPage } from './connection-list.js';
import type { Explanation } from '../security/explanation.js';
import type { ReloadResult } from '../reload/reload-result.js';

export const ADMIN_PATHS = {
  status: '/admin/entitlements',
  reset: '/admin/entitlements/reset',
  invalidate: '/admin/entitlements/invalidate',
  disable: '/admin/entitlements/disable',
  enable: '/admin/entitlements/enable',
  tlsReload: '/admin/tls/reload',
  admission: '/admin/admission',
  /** GET lists (filters, pages), DELETE ?user=U closes a user's; /admin/connections/{id}: GET one, DELETE closes it. */
  connections: '/admin/connections',
  cluster: '/admin/cluster',
  explain: '/admin/explain',
  reload: '/admin/reload',
  /** The latest admin actions from the audit log (the console's history). */
  audit: '/admin/audit',
  /** GET: the shadow policies and their differences (docs/entitlement.md#shadow-policy). */
  shadow: '/admin/entitlements/shadow',
  /** POST: the shadow policies become live, then every user's entitlements are reset. */
  promoteShadow: '/admin/entitlements/shadow/promote',
  /** GET: the vhosts, their connections and limits (docs/vhosts.md#admin). */
  vhosts: '/admin/vhosts',
} as const;

/**
 * The query parameter that scopes a request to one vhost (docs/vhosts.md#admin). Such a request is
 * entitled as the path `/admin/vhosts/<vhost>/<rest>`, which a vhost's tenant admins may be allowed.
 */
export const VHOST_PARAM = 'vhost';

/** The admin path a request about `vhost` is entitled as: `/admin/x` becomes `/admin/vhosts/<vhost>/x`. */
export function vhostScopedPath(path: string, vhost: string): string {
  return `${ADMIN_PATHS.vhosts}/${vhost}${path.slice('/admin'.length)}`;
}

export type AdminPath = (typeof ADMIN_PATHS)[keyof typeof ADMIN_PATHS];

/** The realm in the WWW-Authenticate challenge of every 401. */
export const ADMIN_REALM = 'warden-admin';

/** Largest accepted request body; the only body the API takes is `{ "user": "..." }`. */
export const ADMIN_MAX_BODY_BYTES = 64 * 1024;

export type StatusResponse = EntitlementStatus;
/** `reset` is the user name, or "all" when the request named no user. */
export type ResetResponse = {
  readonly reset: string;
  readonly mode: EntitlementResetMode;
  readonly disconnected: number;
  /** `reevaluate`: native subscriptions ended because their read is now denied. */
  readonly subscriptionsRevoked?: number;
  /** `reevaluate`, outside a cluster: what was asked again and how long it took. */
  readonly reevaluation?: ReevaluationReport;
  readonly moduleErrors?: readonly ModuleResetError[];
  /** In a cluster: how many nodes applied it. */
  readonly nodes?: NodesApplied;
  /** A reset of one vhost (`?vhost=`): its name. */
  readonly vhost?: string;
};
export type VhostsResponse = VhostsReport;
export type EnabledResponse = { readonly enabled: boolean; readonly nodes?: NodesApplied };
export type ClusterResponse = ClusterView | NotClustered;
/** Per TLS profile, reloaded (with the new certificate's facts) or not (with why); counts of each. */
export type TlsReloadResponse = TlsReloadReport;
/** Admission control: admitted connections now (in all, per user, per host) and refusals since start. */
export type AdmissionResponse = ConnectionStatus;
/** One page of this node's connections (docs/admin.md, "Connections"). */
export type ConnectionsResponse = ConnectionPage;
export type ConnectionResponse = ConnectionDetail;
/** What a DELETE closed: `id` or `user` echo the request; `nodes` in a cluster. */
export type KickResponse = {
  readonly id?: string;
  readonly user?: string;
  readonly vhost?: string;
  readonly disconnected: number;
  readonly nodes?: NodesApplied;
};
/** POST /admin/explain: one entitlement decision, the rule behind it, and the cache's copy (docs/admin.md#explain). */
export type ExplainResponse = Explanation;
/** Its body: `topic` with read and write, `path` with admin, neither with logon; `listener` picks a listener's module. */
export interface ExplainRequestBody {
  readonly user: string;
  readonly action: 'logon' | 'read' | 'write' | 'admin';
  readonly topic?: string;
  readonly path?: string;
  readonly listener?: string;
}
/** GET /admin/audit?limit=N: this node's latest audited admin actions, newest first (docs/admin.md#audit-log). */
export type AuditResponse = AdminHistory;
/** POST /admin/entitlements/invalidate {user, action?, resource?}: echoes the target, with what the re-evaluation did. */
export type InvalidateResponse = { readonly invalidated: InvalidationTarget } & InvalidateResult;
/** GET /admin/entitlements/shadow: `{ shadows: [] }` when no module has a shadow policy. */
export type ShadowResponse = ShadowReport;
/** POST /admin/entitlements/shadow/promote: where shadows became live, the reset that followed, `nodes` in a cluster. */
export type PromoteShadowResponse = PromoteResult;
/** Live reload: applied or not, what differed, what needs a restart or why the config is invalid (docs/admin.md#live-reload). */
export type ReloadResponse = ReloadResult;

export type AdminErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  /** A console sign-in whose body is not JSON (415). */
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BAD_REQUEST'
  /** The logon guard refused the credentials without a check (security.logonQueue, security.logonBackoff). */
  | 'TOO_MANY_REQUESTS'
  /** A cluster-wide action while Redis cannot be reached: nothing was applied (503). */
  | 'UNAVAILABLE'
  /**
   * A request the broker's state refuses (409): a live reload without a config file (started from a
   * config object) or while shutting down; a promotion with no shadow policy to promote.
   */
  | 'CONFLICT'
  | 'INTERNAL_ERROR';

export interface AdminErrorBody {
  readonly error: { readonly code: AdminErrorCode; readonly message: string };
}
