// The embeddable entry point: validate a config, start the listeners, return a handle.
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadConfigFile, parseConfig, type WardenConfig, type WardenConfigInput } from './config/index.js';
import { Broker } from './broker.js';
import { createLogger } from './log.js';
import type { BoundListener } from './transports/bound-listener.js';
import type { AdminActions } from './admin/admin-actions.js';
import type { UwsLoader } from './transports/uws/load-uws.js';
import type { Clock, Timers } from './timers.js';
import type { AdmissionCounts } from './admission/connection-counts.js';
import type { BrokerStore } from './store/store.js';
import type { ReloadSource } from './reload/config-reloader.js';
import type { ReloadResult, ResetMode } from './reload/reload-result.js';

/**
 * Where a live reload reads the config: a YAML file (read, substituted and validated as
 * loadConfigFile does; relative to the working directory), or `load`, answering a config in
 * startBroker's input shape (a ConfigError it throws is reported as an invalid config), with the
 * `file` it read to name in the answer.
 */
export type ReloadFrom = string | { readonly file?: string; load(): WardenConfigInput | Promise<WardenConfigInput> };

export interface StartBrokerOptions {
  /** A pino logger to use instead of one built from `log.level`. */
  logger?: Logger;
  /** Directory relative module paths (and their relative option files) resolve against. Default: the working directory. */
  baseDir?: string;
  /**
   * Loads uWebSockets.js for listeners with `transport: uws` and checks its native binary; when it
   * answers null the broker warns and serves those listeners with ws. Default: the real loader.
   */
  uwsLoader?: UwsLoader;
  /** The clock admission's rate limits read (milliseconds). Default: Date.now; tests freeze it to count rather than time. */
  clock?: Clock;
  /**
   * The time and timers of MQTT session expiry, v5 delayed wills and message expiry, and the logon
   * timeouts (native logon, MQTT CONNECT, WebSocket upgrade); security modules get them as
   * `context.timers` (the remote modules' circuit breakers and stale answers). Default: Date.now
   * and Node's timers; tests move them by hand so an interval is checked without waiting it out.
   * Independent of `clock`.
   */
  timers?: Timers;
  /**
   * The store of retained messages, persistent sessions and delayed wills, instead of the one
   * `persistence` configures. A MemoryStore handed from one broker to the next in the same process
   * carries their state over; the broker closes the store when it closes.
   */
  store?: BrokerStore;
  /**
   * Where a live reload (POST /admin/reload, `warden admin reload`, handle.reload()) reads the new
   * config (docs/admin.md#live-reload). Absent: a reload is refused (HTTP 409 CONFLICT), as the
   * broker has no file to read. The `warden` command passes its config file.
   */
  reloadFrom?: ReloadFrom;
}

export interface BrokerHandle {
  /** The listeners as bound (with the real port when the config asked for port 0). */
  readonly listeners: readonly BoundListener[];
  /** The admin HTTP listener's base URL (e.g. http://127.0.0.1:8801), or null when disabled. */
  readonly adminUrl: string | null;
  /**
   * Where GET /healthz and /readyz are answered: the health listener's base URL (health.port),
   * else the admin listener's; null when health.enabled is false or neither listens.
   */
  readonly healthUrl: string | null;
  /** The admin actions (entitlement reset, disable, enable, status), for embedders. */
  readonly admin: AdminActions;
  /** Counters: connections, logons, messages, deliveries, denials, protocol errors, disconnects. */
  stats(): Readonly<Record<string, number>>;
  /** Number of open client connections. */
  readonly connectionCount: number;
  /** Admission control's counts (docs/admission.md). */
  readonly admission: AdmissionView;
  /** Drop every client connection without a close handshake (clients see an abnormal close). */
  dropConnections(): number;
  /**
   * Live reload from `reloadFrom` (docs/admin.md#live-reload): what changed is applied, or nothing.
   * `reset`: how to reset entitlements if users or policy changed (default: reload.reset);
   * `signal`: the signal that asked for it, for the log and the audit log (user `(signal)`).
   * Throws when the broker has no `reloadFrom` or is shutting down.
   */
  reload(options?: { reset?: ResetMode; signal?: NodeJS.Signals }): Promise<ReloadResult>;
  /** Stop listening, send close frames, wait for clients (at most shutdown.graceMs), close modules. */
  close(): Promise<void>;
}

export interface AdmissionView {
  /** Admitted connections now: in all, per user and per remote host. */
  counts(): AdmissionCounts;
  /** Resolves once at most `n` connections are admitted (at once if so already): to drain, or to wait for closes to be counted. */
  whenAtMost(n: number): Promise<void>;
}

/**
 * Start a broker in-process. `config` is a config object in the same shape as the YAML file
 * (validated and defaulted the same way), or an already parsed WardenConfig.
 */
export async function startBroker(
  config: WardenConfigInput = {},
  options: StartBrokerOptions = {},
): Promise<BrokerHandle> {
  const resolved: WardenConfig = parseConfig(config, { dir: options.baseDir });
  const log = options.logger ?? createLogger(resolved.log.level, resolved.broker.name, 1, resolved.log.format);
  const broker = new Broker(
    resolved,
    log,
    options.baseDir ?? process.cwd(),
    options.uwsLoader,
    options.clock,
    options.timers,
    options.store === undefined ? undefined : () => options.store!,
  );
  if (options.reloadFrom !== undefined) broker.reloadSource = reloadSource(options.reloadFrom, options.baseDir);
  const { listeners, admin, health } = await broker.start();
  return {
    listeners,
    adminUrl: admin?.url ?? null,
    healthUrl: health,
    admin: broker.admin,
    stats: () => broker.stats.snapshot(),
    get connectionCount() {
      return broker.connectionCount;
    },
    admission: {
      counts: () => broker.admission.snapshot(),
      whenAtMost: (n) => broker.admission.whenAtMost(n),
    },
    dropConnections: () => broker.dropConnections(),
    reload: ({ reset, signal } = {}) =>
      signal !== undefined
        ? broker.reloadOnSignal(signal)
        : broker.reload(reset === undefined ? { via: 'api' } : { reset, via: 'api' }),
    close: () => broker.close(),
  };
}

function reloadSource(from: ReloadFrom, baseDir: string | undefined): ReloadSource {
  if (typeof from === 'string') {
    const file = resolve(from);
    return { file, load: async () => loadConfigFile(file) };
  }
  const load = async (): Promise<WardenConfig> => parseConfig(await from.load(), { dir: baseDir });
  return from.file === undefined ? { load } : { file: from.file, load };
}
