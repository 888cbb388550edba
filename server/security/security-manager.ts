// Builds the authentication and entitlement modules the config names (instance level, per
// listener overrides, admin) and carries out AMPS's entitlement actions (reset, disable, enable)
// across all of them; server/admin/broker-admin.ts adds what the rest of the broker does.
import type { Logger } from 'pino';
import type { ModuleSpec, WardenConfig } from '../config/index.js';
import type {
  EntitlementStatus,
  ModuleHealthEntry,
  ModuleResetError,
  ShadowsPromoted,
} from '../admin/admin-actions.js';
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
  InvalidationTarget,
  LogonRequest,
  ModuleContext,
  ModuleHealth,
  ShadowSummary,
} from './module-types.js';
import type { AuditLog } from '../audit/audit-log.js';
import { isPromiseLike } from './decision.js';
import type { BrokerStats } from '../stats.js';
import { realTimers, type Clock, type Timers } from '../timers.js';
import { LogonGuard, type Throttled } from './logon-guard.js';
import type { ModuleCallObserver } from './module-calls.js';
import {
  explainWith,
  requestFor,
  UnknownListenerError,
  type ExplainQuestion,
  type Explanation,
} from './explanation.js';
import { compareSources, readModuleSources, type ModuleSources } from './module-sources.js';
import type { Vhost, Vhosts } from '../vhosts/vhosts.js';
import { createVhostPolicyEntitlement } from '../vhosts/vhost-policy-module.js';

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

/** Where a module is configured: it finds the spec in a config, so a live reload can find the new one. */
interface ModulePlace {
  /** `security.authentication`, `listeners[1].entitlement`, ... */
  readonly configPath: string;
  readonly specOf: (config: WardenConfig) => ModuleSpec | undefined;
}

/** A module the manager built, what it was built from, and what holds it (and swaps it on a reload). */
type ModuleSlot = ModulePlace & { sources: ModuleSources } & (
    | { readonly kind: 'authentication'; readonly holder: Authenticator }
    | { readonly kind: 'entitlement'; readonly holder: EntitlementService }
  );

/** A live reload's new modules, built and checked, not yet in use. */
export interface PreparedModules {
  /** Where modules are built again (`security.entitlement`, ...): their spec or a file they read changed. */
  readonly rebuilt: readonly string[];
  /** File options whose file changed (`security.authentication.options.usersFile`). */
  readonly changedFiles: readonly string[];
  /** Put the new modules in place of the old, which are closed once their checks under way settle. */
  commit(): void;
}

/** What the rest of the broker does about modules' own requests (ModuleContext.invalidate, .audit). */
export interface ModuleHooks {
  /** Answers were invalidated: re-evaluate the open connections of that user, or of everyone for 'all' (set by the broker). */
  invalidated: ((target: InvalidationTarget | 'all') => void) | null;
  /** Where ModuleContext.audit writes (the audit log), or null. */
  audit: AuditLog | null;
}

/** One module's shadow summary, for `GET /admin/entitlements/shadow`. */
export interface ModuleShadowSummary extends ShadowSummary {
  /** Where the module is configured: `security.entitlement`, `listeners[1].entitlement`, ... */
  readonly config: string;
  readonly module: string;
}

