// What each admin endpoint does: its method, the AdminActions call it makes, and the JSON it
// answers with. Body validation lives here too, since each route knows its own fields.
import {
  ADMIN_PATHS,
  type AdmissionResponse,
  type AuditResponse,
  type InvalidateResponse,
  type ClusterResponse,
  type ConnectionResponse,
  type ConnectionsResponse,
  type KickResponse,
  type EnabledResponse,
  type ExplainResponse,
  type PromoteShadowResponse,
  type ReloadResponse,
  type ResetResponse,
  type ShadowResponse,
  type StatusResponse,
  type TlsReloadResponse,
  type VhostsResponse,
} from './admin-api.js';
import { AdminHttpError, badRequest } from './admin-http-error.js';
import { ClusterUnavailableError } from '../cluster/cluster-control.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ordinal, type ConnectionFilter } from './connection-list.js';
import { UnknownListenerError } from '../security/explanation.js';
import { EXPLAIN_FIELDS, explainQuestion } from './explain-body.js';
import { RESET_MODES, type ResetMode } from '../config/index.js';
import { ReloadUnavailableError } from '../reload/reload-result.js';
import { RECENT_ADMIN_ACTIONS } from '../audit/audit-log.js';
import {
  ENTITLEMENT_RESET_MODES,
  NoShadowPolicyError,
  type AdminActions,
  type EntitlementResetMode,
} from './admin-actions.js';
import type { EntitlementAction, InvalidationTarget } from '../security/module-types.js';

/** A cluster-wide action while Redis is away: 503, nothing applied. */
async function clusterWide<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof ClusterUnavailableError) throw new AdminHttpError(503, 'UNAVAILABLE', err.message);
    throw err;
  }
}

export type AdminMethod = 'GET' | 'POST' | 'DELETE';

/** What a request carries besides its body. */
export interface AdminRequest {
  readonly query: URLSearchParams;
  /** The `{id}` segment of a path such as /admin/connections/{id}. */
  readonly id?: string;
  /** The vhost the request is about (`?vhost=`, canonical), for a route that takes one. */
  readonly vhost?: string;
}

export interface AdminRoute {
  readonly method: AdminMethod;
  /** Names the action in the log line written for each request. */
  readonly action: string;
  /** A POST that changes nothing (explain): it is not audited and keeps the credential cache, as a GET. */
  readonly readOnly?: true;
  /** It takes `?vhost=` and acts on that vhost alone (docs/vhosts.md#admin); others are broker-wide. */
  readonly vhostScoped?: true;
  /** `body` is the parsed JSON body of a POST (undefined when empty); throws AdminHttpError 400 when invalid. */
  run(actions: AdminActions, body: unknown, request: AdminRequest): Promise<unknown>;
}

const NO_QUERY: readonly string[] = [];

/** The query parameters, each at most once and none but `allowed`, as an object. */
function queryParams(query: URLSearchParams, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of query) {
    if (!allowed.includes(key)) {
      const expected =
        allowed.length === 0 ? 'this request takes none' : `expected only ${allowed.map((k) => `"${k}"`).join(', ')}`;
      throw badRequest(`unknown query parameter ${JSON.stringify(key.slice(0, 64))} (${expected})`);
    }
    if (key in out) throw badRequest(`query parameter "${key}" given twice`);
    out[key] = value;
  }
  return out;
}

/** The body as an object with no fields but `allowed`; an absent body counts as `{}`. */
function objectBody(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('expected a JSON object as the request body');
  for (const key of Object.keys(body)) {
    // Strict, so a misspelt "user" is an error rather than a silent reset of everyone.
    if (!allowed.includes(key)) {
      const expected =
        allowed.length === 0
          ? 'this request takes no fields'
          : `expected only ${allowed.map((k) => `"${k}"`).join(', ')}`;
      throw badRequest(`unknown field ${JSON.stringify(key.slice(0, 64))} in the request body (${expected})`);
    }
  }
  return body as Record<string, unknown>;
}

