// Typed calls of the broker's admin API (docs/admin.md): one function per endpoint the console uses.
import { call, query } from './http.js';
import type {
  AuditLog,
  ClusterInfo,
  ConnectionFilter,
  ConnectionPage,
  EnabledResult,
  EntitlementStatus,
  Explanation,
  ExplainQuestion,
  KickResult,
  KickUserResult,
  ResetMode,
  ResetResult,
  VhostsReport,
} from './types.js';

export const PAGE_SIZE = 25;

export function entitlementStatus(): Promise<EntitlementStatus> {
  return call('GET', '/admin/entitlements');
}

/** Resets one user's entitlements, or everyone's when `user` is undefined. */
export function resetEntitlements(user: string | undefined, mode: ResetMode): Promise<ResetResult> {
  return call('POST', '/admin/entitlements/reset', user === undefined ? { mode } : { user, mode });
}

/** Resets the entitlements of one vhost (docs/vhosts.md#admin): its cache, and its connections by `mode`. */
export function resetVhost(vhost: string, mode: ResetMode): Promise<ResetResult> {
  return call('POST', `/admin/entitlements/reset?vhost=${encodeURIComponent(vhost)}`, { mode });
}

export function listVhosts(): Promise<VhostsReport> {
  return call('GET', '/admin/vhosts');
}

export function setEntitlementsEnabled(enabled: boolean): Promise<EnabledResult> {
  return call('POST', `/admin/entitlements/${enabled ? 'enable' : 'disable'}`, {});
}

export function listConnections(
  filter: Partial<ConnectionFilter>,
  after: string | undefined,
  limit = PAGE_SIZE,
): Promise<ConnectionPage> {
  const { user, host, listener, protocol } = filter;
  return call('GET', `/admin/connections${query({ user, host, listener, protocol, limit, after })}`);
}

export function kickConnection(id: string): Promise<KickResult> {
  return call('DELETE', `/admin/connections/${encodeURIComponent(id)}`);
}

export function kickUser(user: string): Promise<KickUserResult> {
  // Built by hand, not with query(): an empty user must never turn into an unfiltered DELETE.
  return call('DELETE', `/admin/connections?user=${encodeURIComponent(user)}`);
}

export function auditLog(limit = 50): Promise<AuditLog> {
  return call('GET', `/admin/audit${query({ limit })}`);
}

export function explain(question: ExplainQuestion): Promise<Explanation> {
  return call('POST', '/admin/explain', question);
}

export function clusterInfo(): Promise<ClusterInfo> {
  return call('GET', '/admin/cluster');
}
