// What each admin endpoint does: its method, the AdminActions call it makes, and the JSON it
// answers with. Body validation lives here too, since each route knows its own fields.
import type { AdminActions } from './admin-actions.js';
import {
  ADMIN_PATHS,
  type ClusterResponse,
  type ConnectionsResponse,
  type EnabledResponse,
  type ReloadResponse,
  type ResetResponse,
  type StatusResponse,
  type TlsReloadResponse,
} from './admin-api.js';
import { AdminHttpError, badRequest } from './admin-http-error.js';
import { ClusterUnavailableError } from '../cluster/cluster-control.js';
import { RESET_MODES, type ResetMode } from '../config/index.js';
import { ReloadUnavailableError } from '../reload/reload-result.js';

/** A cluster-wide action while Redis is away: 503, nothing applied. */
async function clusterWide<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof ClusterUnavailableError) throw new AdminHttpError(503, 'UNAVAILABLE', err.message);
    throw err;
  }
}

export interface AdminRoute {
  readonly method: 'GET' | 'POST';
  /** Names the action in the log line written for each request. */
  readonly action: string;
  /** `body` is the parsed JSON body (undefined when empty); throws AdminHttpError 400 when invalid. */
  run(actions: AdminActions, body: unknown): Promise<unknown>;
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

function resetTarget(body: unknown): string | undefined {
  const { user } = objectBody(body, ['user']);
  if (user === undefined) return undefined;
  if (typeof user !== 'string' || user === '')
    throw badRequest('"user" must be a non-empty string (omit it to reset every user)');
  return user;
}

const status: AdminRoute = {
  method: 'GET',
  action: 'entitlement status',
  run: async (actions): Promise<StatusResponse> => actions.entitlementStatus(),
};

const reset: AdminRoute = {
  method: 'POST',
  action: 'entitlement reset',
  run: async (actions, body): Promise<ResetResponse> => {
    const user = resetTarget(body);
    const { disconnected, moduleErrors, nodes } = await clusterWide(() => actions.resetEntitlements(user));
    return {
      reset: user ?? 'all',
      disconnected,
      ...(moduleErrors !== undefined ? { moduleErrors } : {}),
      ...(nodes !== undefined ? { nodes } : {}),
    };
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

/** A profile whose new files are bad keeps its old certificate: still a 200, with `failed` > 0 and the reason. */
const tlsReload: AdminRoute = {
  method: 'POST',
  action: 'TLS reload',
  run: async (actions, body): Promise<TlsReloadResponse> => {
    objectBody(body, []);
    return actions.reloadTls();
  },
};

const connections: AdminRoute = {
  method: 'GET',
  action: 'connection status',
  run: async (actions): Promise<ConnectionsResponse> => actions.connectionStatus(),
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

const cluster: AdminRoute = {
  method: 'GET',
  action: 'cluster status',
  run: async (actions): Promise<ClusterResponse> => actions.clusterStatus(),
};

/** Path -> route. Paths match exactly (no trailing slash, no decoding), so the entitled resource is canonical. */
export const ADMIN_ROUTES: ReadonlyMap<string, AdminRoute> = new Map<string, AdminRoute>([
  [ADMIN_PATHS.status, status],
  [ADMIN_PATHS.reset, reset],
  [ADMIN_PATHS.disable, disable],
  [ADMIN_PATHS.enable, enable],
  [ADMIN_PATHS.tlsReload, tlsReload],
  [ADMIN_PATHS.connections, connections],
  [ADMIN_PATHS.cluster, cluster],
  [ADMIN_PATHS.reload, reload],
]);
