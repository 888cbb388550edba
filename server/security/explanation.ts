// The admin's `explain` (docs/admin.md#explain): for one (user, action, topic or path), what the
// entitlement module answers and why, what filter and select list would apply, and whether the
// broker has that answer cached. It reads the cache and asks the module; it changes neither.
import type { EntitlementService } from './entitlement-service.js';
import type { EntitlementRequest, ExplainedRule } from './module-types.js';

/** What the admin asks about, validated (server/admin/explain-body.ts). */
export type ExplainQuestion =
  | {
      readonly user: string;
      readonly action: 'logon';
      /** A configured listener whose entitlement module answers; undefined: `security.entitlement`. */
      readonly listener: string | undefined;
    }
  | {
      readonly user: string;
      readonly action: 'read' | 'write';
      readonly topic: string;
      readonly listener: string | undefined;
    }
  | {
      readonly user: string;
      readonly action: 'admin';
      readonly path: string;
      /** What the admin listener asks for this path: read for a GET endpoint, write for a POST one. */
      readonly method: 'read' | 'write';
    };

/** The answer held in the entitlement cache now, and since when. */
export type CacheState =
  | { readonly cached: false }
  | {
      readonly cached: true;
      /** When the module's answer was cached (ISO 8601). */
      readonly since: string;
      readonly ageMs: number;
      readonly decision: 'allow' | 'deny';
      readonly filter: string | null;
      readonly select: string | null;
    };

export interface Explanation {
  /** The entitlement request, exactly as the broker sends it to the module. */
  readonly request: EntitlementRequest;
  /** The module that answers it, and where it is configured (`security.entitlement`, `listeners[1].entitlement`, `admin.entitlement`). */
  readonly module: string;
  readonly moduleConfig: string;
  /** False between a disable and an enable: client requests are then allowed without asking (admin ones still are asked). */
  readonly entitlementsEnabled: boolean;
  readonly decision: 'allow' | 'deny';
  /** The module's reason for a denial, when it gave one. */
  readonly reason?: string;
  /** The content filter and select list that would apply to what the user reads or writes. */
  readonly filter: string | null;
  readonly select: string | null;
  /** The rule that decided; null: no rule matched (the module's default); absent: the module cannot say. */
  readonly rule?: ExplainedRule | null;
  /** The module failed (threw, rejected, timed out): the broker denies, and does not cache the failure. */
  readonly error?: string;
  readonly cache: CacheState;
  /** How long the module took for this explanation; null when it was not asked (entitlements disabled). */
  readonly moduleLatencyMs: number | null;
}

/** The entitlement request the broker makes for `question` (for admin, as the admin listener entitles the path). */
export function requestFor(question: ExplainQuestion): EntitlementRequest {
  const { user } = question;
  switch (question.action) {
    case 'logon':
      return { user, action: 'logon', resourceType: 'logon', resource: '' };
    case 'read':
    case 'write':
      return { user, action: question.action, resourceType: 'topic', resource: question.topic };
    case 'admin':
      return { user, action: question.method, resourceType: 'admin', resource: question.path };
  }
}

function cacheState(service: EntitlementService, request: EntitlementRequest, now: number): CacheState {
  const entry = service.peek(request);
  if (entry === undefined) return { cached: false };
  const { decision, since } = entry;
  return {
    cached: true,
    since: new Date(since).toISOString(),
    ageMs: Math.max(0, now - since),
    decision: decision.allow ? 'allow' : 'deny',
    filter: decision.filter,
    select: decision.select,
  };
}

/**
 * Explains `request` with `service`'s module. `enabled` is the instance switch, or true for admin
 * requests, which stay entitled while entitlements are disabled.
 */
export async function explainWith(
  service: EntitlementService,
  moduleConfig: string,
  request: EntitlementRequest,
  enabled: boolean,
): Promise<Explanation> {
  // Read before asking: a slow module must not make an answer cached meanwhile look older than it is.
  const cache = cacheState(service, request, Date.now());
  const common = { request, module: service.moduleName, moduleConfig, entitlementsEnabled: service.enabled };
  if (!enabled) {
    // What the broker does while disabled (AMPS, "Disabling Entitlement"): allow, without asking.
    return { ...common, decision: 'allow', filter: null, select: null, cache, moduleLatencyMs: null };
  }
  const asked = await service.explain(request);
  const { decision } = asked;
  return {
    ...common,
    decision: decision.allow ? 'allow' : 'deny',
    ...(asked.reason !== null ? { reason: asked.reason } : {}),
    filter: decision.filter,
    select: decision.select,
    ...(asked.rule !== undefined ? { rule: asked.rule } : {}),
    ...(asked.error !== null ? { error: asked.error } : {}),
    cache,
    moduleLatencyMs: asked.latencyMs,
  };
}

/** `listener` names no configured listener. */
export class UnknownListenerError extends Error {
  override readonly name = 'UnknownListenerError';
  constructor(
    readonly listener: string,
    readonly known: readonly string[],
  ) {
    super(
      `no listener named ${JSON.stringify(listener.slice(0, 64))} (configured: ${known.map((name) => JSON.stringify(name)).join(', ')})`,
    );
  }
}