function resetTarget(body: unknown): { user: string | undefined; mode: EntitlementResetMode } {
  const { user, mode } = objectBody(body, ['user', 'mode']);
  if (user !== undefined && (typeof user !== 'string' || user === ''))
    throw badRequest('"user" must be a non-empty string (omit it to reset every user)');
  if (mode !== undefined && !(ENTITLEMENT_RESET_MODES as readonly unknown[]).includes(mode))
    throw badRequest(
      `"mode" must be ${ENTITLEMENT_RESET_MODES.map((m) => `"${m}"`).join(' or ')} (omit it to disconnect, as AMPS does)`,
    );
  return { user: user as string | undefined, mode: (mode as EntitlementResetMode | undefined) ?? 'disconnect' };
}

const INVALIDATE_ACTIONS: readonly EntitlementAction[] = ['logon', 'read', 'write', 'admin'];

function invalidationTarget(body: unknown): InvalidationTarget {
  const { user, action, resource } = objectBody(body, ['user', 'action', 'resource']);
  if (typeof user !== 'string')
    throw badRequest('"user" is required: the user whose answers to forget (an empty string is the implicit user)');
  if (action !== undefined && !(INVALIDATE_ACTIONS as readonly unknown[]).includes(action))
    throw badRequest(`"action" must be one of ${INVALIDATE_ACTIONS.map((a) => `"${a}"`).join(', ')} (omit it for all)`);
  if (resource !== undefined && typeof resource !== 'string')
    throw badRequest('"resource" must be a string: a topic or an admin path (omit it for all)');
  return {
    user,
    ...(action !== undefined ? { action: action as EntitlementAction } : {}),
    ...(resource !== undefined ? { resource } : {}),
  };
}

const status: AdminRoute = {
  method: 'GET',
  action: 'entitlement status',
  vhostScoped: true,
  run: async (actions, _body, request): Promise<StatusResponse> => actions.entitlementStatus(request.vhost),
};

const reset: AdminRoute = {
  method: 'POST',
  action: 'entitlement reset',
  vhostScoped: true,
  run: async (actions, body, request): Promise<ResetResponse> => {
    const { user, mode } = resetTarget(body);
    const { vhost } = request;
    const result = await clusterWide(() => actions.resetEntitlements(user, mode, vhost));
    return { reset: user ?? 'all', mode, ...(vhost === undefined ? {} : { vhost }), ...result };
  },
};

const vhosts: AdminRoute = {
  method: 'GET',
  action: 'vhosts list',
  vhostScoped: true,
  run: async (actions, _body, request): Promise<VhostsResponse> => {
    queryParams(request.query, NO_QUERY);
    return actions.listVhosts(request.vhost);
  },
};

const invalidate: AdminRoute = {
  method: 'POST',
  action: 'entitlements invalidated',
  run: async (actions, body): Promise<InvalidateResponse> => {
    const target = invalidationTarget(body);
    const result = await clusterWide(() => actions.invalidateEntitlements(target));
    return { invalidated: target, ...result };
  },
};

const disable: AdminRoute = {
  method: 'POST',
  action: 'entitlements disabled',
  run: async (actions, body): Promise<EnabledResponse> => {
    objectBody(body, []);
    const nodes = await clusterWide(() => actions.disableEntitlements());
    return nodes === undefined ? { enabled: false } : { enabled: false, nodes };
  },
};

const enable: AdminRoute = {
  method: 'POST',
  action: 'entitlements enabled',
  run: async (actions, body): Promise<EnabledResponse> => {
    objectBody(body, []);
    const nodes = await clusterWide(() => actions.enableEntitlements());
    return nodes === undefined ? { enabled: true } : { enabled: true, nodes };
  },
};

const shadow: AdminRoute = {
  method: 'GET',
  action: 'shadow policies',
  run: async (actions, _body, request): Promise<ShadowResponse> => {
    queryParams(request.query, NO_QUERY);
    return actions.shadowSummaries();
  },
};

/** 409 when no module has a shadow policy: nothing was changed, nothing reset. */
const promoteShadow: AdminRoute = {
  method: 'POST',
  action: 'shadow policy promoted',
  run: async (actions, body): Promise<PromoteShadowResponse> => {
    objectBody(body, []);
    try {
      return await clusterWide(() => actions.promoteShadow());
    } catch (err) {
      if (err instanceof NoShadowPolicyError) throw new AdminHttpError(409, 'CONFLICT', err.message);
      throw err;
    }
  },
};

/** A profile whose new files are bad keeps its old certificate: still a 200, with `failed` > 0 and the reason. */
const tlsReload: AdminRoute = {
  method: 'POST',
  action: 'TLS reload',
  run: async (actions, body): Promise<TlsReloadResponse> => {
    objectBody(body, []);
    return actions.reloadTls();
  },
};

