// A tiny AdminActions for testing the admin HTTP layer on its own: fixed users and a token, an
// entitlement rule (viewer may only read), canned answers, and a record of every call. The real
// implementation is the broker's; end-to-end tests through it live in test/security.
import {
  NoShadowPolicyError,
  type AdminActions,
  type AdminHistory,
  type EntitlementResetMode,
  type EntitlementStatus,
  type InvalidateResult,
  type KickResult,
  type KickTarget,
  type PromoteResult,
  type ShadowReport,
  type VhostsReport,
} from '../../server/admin/admin-actions.js';
import type {
  ConnectionDetail,
  ConnectionFilter,
  ConnectionInfo,
  ConnectionPage,
} from '../../server/admin/connection-list.js';
import type {
  AuthAnswer,
  EntitlementAnswer,
  InvalidationTarget,
  LogonRequest,
} from '../../server/security/module-types.js';
import type { TlsReloadReport } from '../../server/tls/tls-profiles.js';
import type { ConnectionStatus } from '../../server/admission/connection-status.js';
import {
  requestFor,
  UnknownListenerError,
  type ExplainQuestion,
  type Explanation,
} from '../../server/security/explanation.js';
import { ReloadUnavailableError, type ReloadResult, type ResetMode } from '../../server/reload/reload-result.js';

export const ADMIN = { user: 'admin', password: 'admin-secret-pw' };
export const VIEWER = { user: 'viewer', password: 'viewer-secret-pw' };
/** Authenticates as "robot", who may read and write. */
export const TOKEN = 'robot-token-0123456789';
/** A user whose logon the module answers with a SCRAM-style challenge. */
export const CHALLENGED = { user: 'scram-user', password: 'irrelevant-pw' };

export const STATUS: EntitlementStatus = {
  enabled: true,
  cache: { size: 3, hits: 10, misses: 4 },
  moduleCalls: 4,
  failures: 0,
};

export type ActionName =
  | 'resetEntitlements'
  | 'invalidateEntitlements'
  | 'disableEntitlements'
  | 'enableEntitlements'
  | 'entitlementStatus'
  | 'reloadTls'
  | 'connectionStatus'
  | 'clusterStatus'
  | 'listConnections'
  | 'connectionDetail'
  | 'disconnectConnections'
  | 'recentAdminActions'
  | 'reloadConfig'
  | 'shadowSummaries'
  | 'promoteShadow'
  | 'authenticateAdmin'
  | 'checkAdmin'
  | 'explainEntitlement'
  | 'listVhosts'
  | 'vhostNamed';

/** The only vhost vhostNamed knows. */
export const VHOST = 'a.example';

export const VHOSTS: VhostsReport = {
  enabled: true,
  vhosts: [
    {
      name: VHOST,
      source: 'vhosts.policies[0]',
      default: false,
      connections: 1,
      maxConnections: 10,
      maxConnectionsPerUser: 2,
      maxConnectionsPerHost: 3,
      allowUnknownUser: false,
      groups: ['ops'],
    },
  ],
};

/** The only listener explainEntitlement knows; any other name is an UnknownListenerError. */
export const KNOWN_LISTENER = 'native';

/** What explainEntitlement answers, around the entitlement request the question makes. */
export function explanationFor(question: ExplainQuestion): Explanation {
  return {
    request: requestFor(question),
    module: 'policy',
    moduleConfig: 'security.entitlement',
    entitlementsEnabled: true,
    decision: 'deny',
    reason: 'denied by deny[0]',
    filter: null,
    select: null,
    rule: { effect: 'deny', location: 'deny[0]', user: '*', index: 0, text: '{"users":["*"]}', pattern: 'x/#' },
    cache: { cached: false },
    moduleLatencyMs: 0.01,
  };
}

/** What reloadTls answers: one profile reloaded, one that kept its old files. */
export const TLS_RELOAD: TlsReloadReport = {
  profiles: {
    main: {
      reloaded: true,
      certificate: {
        subject: 'CN=localhost',
        issuer: 'CN=Test CA',
        fingerprint256: 'AB:CD',
        validFrom: 'Jan  1 00:00:00 2025 GMT',
        validTo: 'Jan  1 00:00:00 2026 GMT',
      },
    },
    old: { reloaded: false, error: 'tls.profiles.old.certificate: cannot read file "/x.pem" (ENOENT)' },
  },
  reloaded: 1,
  failed: 1,
};