export class SecurityManager {
  readonly toggle = new EntitlementSwitch();
  readonly hooks: ModuleHooks = { invalidated: null, audit: null };
  private readonly byListener = new Map<string, ListenerSecurity>();
  /** Each vhost's entitlements, and its own authenticator when its policy names one. */
  private readonly byVhost = new Map<
    Vhost,
    { authenticator: Authenticator | null; entitlements: EntitlementService }
  >();
  private readonly authenticators: Authenticator[] = [];
  private readonly services: EntitlementService[] = [];
  /** Every module built, one per place the config names one. */
  private readonly slots: ModuleSlot[] = [];
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
    /** The broker's time, given to the modules (context.timers). */
    private readonly timers: Timers,
    /** The vhosts (docs/vhosts.md), each entitled by its own `vhost-policy` module; null when off. */
    private readonly vhosts: Vhosts | null,
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
    timers: Timers = realTimers,
    vhosts: Vhosts | null = null,
  ): Promise<SecurityManager> {
    const manager = new SecurityManager(config, baseDir, log, stats, clock, epoch, observer, timers, vhosts);
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
    const instanceAuth = await this.authenticator(
      security.authentication,
      place('security.authentication', (c) => c.security.authentication),
    );
    const instanceEntitlements = await this.entitlementService(
      security.entitlement,
      place('security.entitlement', (c) => c.security.entitlement),
    );
    this.instanceEntitlements = instanceEntitlements;
    const instance: ListenerSecurity = { authenticator: instanceAuth, entitlements: instanceEntitlements };
    for (const [index, listener] of this.config.listeners.entries()) {
      const path = `listeners[${index}]`;
      this.byListener.set(listener.name, {
        authenticator: listener.authentication
          ? await this.authenticator(
              listener.authentication,
              place(`${path}.authentication`, (c) => c.listeners[index]?.authentication),
            )
          : instanceAuth,
        entitlements: listener.entitlement
          ? await this.entitlementService(
              listener.entitlement,
              place(`${path}.entitlement`, (c) => c.listeners[index]?.entitlement),
            )
          : instanceEntitlements,
      });
    }
    for (const vhost of this.vhosts?.list ?? []) {
      const spec = vhost.authentication;
      this.byVhost.set(vhost, {
        authenticator:
          spec === undefined
            ? null
            : await this.authenticator(
                spec,
                place(`${vhost.source}.authentication`, () => spec),
              ),
        entitlements: this.vhostEntitlementService(vhost),
      });
    }
    const admin = this.config.admin;
    this.admin = {
      authenticator: admin.authentication
        ? await this.authenticator(
            admin.authentication,
            place('admin.authentication', (c) => c.admin.authentication),
          )
        : instance.authenticator,
      entitlements: admin.entitlement
        ? await this.entitlementService(
            admin.entitlement,
            place('admin.entitlement', (c) => c.admin.entitlement),
          )
        : instance.entitlements,
    };
  }

  private async authenticator(spec: ModuleSpec, where: ModulePlace): Promise<Authenticator> {
    // Read before the module reads them, so that a change while it loads is seen by the next reload.
    const sources = await readModuleSources(spec, this.baseDir, where.configPath);
    const log = this.log.child({ module: spec.module });
    const module = await loadModule(AUTHENTICATION, spec, this.contextFor(log, where.configPath));
    const authenticator = new Authenticator(
      module,
      this.config.security.moduleTimeoutMs,
      log,
      this.guard,
      this.observer,
    );
    this.authenticators.push(authenticator);
    this.slots.push({ ...where, sources, kind: 'authentication', holder: authenticator });
    return authenticator;
  }

  private async entitlementService(spec: ModuleSpec, where: ModulePlace): Promise<EntitlementService> {
    const sources = await readModuleSources(spec, this.baseDir, where.configPath);
    const log = this.log.child({ module: spec.module });
    const create = this.entitlementFactory(spec, where.configPath, log);
    const service = this.newEntitlementService(await create(), create, log, where.configPath);
    this.slots.push({ ...where, sources, kind: 'entitlement', holder: service });
    return service;
  }

  /** The `vhost-policy` module of one vhost behind its own cache: a reset of the vhost clears only it. */
  private vhostEntitlementService(vhost: Vhost): EntitlementService {
    const create = async (): Promise<EntitlementModule> => createVhostPolicyEntitlement(vhost.rules);
    const log = this.log.child({ module: 'vhost-policy', vhost: vhost.name });
    return this.newEntitlementService(createVhostPolicyEntitlement(vhost.rules), create, log, vhost.source);
  }

  /** A module behind a cache of its own, under the broker's cache settings, known by where it is configured. */
  private newEntitlementService(
    module: EntitlementModule,
    create: () => Promise<EntitlementModule>,
    log: Logger,
    configPath: string,
  ): EntitlementService {
    const { entitlementCache, moduleTimeoutMs } = this.config.security;
    const service = new EntitlementService(
      module,
      create,
      {
        maxEntries: entitlementCache.maxEntries,
        ttlMs: entitlementCache.ttlMs,
        timeoutMs: moduleTimeoutMs,
        filterSyntax: this.config.content.filterSyntax,
      },
      this.toggle,
      this.epoch,
      log,
      this.observer,
    );
    this.services.push(service);
    this.configPaths.set(service, configPath);
    return service;
  }

  private entitlementFactory(spec: ModuleSpec, configPath: string, log: Logger): () => Promise<EntitlementModule> {
    return () => loadModule(ENTITLEMENT, spec, this.contextFor(log, configPath));
  }

  /** What a module gets besides its options: its logger and place, and a way to ask the broker to forget or to audit. */
  private contextFor(log: Logger, configPath: string): ModuleContext {
    return {
      log,
      baseDir: this.baseDir,
      configPath,
      invalidate: (target) => this.invalidate(target),
      invalidateAll: () => this.invalidateAll(),
      audit: (event, fields) => this.hooks.audit?.module(event, fields),
      timers: this.timers,
      filterSyntax: this.config.content.filterSyntax,
    };
  }

  /**
   * Forget the answers `target` names in every entitlement cache (copies in delivery plans ask
   * again), then have the broker re-evaluate that user's open connections, after the caller returns.
   */
  invalidate(target: InvalidationTarget): void {
    if (typeof target?.user !== 'string')
      throw new TypeError('invalidate() needs { user: string, action?, resource? }');
    this.forgetAnswers(target);
    const invalidated = this.hooks.invalidated;
    if (invalidated !== null) setImmediate(() => invalidated(target));
  }

  /** Forget the answers `target` names in every entitlement cache; nothing else (the admin's invalidate re-evaluates itself). */
  forgetAnswers(target: InvalidationTarget): void {
    for (const s of this.services) s.invalidate(target);
  }

  /** invalidate() for every user: every cached answer is forgotten, then every open connection re-evaluated. */
  invalidateAll(): void {
    for (const s of this.services) s.clearCache();
    const invalidated = this.hooks.invalidated;
    if (invalidated !== null) setImmediate(() => invalidated('all'));
  }

  // ---- live reload ------------------------------------------------------------------------------

  /**
   * Build again, from `config`, every module whose spec or whose files changed, without using them
   * yet. Throws (a ConfigError for bad options or files) after closing what it built. The places
   * that have a module are the same in `config` (adding or removing one needs a restart).
   */
  async prepareReload(config: WardenConfig): Promise<PreparedModules> {
    const built: (AuthenticationModule | EntitlementModule)[] = [];
    const swaps: (() => void)[] = [];
    const rebuilt: string[] = [];
    const changedFiles: string[] = [];
    try {
      for (const slot of this.slots) {
        const spec = slot.specOf(config);
        if (spec === undefined) throw new Error(`internal: a live reload removed ${slot.configPath}`);
        const sources = await readModuleSources(spec, this.baseDir, slot.configPath);
        const { changed, files } = compareSources(slot.sources, sources);
        if (!changed) continue;
        rebuilt.push(slot.configPath);
        changedFiles.push(...files);
        const log = this.log.child({ module: spec.module });
        const context = this.contextFor(log, slot.configPath);
        // The old module closes in the background once its checks under way settle (never rejects).
        if (slot.kind === 'authentication') {
          const module = await loadModule(AUTHENTICATION, spec, context);
          built.push(module);
          swaps.push(() => void slot.holder.replaceModule(module));
        } else {
          const module = await loadModule(ENTITLEMENT, spec, context);
          built.push(module);
          const create = this.entitlementFactory(spec, slot.configPath, log);
          swaps.push(() => void slot.holder.replaceModule(module, create));
        }
        swaps.push(() => (slot.sources = sources));
      }
    } catch (err) {
      await closeModules(built, this.log);
      throw err;
    }
    return {
      rebuilt,
      changedFiles,
      commit: () => {
        for (const swap of swaps) swap();
      },
    };
  }

  /** After a reload changed users or policy: forget every cached answer (copies in delivery plans ask again). */
  clearCaches(): void {
    for (const s of this.services) s.clearCache();
  }

  forListener(name: string): ListenerSecurity {
    const found = this.byListener.get(name);
    if (found === undefined) throw new Error(`no security set up for listener "${name}"`);
    return found;
  }

  /** What a connection chosen into `vhost` on listener `listener` uses: the vhost's module, and its authentication or the listener's. */
  forVhost(vhost: Vhost, listener: string): ListenerSecurity {
    const found = this.vhostServices(vhost);
    return {
      authenticator: found.authenticator ?? this.forListener(listener).authenticator,
      entitlements: found.entitlements,
    };
  }

  // ---- AMPS's entitlement actions ("Disabling Entitlement" and reset) -------------------------

  /**
   * Clear the cache (for one user, or everyone) and call each entitlement module's reset(); the
   * modules whose reset failed, with why. With `vhost`, that vhost's module alone.
   */
  async resetModules(user?: string, vhost?: Vhost): Promise<ModuleResetError[]> {
    const services = vhost === undefined ? this.services : [this.vhostServices(vhost).entitlements];
    const failures = await Promise.all(services.map((s) => s.reset(user)));
    const moduleErrors: ModuleResetError[] = [];
    failures.forEach((error, i) => {
      if (error !== null) moduleErrors.push({ module: services[i]!.moduleName, error });
    });
    return moduleErrors;
  }

  /** The vhost `name` names (canonical or not), or undefined when there is none (or vhosts are off). */
  vhostNamed(name: string): Vhost | undefined {
    return this.vhosts?.byName(name);
  }

  private vhostServices(vhost: Vhost): { authenticator: Authenticator | null; entitlements: EntitlementService } {
    const found = this.byVhost.get(vhost);
    if (found === undefined) throw new Error(`no security set up for vhost "${vhost.name}"`);
    return found;
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

  /** Every cache's numbers added up; with `vhost`, that vhost's alone. */
  entitlementStatus(vhost?: Vhost): EntitlementStatus {
    let size = 0;
    let hits = 0;
    let misses = 0;
    let moduleCalls = 0;
    let failures = 0;
    for (const s of vhost === undefined ? this.services : [this.vhostServices(vhost).entitlements]) {
      size += s.cacheSize;
      hits += s.hits;
      misses += s.misses;
      moduleCalls += s.moduleCalls;
      failures += s.failures;
    }
    return { enabled: this.toggle.enabled, cache: { size, hits, misses }, moduleCalls, failures };
  }

  /**
   * The health of every module that reports one (those asking a remote service), with where it is
   * configured; read at a scrape and for GET /admin/entitlements. A health() that throws is skipped.
   */
  moduleHealth(): ModuleHealthEntry[] {
    const entries: ModuleHealthEntry[] = [];
    for (const slot of this.slots) {
      const module = slot.kind === 'authentication' ? slot.holder.module : slot.holder.currentModule;
      if (typeof module.health !== 'function') continue;
      try {
        entries.push({ kind: slot.kind, module: module.name, config: slot.configPath, ...saneHealth(module.health()) });
      } catch (err) {
        this.log.warn({ module: module.name, config: slot.configPath, err }, 'a module health() threw; not reported');
      }
    }
    return entries;
  }

  // ---- shadow policies (docs/entitlement.md#shadow-policy) ----------------------------------------

  /** The shadow summary of every entitlement module that has a shadow policy, with where it is configured. */
  shadowSummaries(): ModuleShadowSummary[] {
    const out: ModuleShadowSummary[] = [];
    for (const s of this.services) {
      const summary = s.shadowSummary();
      if (summary !== null) out.push({ config: this.configPaths.get(s)!, module: s.moduleName, ...summary });
    }
    return out;
  }

  /**
   * Make every shadow policy live: where that happened (config paths), and the modules that failed
   * to (they keep their live policy). The caller resets entitlements after.
   */
  async promoteShadows(): Promise<ShadowsPromoted> {
    const promoted: string[] = [];
    const moduleErrors: ModuleResetError[] = [];
    for (const s of this.services) {
      try {
        if (await s.promoteShadow()) promoted.push(this.configPaths.get(s)!);
      } catch (err) {
        this.log.error({ module: s.moduleName, err }, 'promoting the shadow policy failed; the live policy stays');
        moduleErrors.push({ module: s.moduleName, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return moduleErrors.length === 0 ? { promoted } : { promoted, moduleErrors };
  }

  /** An admin request's credentials; for a request about a vhost, its own authentication module if it has one. */
  async authenticateAdmin(request: LogonRequest, vhost?: Vhost): Promise<AuthAnswer | Throttled> {
    const own = vhost === undefined ? null : this.vhostServices(vhost).authenticator;
    const outcome = await (own ?? this.admin!.authenticator).authenticate(request);
    return outcome.outcome === 'failed' ? { outcome: 'reject', reason: outcome.reason } : outcome;
  }

  /**
   * An admin request about `resource` (a path). About a vhost (`/admin/vhosts/<vhost>/...`), the
   * broker's admins may act, and so may the vhost's own tenant admins, as its policy allows
   * (docs/vhosts.md#admin).
   */
  async checkAdmin(
    user: string,
    action: 'read' | 'write',
    resource: string,
    vhost?: Vhost,
  ): Promise<EntitlementAnswer> {
    // Admin requests stay entitled while client entitlements are disabled: disabling opens the
    // data, not the control plane (configure admin.entitlement with a local module, e.g. a
    // policy file, so admins can act when the main entitlement service is down).
    const pending = this.admin!.entitlements.check(user, action, 'admin', resource, true);
    const decision = isPromiseLike(pending) ? await pending : pending;
    if (decision.allow) return { allow: true };
    if (vhost === undefined) return { allow: false };
    const tenant = this.vhostServices(vhost).entitlements.check(user, action, 'admin', resource, true);
    const answer = isPromiseLike(tenant) ? await tenant : tenant;
    return answer.allow ? { allow: true } : { allow: false };
  }

  /**
   * Explain one entitlement decision with the module that makes it: the admin listener's for
   * admin paths, else the named listener's (its override, or the instance's), else the instance's.
   * Throws UnknownListenerError for a listener the config does not have.
   */
  async explain(question: ExplainQuestion, vhost?: Vhost): Promise<Explanation> {
    const request = requestFor(question);
    if (vhost !== undefined && question.action !== 'admin') {
      // A question about a vhost's user: its vhost-policy module answers, as for its connections.
      const service = this.vhostServices(vhost).entitlements;
      return explainWith(service, this.configPaths.get(service)!, request, this.toggle.enabled);
    }
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

/** Only the fields of ModuleHealth, and only numbers a metric can show (a module of one's own may answer anything). */
function saneHealth(health: ModuleHealth): ModuleHealth {
  const count = (value: unknown): number =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
  const circuit = health?.circuit === 'open' || health?.circuit === 'half-open' ? health.circuit : 'closed';
  return {
    circuit,
    consecutiveFailures: count(health?.consecutiveFailures),
    circuitOpens: count(health?.circuitOpens),
    circuitRefusals: count(health?.circuitRefusals),
    staleAnswers: count(health?.staleAnswers),
    staleEntries: count(health?.staleEntries),
    staleBytes: count(health?.staleBytes),
  };
}

function place(configPath: string, specOf: (config: WardenConfig) => ModuleSpec | undefined): ModulePlace {
  return { configPath, specOf };
}

/** Close modules that were built but will not be used (a reload that failed); a failure is logged. */
async function closeModules(
  modules: readonly (AuthenticationModule | EntitlementModule)[],
  log: Logger,
): Promise<void> {
  const results = await Promise.allSettled(modules.map(async (m) => m.close?.()));
  for (const r of results)
    if (r.status === 'rejected') log.error({ err: r.reason }, 'closing a security module failed');
}
