// The embeddable entry point: validate a config, start the listeners, return a handle.
import type { Logger } from 'pino';
import { parseConfig, type WardenConfig, type WardenConfigInput } from './config/index.js';
import { Broker } from './broker.js';
import { createLogger } from './log.js';
import type { BoundListener } from './transports/bound-listener.js';
import type { AdminActions } from './admin/admin-actions.js';
import type { UwsLoader } from './transports/uws/load-uws.js';
import type { Clock, Timers } from './timers.js';
import type { AdmissionCounts } from './admission/connection-counts.js';
import type { BrokerStore } from './store/store.js';

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
   * timeouts (native logon, MQTT CONNECT, WebSocket upgrade). Default: Date.now and Node's timers;
   * tests move them by hand so an interval is checked without waiting it out. Independent of `clock`.
   */
  timers?: Timers;
  /**
   * The store of retained messages, persistent sessions and delayed wills, instead of the one
   * `persistence` configures. A MemoryStore handed from one broker to the next in the same process
   * carries their state over; the broker closes the store when it closes.
   */
  store?: BrokerStore;
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
    close: () => broker.close(),
  };
}
