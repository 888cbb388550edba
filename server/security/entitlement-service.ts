// The entitlement cache in front of one entitlement module (AMPS, "Entitlement Caching"):
// the module is asked once per (resource type, action, user, resource) between resets, however
// many callers need the answer at once (concurrent misses share one call). A module that throws,
// rejects or misses the deadline denies, and that failure is not cached.
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { FilterSyntax } from '../content/filter/index.js';
import { ALLOW_ALL, DENY_FAILED, isPromiseLike, toDecision, type Decision } from './decision.js';
import type { EntitlementEpoch } from './entitlement-epoch.js';
import { askModule, type ModuleExplanation } from './module-explanation.js';
import type {
  EntitlementAction,
  EntitlementAnswer,
  EntitlementModule,
  EntitlementRequest,
  InvalidationTarget,
  ResourceType,
  ShadowSummary,
} from './module-types.js';
import { observedCall, type ModuleCallObserver } from './module-calls.js';

/** Instance-wide on/off switch (AMPS, "Disabling Entitlement"): shared by every service. */
export class EntitlementSwitch {
  enabled = true;
}

export interface EntitlementServiceOptions {
  maxEntries: number;
  /** 0: no expiry. */
  ttlMs: number;
  timeoutMs: number;
  /** What an answer's filter without a `filterSyntax` is written in (content.filterSyntax). */
  filterSyntax: FilterSyntax;
}

export interface EntitlementCounters {
  hits: number;
  misses: number;
  moduleCalls: number;
  failures: number;
}

/** A cached answer and when it was cached. */
export interface CachedDecision {
  readonly decision: Decision;
  /** Epoch ms when the module's answer was cached: set at the miss, so a hit reads nothing more. */
  readonly since: number;
}

function cacheKey(resourceType: ResourceType, action: EntitlementAction, user: string, resource: string): string {
  return `${resourceType}\u0000${action}\u0000${user}\u0000${resource}`;
}

export class EntitlementService implements EntitlementCounters {
  hits = 0;
  misses = 0;
  moduleCalls = 0;
  failures = 0;
  private readonly cache: LRUCache<string, CachedDecision>;
  private readonly inflight = new Map<string, Promise<Decision>>();
  /** Bumped by every reset/renew/clear: answers that were in flight across one are not cached. */
  private gen = 0;

  constructor(
    private module: EntitlementModule,
    /** Creates a fresh module context (used when entitlements are re-enabled); a live reload replaces it with the new spec's. */
    private createModule: () => Promise<EntitlementModule>,
    private readonly options: EntitlementServiceOptions,
    private readonly toggle: EntitlementSwitch,
    /** Shared with the delivery path: bumped whenever cached answers are dropped. */
    readonly epoch: EntitlementEpoch,
    private readonly log: Logger,
    /** Told of each module call (the metrics); null: nothing is timed. */
    private readonly observer: ModuleCallObserver | null = null,
  ) {
    this.cache = new LRUCache<string, CachedDecision>({
      max: options.maxEntries,
      ...(options.ttlMs > 0 ? { ttl: options.ttlMs } : {}),
    });
  }

  get moduleName(): string {
    return this.module.name;
  }

  /** The module in use now (a reload or a re-enable replaces it). */
  get currentModule(): EntitlementModule {
    return this.module;
  }

  get enabled(): boolean {
    return this.toggle.enabled;
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  /** Synchronous when the answer is cached or the module answers synchronously. */
  check(
    user: string,
    action: EntitlementAction,
    resourceType: ResourceType,
    resource: string,
    bypassSwitch = false,
  ): Decision | Promise<Decision> {
    if (!this.toggle.enabled && !bypassSwitch) return ALLOW_ALL;
    const key = cacheKey(resourceType, action, user, resource);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.hits++;
      return cached.decision;
    }
    this.misses++;
    const inflight = this.inflight.get(key);
    if (inflight !== undefined) return inflight;
    return this.ask(key, { user, action, resourceType, resource });
  }

  private ask(key: string, request: EntitlementRequest): Decision | Promise<Decision> {
    this.moduleCalls++;
    const generation = this.gen;
    let answer: EntitlementAnswer | Promise<EntitlementAnswer>;
    try {
      const module = this.module;
      answer =
        this.observer === null
          ? module.check(request)
          : observedCall(this.observer, module.name, request.action, () => module.check(request));
      // Reading the answer runs the module's code too (a getter, a Proxy): inside the same guard.
      if (!isPromiseLike(answer)) return this.settle(key, generation, toDecision(answer, this.options.filterSyntax));
    } catch (err) {
      return this.failed(request, err);
    }
    // The answer is read inside the promise chain, so what reading it throws lands in the rejection handler.
    const pending = this.withDeadline(Promise.resolve(answer), request)
      .then((resolved) => toDecision(resolved, this.options.filterSyntax))
      .then(
        (resolved) => this.settle(key, generation, resolved),
        (err: unknown) => this.failed(request, err),
      );
    const tracked: Promise<Decision> = pending.finally(() => {
      if (this.inflight.get(key) === tracked) this.inflight.delete(key);
    });
    this.inflight.set(key, tracked);
    return tracked;
  }

