// Live reload: read the config again, compare it with the running one key by key, refuse it whole
// when a difference needs a restart (listing them), check everything that can fail (the config
// itself, TLS files, the security modules it names) before anything changes, then apply it all.
// Reloads run one at a time. docs/admin.md#live-reload.
import type { Logger } from 'pino';
import { configSecretPaths, type LogLevel, type ResetMode, type WardenConfig } from '../config/index.js';
import { diffConfig, type ConfigDifference } from '../config/config-diff.js';
import { formatKeyPath } from '../config/key-path.js';
import type { PreparedModules } from '../security/security-manager.js';
import type { TlsReloadReport } from '../tls/tls-profiles.js';
import { verdictFor } from './live-keys.js';
import { maskedValue } from './masked-value.js';
import type { RefusedChange, ReloadRequest, ReloadReset, ReloadResult } from './reload-result.js';

/** Where the new config comes from. */
export interface ReloadSource {
  /** The file read, named in the answer. */
  readonly file?: string;
  /** The new config, validated; throws (a ConfigError) when it is not valid. */
  load(): Promise<WardenConfig>;
}

/** What a reload changes in the running broker. The prepare steps check and may throw; nothing else may. */
export interface LiveParts {
  setLogLevel(level: LogLevel): void;
  /** `admission` and `limits`, from the next connection on. */
  applyAdmission(config: WardenConfig): void;
  /** Load every TLS profile of `config`; throws a ConfigError naming the keys at fault. */
  prepareTls(config: WardenConfig): { commit(): TlsReloadReport };
  /** Build the security modules whose spec or files changed; throws when one cannot be built. */
  prepareModules(config: WardenConfig): Promise<PreparedModules>;
  /**
   * Users or policy changed: clear the entitlement cache; `disconnect` also closes logged-on
   * connections, `reevaluate` asks again for what they hold. How many were closed (and revoked).
   */
  resetEntitlements(mode: ResetMode): Promise<Omit<ReloadReset, 'mode'>>;
  /** `config` is the running config from now on. */
  adopt(config: WardenConfig): void;
}

export class ConfigReloader {
  /** The previous reload, which the next one waits for. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private current: WardenConfig,
    private readonly source: ReloadSource,
    private readonly parts: LiveParts,
    private readonly log: Logger,
  ) {}

  reload(request: ReloadRequest): Promise<ReloadResult> {
    const run = this.queue.then(() => this.run(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run({ reset, via }: ReloadRequest): Promise<ReloadResult> {
    const file = this.source.file;
    const from = file === undefined ? {} : { file };
    let next: WardenConfig;
    try {
      next = await this.source.load();
    } catch (err) {
      return this.failed({ applied: false, ...from, changed: [] }, err, via);
    }

    const differences = diffConfig(this.current, next);
    const changed = differences.map((d) => formatKeyPath(d.path));
    const refused = this.refusals(differences, next);
    if (refused.length > 0) {
      this.log.warn(
        { via, file, refused: refused.map(({ key, reason }) => ({ key, reason })) },
        'config reload refused: some changes need a restart; nothing was applied',
      );
      return { applied: false, ...from, changed, refused };
    }

    let tls: { commit(): TlsReloadReport };
    let modules: PreparedModules;
    try {
      tls = this.parts.prepareTls(next);
      modules = await this.parts.prepareModules(next);
    } catch (err) {
      return this.failed({ applied: false, ...from, changed }, err, via);
    }
    changed.push(...modules.changedFiles);

    // From here on nothing fails: every part was checked above.
    const touched = (section: string): boolean => differences.some((d) => d.path[0] === section);
    if (touched('admission') || touched('limits')) this.parts.applyAdmission(next);
    const tlsReport = tls.commit();
    modules.commit();
    this.current = next;
    this.parts.adopt(next);
    const mode = reset ?? next.reload.reset;
    const resetDone: ReloadReset | undefined =
      modules.rebuilt.length === 0 ? undefined : { mode, ...(await this.parts.resetEntitlements(mode)) };

    this.log.info(
      { via, file, changed, rebuilt: modules.rebuilt, ...(resetDone !== undefined ? { reset: resetDone } : {}) },
      'config reloaded',
    );
    // Last, so that the line above is written at the level it ran under.
    if (differences.some((d) => d.path[0] === 'log' && d.path[1] === 'level')) this.parts.setLogLevel(next.log.level);
    return {
      applied: true,
      ...from,
      changed,
      ...(resetDone !== undefined ? { reset: resetDone } : {}),
      ...(Object.keys(tlsReport.profiles).length > 0 ? { tls: tlsReport } : {}),
    };
  }

  /** The differences that need a restart, with their values (secrets masked). */
  private refusals(differences: readonly ConfigDifference[], next: WardenConfig): RefusedChange[] {
    const secrets = [...configSecretPaths(this.current), ...configSecretPaths(next)];
    const refused: RefusedChange[] = [];
    for (const { path, old, new: value } of differences) {
      const verdict = verdictFor(path);
      if (verdict.live) continue;
      refused.push({
        key: formatKeyPath(path),
        reason: `needs a restart: ${verdict.reason}`,
        ...(old !== undefined ? { old: maskedValue(path, old, secrets) } : {}),
        ...(value !== undefined ? { new: maskedValue(path, value, secrets) } : {}),
      });
    }
    return refused;
  }

  /** The new config (or a file or module it names) is not usable: the running one stays. */
  private failed(result: ReloadResult, err: unknown, via: string): ReloadResult {
    const error = err instanceof Error ? err.message : String(err);
    this.log.error(
      { via, file: result.file, error },
      'config reload failed: the new config is not valid; the running config stays',
    );
    return { ...result, error };
  }
}