/** What connectionStatus answers. */
export const CONNECTIONS: ConnectionStatus = {
  admitted: { connections: 3, users: { alice: 2, bob: 1 }, hosts: { '127.0.0.1': 3 } },
  refused: { protocol: 0, rate: 1, user: 2, host: 0, limit: 4 },
};

/** The one connection listConnections and connectionDetail know. */
export const CONNECTION: ConnectionInfo = {
  id: 'abcd-1',
  user: 'alice',
  remoteAddress: '127.0.0.1',
  listener: 'main',
  protocol: 'native',
  version: 'warden.json',
  clientId: null,
  loggedOn: true,
  subscriptions: 1,
  queuedBytes: 0,
  connectedAt: '2026-12-07T00:00:00.000Z',
  messagesIn: 2,
  messagesOut: 3,
};

/** What reloadConfig answers: applied, with a reset. */
export const RELOAD: ReloadResult = {
  applied: true,
  file: '/etc/warden/warden.yaml',
  changed: ['security.authentication.options.usersFile'],
  reset: { mode: 'disconnect', disconnected: 2 },
};

/** What reloadConfig answers when the new config changes a port. */
export const RELOAD_REFUSED: ReloadResult = {
  applied: false,
  file: '/etc/warden/warden.yaml',
  changed: ['listeners[0].port'],
  refused: [
    { key: 'listeners[0].port', reason: 'needs a restart: listeners are bound at start', old: 8800, new: 8900 },
  ],
};

/** The one admin action recentAdminActions answers with. */
export const HISTORY_ENTRY: AdminHistory['entries'][number] = {
  at: '2026-12-01T10:00:00.000Z',
  outcome: 'done',
  user: 'admin',
  method: 'POST',
  path: '/admin/entitlements/reset',
  remote: '127.0.0.1',
  status: 200,
  action: 'entitlement reset',
  result: { reset: 'all', disconnected: 0 },
};

/** What shadowSummaries answers: one module with a shadow policy and one difference. */
export const SHADOWS: ShadowReport = {
  shadows: [
    {
      config: 'security.entitlement',
      module: 'policy',
      source: '/etc/warden/policy-next.yaml',
      since: '2026-12-01T10:00:00.000Z',
      comparisons: 12,
      differences: 1,
      byKind: { 'allowed-now-denied': 1, 'denied-now-allowed': 0, 'filter-changed': 0, 'select-changed': 0 },
      auditSuppressed: 0,
      recent: [
        {
          at: '2026-12-01T10:05:00.000Z',
          user: 'bob',
          action: 'write',
          resourceType: 'topic',
          resource: 'orders/bob/1',
          kinds: ['allowed-now-denied'],
          live: { allow: true },
          shadow: { allow: false },
          liveRule: 'groups.traders.grants[0]',
          shadowRule: 'deny[0]',
        },
      ],
      topResources: [{ action: 'write', resourceType: 'topic', resource: 'orders/bob/1', differences: 1 }],
      topUsers: [{ user: 'bob', differences: 1 }],
    },
  ],
};

/** What promoteShadow answers. */
export const PROMOTED: PromoteResult = { promoted: ['security.entitlement'], reset: { disconnected: 2 } };

export interface RecordedCall {
  readonly name: ActionName;
  readonly args: readonly unknown[];
}

export class RecordingAdminActions implements AdminActions {
  readonly calls: RecordedCall[] = [];
  /** Actions that throw, to test the listener's 500 path. */
  readonly failing = new Set<ActionName>();
  /** How many connections a reset reports disconnecting. */
  disconnected = 2;
  /** False: promoteShadow finds no shadow policy (NoShadowPolicyError). */
  hasShadow = true;
  /** What reloadConfig answers; null: the broker has no config file (ReloadUnavailableError). */
  reloadAnswer: ReloadResult | null = RELOAD;

  callsOf(name: ActionName): readonly (readonly unknown[])[] {
    return this.calls.filter((call) => call.name === name).map((call) => call.args);
  }

  private record(name: ActionName, ...args: unknown[]): void {
    this.calls.push({ name, args });
    if (this.failing.has(name)) throw new Error(`${name} failed on purpose (internal detail)`);
  }

  async resetEntitlements(user?: string, mode?: EntitlementResetMode): Promise<{ disconnected: number }> {
    this.record('resetEntitlements', user, mode);
    return { disconnected: this.disconnected };
  }