const admission: AdminRoute = {
  method: 'GET',
  action: 'admission status',
  run: async (actions, _body, request): Promise<AdmissionResponse> => {
    queryParams(request.query, NO_QUERY);
    return actions.connectionStatus();
  },
};

const FILTERS = ['user', 'host', 'listener', 'protocol'] as const;

function connectionFilter(params: Record<string, string>): ConnectionFilter {
  const filter: { -readonly [K in keyof ConnectionFilter]: ConnectionFilter[K] } = {};
  for (const key of FILTERS) {
    const value = params[key];
    if (value === undefined) continue;
    if (value === '') throw badRequest(`query parameter "${key}" is empty (leave it out to match every ${key})`);
    if (key === 'protocol') {
      if (value !== 'native' && value !== 'mqtt' && value !== 'http')
        throw badRequest(
          `query parameter "protocol" must be "native", "mqtt" or "http", not ${JSON.stringify(value.slice(0, 64))}`,
        );
      filter.protocol = value;
    } else filter[key] = value;
  }
  return filter;
}

/** `?limit=N`: a whole number from 1 to `max`, or `fallback` when absent. */
function limitParam(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const limit = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= max))
    throw badRequest(
      `query parameter "limit" must be a whole number from 1 to ${max}, not ${JSON.stringify(text.slice(0, 64))}`,
    );
  return limit;
}

