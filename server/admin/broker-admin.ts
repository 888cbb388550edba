// The admin actions (AdminActions) of a running broker, for the admin listener and for embedders
// (`broker.admin`): the entitlement actions of the security modules, with what the rest of the
// broker does about them (a reset closes the affected connections), TLS reload and admission's
// connection counts.
import type { Vhost } from '../vhosts/vhosts.js';
import type { Logger } from 'pino';
import type { ConnectionStatus } from '../admission/connection-status.js';
import type { AuthAnswer, EntitlementAnswer, InvalidationTarget, LogonRequest } from '../security/module-types.js';
import type { Throttled } from '../security/logon-guard.js';
import type { SecurityManager } from '../security/security-manager.js';
import type { TlsReloadReport } from '../tls/tls-profiles.js';
import {
  NoShadowPolicyError,
  type AdminActions,
  type AdminHistory,
  type EntitlementResetMode,
  type InvalidateResult,
  type EntitlementStatus,
  type KickResult,
  type KickTarget,
  type NodesApplied,
  type NotClustered,
  type PromoteResult,
  type ResetResult,
  type ShadowReport,
  type ShadowsPromoted,
  type VhostsReport,
} from './admin-actions.js';
import type { ConnectionDetail, ConnectionFilter, ConnectionPage } from './connection-list.js';
import type { ClusterActionResult, ControlAction, LocalActions } from '../cluster/cluster-control.js';
import type { ClusterView } from '../cluster/cluster.js';
import type { ExplainQuestion, Explanation } from '../security/explanation.js';
import type { ReloadRequest, ReloadResult, ResetMode } from '../reload/reload-result.js';
import type { ReevaluationReport, ReevaluationScope } from '../security/reevaluation.js';

/** What the admin actions need of the cluster, when the broker is a node of one. */
export interface ClusterAdmin {
  run(action: ControlAction): Promise<ClusterActionResult>;
  view(): Promise<ClusterView>;
}

function nodesOf(result: ClusterActionResult): NodesApplied {
  return { applied: result.applied, of: result.of, missing: result.missing, failed: result.failed };
}

/** What the admin actions need from the rest of the broker. */
export interface BrokerControls {
  /** Close the logged-on connections of `user` (all when undefined; in `vhost` only, if given) with `code`; returns how many. */
  disconnectUsers(user: string | undefined, code: number, reason: string, vhost?: string): number;
  /** Re-read every TLS profile's files. */
  reloadTls(): TlsReloadReport;
  /** Admission control's counts. */
  connectionStatus(): ConnectionStatus;
  listConnections(filter: ConnectionFilter, limit: number, after: string | undefined): ConnectionPage;
  connectionDetail(id: string, vhost?: string): ConnectionDetail | null;
  /** The vhosts with their connections and limits. */
  listVhosts(): VhostsReport;
  /** Close the connections `target` names, here; returns how many. */
  disconnectConnections(target: KickTarget): number;
  /** Live reload of the config file. */
  reload(request: ReloadRequest): Promise<ReloadResult>;
  /** Ask again for what open connections hold (all, or the scope's): docs/entitlement.md#re-evaluation. */
  reevaluate(scope: ReevaluationScope, vhost?: string): Promise<ReevaluationReport>;
  recentAdminActions(limit: number): AdminHistory;
}

/** Close code of the connections an entitlement reset closes (docs/protocol.md). */
const ENTITLEMENTS_RESET = 4004;

export class BrokerAdmin implements AdminActions, LocalActions {
  /** Set once the broker joined a cluster: the entitlement actions then run on every node. */
  cluster: ClusterAdmin | null = null;

  constructor(
    private readonly security: SecurityManager,
    private readonly broker: BrokerControls,
    private readonly log: Logger,
  ) {}

  async resetEntitlements(
    user?: string,
    mode: EntitlementResetMode = 'disconnect',
    vhost?: string,
  ): Promise<ResetResult> {
    if (this.cluster === null) return this.resetLocally(user, mode, vhost);
    const result = await this.cluster.run({
      t: 'reset',
      mode,
      ...(user === undefined ? {} : { user }),
      ...(vhost === undefined ? {} : { vhost }),
    });
    this.log.info(
      { user: user ?? '(all)', mode, ...nodesOf(result), disconnected: result.disconnected },
      'entitlements reset cluster-wide',
    );
    const { disconnected, subscriptionsRevoked } = result;
    return mode === 'reevaluate'
      ? { disconnected, subscriptionsRevoked, nodes: nodesOf(result) }
      : { disconnected, nodes: nodesOf(result) };
  }