  async invalidateEntitlements(target: InvalidationTarget): Promise<InvalidateResult> {
    this.record('invalidateEntitlements', target);
    return { disconnected: 0, subscriptionsRevoked: 1 };
  }

  shadowSummaries(): ShadowReport {
    this.record('shadowSummaries');
    return this.hasShadow ? SHADOWS : { shadows: [] };
  }

  async promoteShadow(): Promise<PromoteResult> {
    this.record('promoteShadow');
    if (!this.hasShadow) throw new NoShadowPolicyError('no entitlement module has a shadow policy to promote');
    return PROMOTED;
  }

  async disableEntitlements(): Promise<undefined> {
    this.record('disableEntitlements');
    return undefined;
  }

  async enableEntitlements(): Promise<undefined> {
    this.record('enableEntitlements');
    return undefined;
  }

  async clusterStatus(): Promise<{ clustered: false }> {
    this.record('clusterStatus');
    return { clustered: false };
  }

  entitlementStatus(): EntitlementStatus {
    this.record('entitlementStatus');
    return STATUS;
  }

  async reloadTls(): Promise<TlsReloadReport> {
    this.record('reloadTls');
    return TLS_RELOAD;
  }

  connectionStatus(): ConnectionStatus {
    this.record('connectionStatus');
    return CONNECTIONS;
  }

  listConnections(filter: ConnectionFilter, limit: number, after: string | undefined): ConnectionPage {
    this.record('listConnections', filter, limit, after);
    return { total: 1, connections: [CONNECTION] };
  }

  connectionDetail(id: string): ConnectionDetail | null {
    this.record('connectionDetail', id);
    return id === CONNECTION.id ? { ...CONNECTION, subscriptionPatterns: ['prices/#'] } : null;
  }

  async disconnectConnections(target: KickTarget): Promise<KickResult> {
    this.record('disconnectConnections', target);
    return { disconnected: 'id' in target ? (target.id === CONNECTION.id ? 1 : 0) : this.disconnected };
  }

  listVhosts(vhost?: string): VhostsReport {
    this.record('listVhosts', vhost);
    return VHOSTS;
  }

  /** The one vhost there is: VHOST (any case). */
  vhostNamed(name: string): string | undefined {
    this.record('vhostNamed', name);
    return name.toLowerCase() === VHOST ? VHOST : undefined;
  }

  recentAdminActions(limit: number): AdminHistory {
    this.record('recentAdminActions', limit);
    return { enabled: true, entries: [HISTORY_ENTRY] };
  }

  async reloadConfig(reset?: ResetMode): Promise<ReloadResult> {
    this.record('reloadConfig', reset);
    if (this.reloadAnswer === null) throw new ReloadUnavailableError('no config file to reload (on purpose)');
    return this.reloadAnswer;
  }

  async authenticateAdmin(request: LogonRequest): Promise<AuthAnswer> {
    this.record('authenticateAdmin', request);
    if (request.mechanism === 'token') {
      return request.token === TOKEN
        ? { outcome: 'accept', identity: 'robot' }
        : { outcome: 'reject', reason: 'unknown token' };
    }
    if (request.user === CHALLENGED.user)
      return { outcome: 'challenge', data: 'r=nonce', respond: () => ({ outcome: 'reject', reason: 'no' }) };
    for (const known of [ADMIN, VIEWER]) {
      if (request.user === known.user && request.password === known.password)
        return { outcome: 'accept', identity: known.user };
    }
    return { outcome: 'reject', reason: `bad password for ${request.user}` };
  }

  async explainEntitlement(question: ExplainQuestion): Promise<Explanation> {
    this.record('explainEntitlement', question);
    if (question.action !== 'admin' && question.listener !== undefined && question.listener !== KNOWN_LISTENER)
      throw new UnknownListenerError(question.listener, [KNOWN_LISTENER]);
    return explanationFor(question);
  }

  async checkAdmin(
    user: string,
    action: 'read' | 'write',
    resource: string,
    vhost?: string,
  ): Promise<EntitlementAnswer> {
    this.record('checkAdmin', user, action, resource, ...(vhost === undefined ? [] : [vhost]));
    if (user === VIEWER.user && action === 'write') return { allow: false, reason: 'viewers only read' };
    return { allow: true };
  }
}