const listConnections: AdminRoute = {
  method: 'GET',
  action: 'connections list',
  vhostScoped: true,
  run: async (actions, _body, request): Promise<ConnectionsResponse> => {
    const params = queryParams(request.query, [...FILTERS, 'limit', 'after']);
    const { after } = params;
    if (after !== undefined && ordinal(after) < 0)
      throw badRequest(`query parameter "after" must be a connection id from the previous page's "next"`);
    const filter = connectionFilter(params);
    return actions.listConnections(
      request.vhost === undefined ? filter : { ...filter, vhost: request.vhost },
      limitParam(params.limit, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
      after,
    );
  },
};

/** DELETE /admin/connections?user=U: every connection of that user; without a user it is refused, not "everyone". */
const kickUser: AdminRoute = {
  method: 'DELETE',
  action: 'connections closed',
  vhostScoped: true,
  run: async (actions, _body, request): Promise<KickResponse> => {
    const { user } = queryParams(request.query, ['user']);
    if (user === undefined || user === '')
      throw badRequest(
        'name the user whose connections to close (?user=NAME), or close one with DELETE /admin/connections/{id}',
      );
    const { vhost } = request;
    const scope = vhost === undefined ? {} : { vhost };
    const { disconnected, nodes } = await clusterWide(() => actions.disconnectConnections({ user, ...scope }));
    return nodes === undefined ? { user, ...scope, disconnected } : { user, ...scope, disconnected, nodes };
  },
};

function notFound(id: string): AdminHttpError {
  return new AdminHttpError(404, 'NOT_FOUND', `no connection ${JSON.stringify(id)} (it may have closed)`);
}

const connectionDetail: AdminRoute = {
  method: 'GET',
  action: 'connection detail',
  vhostScoped: true,
  run: async (actions, _body, request): Promise<ConnectionResponse> => {
    queryParams(request.query, NO_QUERY);
    // Another vhost's connection is as absent as a closed one: a tenant learns nothing of it.
    const detail = actions.connectionDetail(request.id!, request.vhost);
    if (detail === null) throw notFound(request.id!);
    return detail;
  },
};

const kickConnection: AdminRoute = {
  method: 'DELETE',
  action: 'connection closed',
  vhostScoped: true,
  run: async (actions, _body, request): Promise<KickResponse> => {
    queryParams(request.query, NO_QUERY);
    const id = request.id!;
    const { vhost } = request;
    const target = vhost === undefined ? { id } : { id, vhost };
    const { disconnected, nodes } = await clusterWide(() => actions.disconnectConnections(target));
    if (disconnected === 0) throw notFound(id);
    return nodes === undefined ? { id, disconnected } : { id, disconnected, nodes };
  },
};

function reloadReset(body: unknown): ResetMode | undefined {
  const { reset } = objectBody(body, ['reset']);
  if (reset === undefined) return undefined;
  if (!isResetMode(reset))
    throw badRequest(`"reset" must be ${RESET_MODES.map((m) => `"${m}"`).join(' or ')} (omit it for reload.reset)`);
  return reset;
}

function isResetMode(value: unknown): value is ResetMode {
  return (RESET_MODES as readonly unknown[]).includes(value);
}

/** Refused or invalid is still a 200, with `applied: false` and why; 409 when there is no file to read. */
const reload: AdminRoute = {
  method: 'POST',
  action: 'config reload',
  run: async (actions, body): Promise<ReloadResponse> => {
    const reset = reloadReset(body);
    try {
      return await actions.reloadConfig(reset);
    } catch (err) {
      if (err instanceof ReloadUnavailableError) throw new AdminHttpError(409, 'CONFLICT', err.message);
      throw err;
    }
  },
};

const audit: AdminRoute = {
  method: 'GET',
  action: 'admin history',
  run: async (actions, _body, request): Promise<AuditResponse> => {
    const { limit } = queryParams(request.query, ['limit']);
    return actions.recentAdminActions(limitParam(limit, RECENT_ADMIN_ACTIONS, RECENT_ADMIN_ACTIONS));
  },
};

const cluster: AdminRoute = {
  method: 'GET',
  action: 'cluster status',
  run: async (actions): Promise<ClusterResponse> => actions.clusterStatus(),
};

/** A POST because the question is a body, but it changes nothing (docs/admin.md#explain). */
const explain: AdminRoute = {
  method: 'POST',
  action: 'entitlement explain',
  readOnly: true,
  vhostScoped: true,
  run: async (actions, body, request): Promise<ExplainResponse> => {
    const question = explainQuestion(objectBody(body, EXPLAIN_FIELDS), (path) => {
      const found = routesAt(path);
      // As the admin listener entitles a request: read for GET, write otherwise (a path with a
      // GET and a DELETE, such as /admin/connections, is explained as its read).
      if (found === null) return undefined;
      return found.routes.some((r) => r.method === 'GET') ? 'read' : 'write';
    });
    try {
      return await actions.explainEntitlement(question, request.vhost);
    } catch (err) {
      if (err instanceof UnknownListenerError) throw badRequest(`"listener": ${err.message}`);
      throw err;
    }
  },
};

/**
 * Path -> its routes, one per method. Paths match exactly (no trailing slash, no decoding), so the
 * entitled resource is canonical; a path ending in `/{id}` matches one more segment of id characters.
 */
export const ADMIN_ROUTES: ReadonlyMap<string, readonly AdminRoute[]> = new Map<string, readonly AdminRoute[]>([
  [ADMIN_PATHS.status, [status]],
  [ADMIN_PATHS.reset, [reset]],
  [ADMIN_PATHS.invalidate, [invalidate]],
  [ADMIN_PATHS.disable, [disable]],
  [ADMIN_PATHS.enable, [enable]],
  [ADMIN_PATHS.shadow, [shadow]],
  [ADMIN_PATHS.promoteShadow, [promoteShadow]],
  [ADMIN_PATHS.tlsReload, [tlsReload]],
  [ADMIN_PATHS.admission, [admission]],
  [ADMIN_PATHS.connections, [listConnections, kickUser]],
  [`${ADMIN_PATHS.connections}/{id}`, [connectionDetail, kickConnection]],
  [ADMIN_PATHS.cluster, [cluster]],
  [ADMIN_PATHS.explain, [explain]],
  [ADMIN_PATHS.reload, [reload]],
  [ADMIN_PATHS.audit, [audit]],
  [ADMIN_PATHS.vhosts, [vhosts]],
]);

/** Session ids and other path ids: short, no `/`, nothing that needs decoding. */
const ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** The routes at `path` and the id it carries, or null when no endpoint is there. */
export function routesAt(path: string): { routes: readonly AdminRoute[]; id?: string } | null {
  const exact = ADMIN_ROUTES.get(path);
  if (exact !== undefined) return { routes: exact };
  const slash = path.lastIndexOf('/');
  const id = path.slice(slash + 1);
  const routes = ADMIN_ROUTES.get(`${path.slice(0, slash)}/{id}`);
  return routes !== undefined && ID.test(id) ? { routes, id } : null;
}