  async invalidateEntitlements(target: InvalidationTarget): Promise<InvalidateResult> {
    if (this.cluster === null) return this.invalidateLocally(target);
    const result = await this.cluster.run({ t: 'invalidate', target });
    const { disconnected, subscriptionsRevoked } = result;
    return { disconnected, subscriptionsRevoked, nodes: nodesOf(result) };
  }

  async disableEntitlements(): Promise<NodesApplied | undefined> {
    if (this.cluster === null) return void (await this.security.disableEntitlements());
    return nodesOf(await this.cluster.run({ t: 'disable' }));
  }

  async enableEntitlements(): Promise<NodesApplied | undefined> {
    if (this.cluster === null) return void (await this.security.enableEntitlements());
    return nodesOf(await this.cluster.run({ t: 'enable' }));
  }

  async disconnectConnections(target: KickTarget): Promise<KickResult> {
    if (this.cluster === null) return { disconnected: this.broker.disconnectConnections(target) };
    const result = await this.cluster.run({ t: 'kick', target });
    return { disconnected: result.disconnected, nodes: nodesOf(result) };
  }

  shadowSummaries(): ShadowReport {
    return { shadows: this.security.shadowSummaries() };
  }

  async promoteShadow(): Promise<PromoteResult> {
    let here: ShadowsPromoted;
    let nodes: NodesApplied | undefined;
    if (this.cluster === null) here = await this.promoteShadowLocally();
    else {
      // What this node has; each node promotes its own, and says whether it did.
      here = { promoted: this.security.shadowSummaries().map((s) => s.config) };
      const result = await this.cluster.run({ t: 'promote-shadow' });
      nodes = nodesOf(result);
      if (result.applied === 0) {
        const why = result.failed.map((f) => `${f.node}: ${f.error}`).sort();
        throw new NoShadowPolicyError(`no node promoted a shadow policy${why.length > 0 ? `: ${why.join('; ')}` : ''}`);
      }
    }
    // As the issue asks: the promotion re-evaluates live users rather than disconnecting them.
    const reset = await this.resetEntitlements(undefined, 'reevaluate');
    this.log.info({ promoted: here.promoted, ...(nodes ?? {}) }, 'shadow policies promoted');
    return nodes === undefined ? { ...here, reset } : { ...here, reset, nodes };
  }

  clusterStatus(): Promise<ClusterView | NotClustered> {
    return this.cluster === null ? Promise.resolve({ clustered: false }) : this.cluster.view();
  }

  // ---- this node alone (LocalActions): what each node of a cluster runs ----

  /** The reset on this node: its cache and modules, and its affected connections. */
  async resetLocally(
    user: string | undefined,
    mode: EntitlementResetMode = 'disconnect',
    vhost?: string,
  ): Promise<ResetResult> {
    const moduleErrors = await this.security.resetModules(user, this.vhost(vhost));
    // Only present when something went wrong, so the usual answer stays { disconnected }.
    const errors = moduleErrors.length === 0 ? {} : { moduleErrors };
    if (mode === 'reevaluate') {
      const reevaluation = await this.broker.reevaluate(user === undefined ? undefined : { user }, vhost);
      const { disconnected, subscriptionsRevoked } = reevaluation;
      return { disconnected, subscriptionsRevoked, reevaluation, ...errors };
    }
    const reason = user === undefined ? 'entitlements reset' : closeReason(`entitlements reset for ${user}`);
    const disconnected = this.broker.disconnectUsers(user, ENTITLEMENTS_RESET, reason, vhost);
    this.log.info(
      { user: user ?? '(all)', ...(vhost === undefined ? {} : { vhost }), disconnected },
      'entitlements reset',
    );
    return { disconnected, ...errors };
  }

