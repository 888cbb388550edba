// Builds the authentication and entitlement modules the config names (instance level, per
// listener overrides, admin) and carries out AMPS's entitlement actions (reset, disable, enable)
// across all of them; server/admin/broker-admin.ts adds what the rest of the broker does.
import type { Logger } from 'pino';
import type { ModuleSpec, WardenConfig } from '../config/index.js';
import type { EntitlementStatus, ModuleResetError } from '../admin/admin-actions.js';
import { BUILTIN_AUTHENTICATION_MODULES } from './authentication/index.js';
import { Authenticator } from './authenticator.js';
import { BUILTIN_ENTITLEMENT_MODULES } from './entitlement/index.js';
import { EntitlementEpoch } from './entitlement-epoch.js';
import { EntitlementService, EntitlementSwitch } from './entitlement-service.js';
import { loadModule, type ModuleKind } from './module-loader.js';
import type {
  AuthAnswer,
  AuthenticationModule,
  EntitlementAnswer,
  EntitlementModule,
  LogonRequest,
} from './module-types.js';
import { isPromiseLike } from './decision.js';
import type { BrokerStats } from '../stats.js';
import type { Clock } from '../timers.js';
import { LogonGuard, type Throttled } from './logon-guard.js';
import type { ModuleCallObserver } from './module-calls.js';
import {
  explainWith,
  requestFor,
  UnknownListenerError,
  type ExplainQuestion,
  type Explanation,
} from './explanation.js';

const AUTHENTICATION: ModuleKind<AuthenticationModule> = {
  kind: 'authentication',
  builtins: BUILTIN_AUTHENTICATION_MODULES,
  requiredMethods: ['authenticate'],
};
const ENTITLEMENT: ModuleKind<EntitlementModule> = {
  kind: 'entitlement',
  builtins: BUILTIN_ENTITLEMENT_MODULES,
  requiredMethods: ['check'],
};

/** What one listener's sessions use. */
export interface ListenerSecurity {
  readonly authenticator: Authenticator;
  readonly entitlements: EntitlementService;
}

export class SecurityManager {
  readonly toggle = new EntitlementSwitch();
  private readonly byListener = new Map<string, ListenerSecurity>();
  private readonly authenticators: Authenticator[] = [];
  private readonly services: EntitlementService[] = [];
  private admin: ListenerSecurity | null = null;
  /** The instance-wide entitlement service (`security.entitlement`). */
  private instanceEntitlements: EntitlementService | null = null;
  /** Where each service's module is configured, for explain. */
  private readonly configPaths = new Map<EntitlementService, string>();
  /** Shared by every Authenticator: one threadpool, one queue, one back-off. */
  private readonly guard: LogonGuard;

  private constructor(
    private readonly config: WardenConfig,
    private readonly baseDir: string,
    private readonly log: Logger,
    stats: BrokerStats,
    clock: Clock,
    /** Shared by every entitlement service and the broker's delivery path (delivery plans). */
    readonly epoch: EntitlementEpoch,
    /** Told of every module call (the metrics), or null. */
    private readonly observer: ModuleCallObserver | null,
  ) {
    this.guard = new LogonGuard(
      config.security.logonQueue,
      config.security.logonBackoff,
      stats,
      log.child({ component: 'logon-guard' }),
      clock,
    );
  }

  static async create(
    config: WardenConfig,
    baseDir: string,
    log: Logger,
    stats: BrokerStats,
    clock: Clock = Date.now,
    epoch = new EntitlementEpoch(),
    observer: ModuleCallObserver | null = null,
  ): Promise<SecurityManager> {
    const manager = new SecurityManager(config, baseDir, log, stats, clock, epoch, observer);
    try {
      await manager.build();
    } catch (err) {
      await manager.close();
      throw err;
    }
    epoch.start(config.security.entitlementCache.ttlMs);
    return manager;
  }

  private async build(): Promise<void> {
    const security = this.config.security;
    const instanceAuth = await this.authenticator(security.authentication, 'security.authentication');
    const instanceEntitlements = await this.entitlementService(security.entitlement, 'security.entitlement');
    this.instanceEntitlements = instanceEntitlements;
    const instance: ListenerSecurity = { authenticator: instanceAuth, entitlements: instanceEntitlements };
    for (const [index, listener] of this.config.listeners.entries()) {
      const path = `listeners[${index}]`;
      this.byListener.set(listener.name, {
        authenticator: listener.authentication
          ? await this.authenticator(listener.authentication, `${path}.authentication`)
          : instanceAuth,
        entitlements: listener.entitlement
          ? await this.entitlementService(listener.entitlement, `${path}.entitlement`)
          : instanceEntitlements,
      });
    }
    const admin = this.config.admin;
    this.admin = {
      authenticator: admin.authentication
        ? await this.authenticator(admin.authentication, 'admin.authentication')
        : instance.authenticator,
      entitlements: admin.entitlement
        ? await this.entitlementService(admin.entitlement, 'admin.entitlement')
        : instance.entitlements,
    };
  }

