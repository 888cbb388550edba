// The cluster's connections to Redis, from `cluster.redis`: one for commands and publishes, one in
// subscriber mode (Redis allows nothing else on it). Commands fail at once while Redis is away
// (no offline queue): the callers count a drop or refuse, rather than hold an unbounded backlog
// and replay it late. ioredis reconnects by itself, with a capped back-off.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { ClusterConfig } from '../config/index.js';
import type { TlsProfiles } from '../tls/tls-profiles.js';

/** Longest wait between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2000;

/** `redis://user:secret@host` as `redis://user:***@host`, for logs and errors. */
export function redactedRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

export function redisOptions(config: ClusterConfig['redis'], tls: TlsProfiles | null): RedisOptions {
  const url = new URL(config.url);
  const secure = url.protocol === 'rediss:' || config.tls !== undefined;
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    db: Number.isInteger(db) ? db : 0,
    lazyConnect: true,
    enableOfflineQueue: false,
    // A command in flight when the connection drops fails rather than being replayed much later.
    maxRetriesPerRequest: 0,
    connectTimeout: config.connectTimeoutMs,
    retryStrategy: (attempt) => Math.min(100 * attempt, MAX_RECONNECT_DELAY_MS),
    // Each message crosses as soon as it is written: no Nagle delay on a bus.
    noDelay: true,
    // Commands of one tick (a burst of CONNECTs' claims, say) leave in one write. Transactions
    // (MULTI/EXEC: the store, interest changes) are written as they are: order on the one
    // connection is kept, which is all the cluster relies on.
    enableAutoPipelining: true,
  };
  const username = config.username ?? (url.username !== '' ? decodeURIComponent(url.username) : undefined);
  const password = config.password ?? (url.password !== '' ? decodeURIComponent(url.password) : undefined);
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  if (secure) {
    const profile = config.tls?.profile;
    options.tls = {
      ...(profile !== undefined && tls !== null ? tls.forClient(profile) : {}),
      servername: config.tls?.servername ?? options.host,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    };
  }
  return options;
}

/** Redis cannot be reached at start-up: the node does not start (exit code 5). */
export class ClusterConnectError extends Error {
  override readonly name = 'ClusterConnectError';
}

export interface RedisConnections {
  readonly commands: Redis;
  readonly subscriber: Redis;
}

/**
 * Both connections, connected: rejects (with the URL redacted) when Redis cannot be reached
 * within connectTimeoutMs, so a node that cannot join the cluster does not start.
 */
export async function connectRedis(
  config: ClusterConfig['redis'],
  tls: TlsProfiles | null,
  nodeId: string,
  log: Logger,
): Promise<RedisConnections> {
  const options = redisOptions(config, tls);
  const commands = new Redis({ ...options, connectionName: `warden:${nodeId}` });
  const subscriber = new Redis({ ...options, connectionName: `warden:${nodeId}:sub` });
  for (const [role, redis] of [
    ['commands', commands],
    ['subscriber', subscriber],
  ] as const) {
    // Errors are reported through 'error' as well as the failing command; without a listener
    // ioredis prints them. Logged once per outage: the state changes are what matter.
    let down = false;
    redis.on('error', (err: Error) => {
      if (down) return;
      down = true;
      log.warn({ role, url: redactedRedisUrl(config.url), err: err.message }, 'Redis connection error');
    });
    redis.on('ready', () => {
      if (down) log.info({ role, url: redactedRedisUrl(config.url) }, 'Redis connection restored');
      down = false;
    });
  }
  try {
    await Promise.all([commands.connect(), subscriber.connect()]);
  } catch (err) {
    commands.disconnect();
    subscriber.disconnect();
    throw new ClusterConnectError(
      `cluster.redis: cannot connect to ${redactedRedisUrl(config.url)}: ${(err as Error).message}`,
    );
  }
  return { commands, subscriber };
}