  /** The vhost named `name` (canonical), for the security manager; undefined for none. */
  private vhost(name: string | undefined): Vhost | undefined {
    if (name === undefined) return undefined;
    const vhost = this.security.vhostNamed(name);
    // Routes take names through vhostNamed() first: an unknown one here is a wiring mistake.
    if (vhost === undefined) throw new Error(`internal: no vhost "${name}"`);
    return vhost;
  }

  listVhosts(vhost?: string): VhostsReport {
    const report = this.broker.listVhosts();
    return vhost === undefined ? report : { ...report, vhosts: report.vhosts.filter((v) => v.name === vhost) };
  }

  vhostNamed(name: string): string | undefined {
    return this.security.vhostNamed(name)?.name;
  }

  /** The invalidation on this node: forget the answers, then ask again for what the user's connections hold. */
  async invalidateLocally(target: InvalidationTarget): Promise<InvalidateResult> {
    this.security.forgetAnswers(target);
    const reevaluation = await this.broker.reevaluate(target);
    const { disconnected, subscriptionsRevoked } = reevaluation;
    return { disconnected, subscriptionsRevoked, reevaluation };
  }

  /** Every shadow policy of this node made live; throws NoShadowPolicyError when there was none to promote. */
  async promoteShadowLocally(): Promise<ShadowsPromoted> {
    const result = await this.security.promoteShadows();
    if (result.promoted.length === 0) {
      const why = result.moduleErrors?.map((e) => `${e.module}: ${e.error}`).join('; ');
      throw new NoShadowPolicyError(
        why === undefined
          ? 'no entitlement module has a shadow policy to promote'
          : `no shadow policy was promoted: ${why}`,
      );
    }
    return result;
  }

  disableLocally(): Promise<void> {
    return this.security.disableEntitlements();
  }

  enableLocally(): Promise<void> {
    return this.security.enableEntitlements();
  }

  entitlementsEnabled(): boolean {
    return this.security.entitlementStatus().enabled;
  }

  entitlementStatus(vhost?: string): EntitlementStatus {
    if (vhost !== undefined) return this.security.entitlementStatus(this.vhost(vhost));
    const status = this.security.entitlementStatus();
    const modules = this.security.moduleHealth();
    // Only with a module that asks a remote service, so the usual answer keeps its shape.
    return modules.length === 0 ? status : { ...status, modules };
  }

  async reloadTls(): Promise<TlsReloadReport> {
    return this.broker.reloadTls();
  }

  connectionStatus(): ConnectionStatus {
    return this.broker.connectionStatus();
  }

  listConnections(filter: ConnectionFilter, limit: number, after: string | undefined): ConnectionPage {
    return this.broker.listConnections(filter, limit, after);
  }

  connectionDetail(id: string, vhost?: string): ConnectionDetail | null {
    return this.broker.connectionDetail(id, vhost);
  }

  recentAdminActions(limit: number): AdminHistory {
    return this.broker.recentAdminActions(limit);
  }

  kickLocally(target: KickTarget): number {
    return this.broker.disconnectConnections(target);
  }

  /** Local even in a cluster: each node reads its own file (docs/cluster.md). */
  reloadConfig(reset?: ResetMode): Promise<ReloadResult> {
    return this.broker.reload(reset === undefined ? { via: 'admin' } : { reset, via: 'admin' });
  }

  authenticateAdmin(request: LogonRequest, vhost?: string): Promise<AuthAnswer | Throttled> {
    return this.security.authenticateAdmin(request, this.vhost(vhost));
  }

  checkAdmin(user: string, action: 'read' | 'write', resource: string, vhost?: string): Promise<EntitlementAnswer> {
    return this.security.checkAdmin(user, action, resource, this.vhost(vhost));
  }

  explainEntitlement(question: ExplainQuestion, vhost?: string): Promise<Explanation> {
    return this.security.explain(question, this.vhost(vhost));
  }
}

/** WebSocket close reasons are limited to 123 bytes of UTF-8: cut at a character boundary. */
function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out, 'utf8') > 123) out = out.slice(0, -1);
  // Never leave half a surrogate pair.
  return /[\ud800-\udbff]$/.test(out) ? out.slice(0, -1) : out;
}