  private async authenticator(spec: ModuleSpec, configPath: string): Promise<Authenticator> {
    const log = this.log.child({ module: spec.module });
    const module = await loadModule(AUTHENTICATION, spec, { log, baseDir: this.baseDir, configPath });
    const authenticator = new Authenticator(
      module,
      this.config.security.moduleTimeoutMs,
      log,
      this.guard,
      this.observer,
    );
    this.authenticators.push(authenticator);
    return authenticator;
  }

  private async entitlementService(spec: ModuleSpec, configPath: string): Promise<EntitlementService> {
    const log = this.log.child({ module: spec.module });
    const create = (): Promise<EntitlementModule> =>
      loadModule(ENTITLEMENT, spec, { log, baseDir: this.baseDir, configPath });
    const { entitlementCache, moduleTimeoutMs } = this.config.security;
    const service = new EntitlementService(
      await create(),
      create,
      { maxEntries: entitlementCache.maxEntries, ttlMs: entitlementCache.ttlMs, timeoutMs: moduleTimeoutMs },
      this.toggle,
      this.epoch,
      log,
      this.observer,
    );
    this.services.push(service);
    this.configPaths.set(service, configPath);
    return service;
  }

  forListener(name: string): ListenerSecurity {
    const found = this.byListener.get(name);
    if (found === undefined) throw new Error(`no security set up for listener "${name}"`);
    return found;
  }

  // ---- AMPS's entitlement actions ("Disabling Entitlement" and reset) -------------------------

  /** Clear the cache (for one user, or everyone) and call each entitlement module's reset(); the modules whose reset failed, with why. */
  async resetModules(user?: string): Promise<ModuleResetError[]> {
    const failures = await Promise.all(this.services.map((s) => s.reset(user)));
    const moduleErrors: ModuleResetError[] = [];
    failures.forEach((error, i) => {
      if (error !== null) moduleErrors.push({ module: this.services[i]!.moduleName, error });
    });
    return moduleErrors;
  }

  async disableEntitlements(): Promise<void> {
    this.toggle.enabled = false;
    for (const s of this.services) s.clearCache();
    // Decisions copied out since (delivery plans) are re-resolved: allowed from now on.
    this.epoch.bump();
    this.log.warn('entitlements disabled: every request is allowed until they are enabled again');
  }

  async enableEntitlements(): Promise<void> {
    await Promise.all(this.services.map((s) => s.renew()));
    this.toggle.enabled = true;
    // Allowances copied out while the switch was still off must not outlive it.
    this.epoch.bump();
    this.log.info('entitlements enabled with new module contexts; an entitlement reset is recommended');
  }

  entitlementStatus(): EntitlementStatus {
    let size = 0;
    let hits = 0;
    let misses = 0;
    let moduleCalls = 0;
    let failures = 0;
    for (const s of this.services) {
      size += s.cacheSize;
      hits += s.hits;
      misses += s.misses;
      moduleCalls += s.moduleCalls;
      failures += s.failures;
    }
    return { enabled: this.toggle.enabled, cache: { size, hits, misses }, moduleCalls, failures };
  }

  async authenticateAdmin(request: LogonRequest): Promise<AuthAnswer | Throttled> {
    const outcome = await this.admin!.authenticator.authenticate(request);
    return outcome.outcome === 'failed' ? { outcome: 'reject', reason: outcome.reason } : outcome;
  }

  async checkAdmin(user: string, action: 'read' | 'write', resource: string): Promise<EntitlementAnswer> {
    // Admin requests stay entitled while client entitlements are disabled: disabling opens the
    // data, not the control plane (configure admin.entitlement with a local module, e.g. a
    // policy file, so admins can act when the main entitlement service is down).
    const pending = this.admin!.entitlements.check(user, action, 'admin', resource, true);
    const decision = isPromiseLike(pending) ? await pending : pending;
    return decision.allow ? { allow: true } : { allow: false };
  }

  /**
   * Explain one entitlement decision with the module that makes it: the admin listener's for
   * admin paths, else the named listener's (its override, or the instance's), else the instance's.
   * Throws UnknownListenerError for a listener the config does not have.
   */
  async explain(question: ExplainQuestion): Promise<Explanation> {
    const request = requestFor(question);
    if (question.action === 'admin') {
      const service = this.admin!.entitlements;
      // Admin requests are entitled even while entitlements are disabled (checkAdmin).
      return explainWith(service, this.configPaths.get(service)!, request, true);
    }
    const service =
      question.listener === undefined ? this.instanceEntitlements! : this.listenerEntitlements(question.listener);
    return explainWith(service, this.configPaths.get(service)!, request, this.toggle.enabled);
  }

  private listenerEntitlements(name: string): EntitlementService {
    const found = this.byListener.get(name);
    if (found === undefined) throw new UnknownListenerError(name, [...this.byListener.keys()]);
    return found.entitlements;
  }

  async close(): Promise<void> {
    this.epoch.stop();
    const all = [...this.authenticators.map((a) => a.close()), ...this.services.map((s) => s.close())];
    const results = await Promise.allSettled(all);
    for (const r of results)
      if (r.status === 'rejected') this.log.error({ err: r.reason }, 'closing a security module failed');
  }
}