  private settle(key: string, generation: number, decision: Decision): Decision {
    if (generation === this.gen && this.toggle.enabled) this.cache.set(key, { decision, since: Date.now() });
    return decision;
  }

  // ---- explain (docs/admin.md): looks at the cache and asks the module, changing neither ----

  /** The cached answer, if any, without touching its recency, expiry or the hit and miss counts. */
  peek(request: EntitlementRequest): CachedDecision | undefined {
    return this.cache.peek(cacheKey(request.resourceType, request.action, request.user, request.resource));
  }

  /** Ask the module (its explain() when it has one) outside the cache: nothing is cached or counted. */
  explain(request: EntitlementRequest): Promise<ModuleExplanation> {
    return askModule(this.module, request, (pending) => this.withDeadline(pending, request), this.options.filterSyntax);
  }

  private failed(request: EntitlementRequest, err: unknown): Decision {
    this.failures++;
    this.observer?.failed(this.module.name, request.action);
    this.log.warn(
      {
        module: this.module.name,
        user: request.user,
        action: request.action,
        resourceType: request.resourceType,
        resource: request.resource,
        err,
      },
      'entitlement module failed; denying',
    );
    return DENY_FAILED;
  }

  private withDeadline<T>(promise: Promise<T>, request: EntitlementRequest): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no answer within ${this.options.timeoutMs} ms for ${request.action} ${request.resourceType} "${request.resource}"`,
            ),
          ),
        this.options.timeoutMs,
      );
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /**
   * Entitlement reset: forget the answers (of one user, or all) and let the module drop its own
   * state. Returns why the module's reset failed (e.g. a policy file that no longer loads), or null.
   */
  async reset(user?: string): Promise<string | null> {
    this.forget(user);
    let failure: string | null = null;
    try {
      await this.module.reset?.();
    } catch (err) {
      this.log.error({ module: this.module.name, err }, 'entitlement module reset failed');
      failure = err instanceof Error ? err.message : String(err);
    }
    // Answers given while the module was resetting (e.g. re-reading its policy file) may come
    // from its old rules: forget them too.
    this.forget(user);
    return failure;
  }

  /** Targeted invalidation: forget the answers `target` names (docs/entitlement.md#targeted-invalidation). */
  invalidate(target: InvalidationTarget): void {
    this.forget(target.user, target);
  }

  private forget(user: string | undefined, only?: InvalidationTarget): void {
    this.gen++;
    // Copies of answers held outside this cache (delivery plans, write decisions) ask again.
    this.epoch.bump();
    // Waiters keep their pending answers, but new checks must not join a call from before now.
    this.inflight.clear();
    if (user === undefined) {
      this.cache.clear();
      return;
    }
    const marker = `\u0000${user}\u0000`;
    for (const key of [...this.cache.keys()]) {
      // key = type \0 action \0 user \0 resource: the user sits between the second and third NUL.
      const first = key.indexOf('\u0000');
      const second = key.indexOf('\u0000', first + 1);
      if (!key.startsWith(marker, second)) continue;
      if (only?.action !== undefined && key.slice(first + 1, second) !== only.action) continue;
      if (only?.resource !== undefined && key.slice(second + marker.length) !== only.resource) continue;
      this.cache.delete(key);
    }
  }

  /** Re-enable: a new module context replaces the old one, and the cache starts empty. */
  async renew(): Promise<void> {
    this.forget(undefined);
    const old = this.module;
    this.module = await this.createModule();
    this.forget(undefined);
    try {
      await old.close?.();
    } catch (err) {
      this.log.error({ module: old.name, err }, 'closing the previous entitlement module context failed');
    }
  }

  /**
   * A live reload's new module (and how to make more like it): the cache starts empty, checks from
   * now on ask it, and those already asking the old module finish with it (their answers are not
   * cached), after which it is closed. Resolves once it is; never rejects.
   */
  async replaceModule(module: EntitlementModule, createModule: () => Promise<EntitlementModule>): Promise<void> {
    const old = this.module;
    const asking = [...this.inflight.values()];
    this.module = module;
    this.createModule = createModule;
    this.forget(undefined);
    await Promise.allSettled(asking);
    try {
      await old.close?.();
    } catch (err) {
      this.log.error({ module: old.name, err }, 'closing the replaced entitlement module failed');
    }
  }

  /** The module's shadow summary (docs/entitlement.md#shadow-policy), or null when it has no shadow policy. */
  shadowSummary(): ShadowSummary | null {
    try {
      return this.module.shadowSummary?.() ?? null;
    } catch (err) {
      this.log.error({ module: this.module.name, err }, 'entitlement module shadowSummary() failed');
      return null;
    }
  }

  /**
   * Make the module's shadow policy live; false when it has none. The cached answers of the old
   * policy go at once (the caller's reset follows). Rejects when the module fails to.
   */
  async promoteShadow(): Promise<boolean> {
    const module = this.module;
    if (typeof module.promoteShadow !== 'function' || this.shadowSummary() === null) return false;
    await module.promoteShadow();
    this.forget(undefined);
    return true;
  }

  /** Forget cached answers without touching the module (entitlements were disabled). */
  clearCache(): void {
    this.forget(undefined);
  }

  async close(): Promise<void> {
    await this.module.close?.();
  }
}
