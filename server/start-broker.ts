// The embeddable entry point: validate a config, start the listeners, return a handle.
import type { Logger } from 'pino';
import { parseConfig, type WardenConfig } from './config/index.js';
import { Broker } from './broker.js';
import { createLogger } from './log.js';
import type { BoundListener } from './transports/ws-listener.js';
import type { AdminActions } from './security/admin-actions.js';

export interface StartBrokerOptions {
  /** A pino logger to use instead of one built from `log.level`. */
  logger?: Logger;
  /** Directory relative module paths (and their relative option files) resolve against. Default: the working directory. */
  baseDir?: string;
}

export interface BrokerHandle {
  /** The listeners as bound (with the real port when the config asked for port 0). */
  readonly listeners: readonly BoundListener[];
  /** The admin HTTP listener's base URL (e.g. http://127.0.0.1:8801), or null when disabled. */
  readonly adminUrl: string | null;
  /** The admin actions (entitlement reset, disable, enable, status), for embedders. */
  readonly admin: AdminActions;
  /** Counters: connections, logons, messages, deliveries, denials, protocol errors, disconnects. */
  stats(): Readonly<Record<string, number>>;
  /** Number of open client connections. */
  readonly connectionCount: number;
  /** Drop every client connection without a close handshake (clients see an abnormal close). */
  dropConnections(): number;
  /** Stop listening, send close frames, wait for clients (at most shutdown.graceMs), close modules. */
  close(): Promise<void>;
}

/**
 * Start a broker in-process. `config` is a config object in the same shape as the YAML file
 * (validated and defaulted the same way), or an already parsed WardenConfig.
 */
export async function startBroker(config: unknown = {}, options: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const resolved: WardenConfig = parseConfig(config, { dir: options.baseDir });
  const log = options.logger ?? createLogger(resolved.log.level, resolved.broker.name);
  const broker = new Broker(resolved, log, options.baseDir ?? process.cwd());
  const { listeners, admin } = await broker.start();
  return {
    listeners,
    adminUrl: admin?.url ?? null,
    admin: broker.admin,
    stats: () => broker.stats.snapshot(),
    get connectionCount() {
      return broker.connectionCount;
    },
    dropConnections: () => broker.dropConnections(),
    close: () => broker.close(),
  };
}
