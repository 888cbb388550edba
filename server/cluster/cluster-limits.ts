// Connection limits counted over every node (admission.maxConnections, and the per-user limits
// with their tiers and overrides, admission.userLimits). Each node's admitted connections are a
// Redis hash, `{namespace}:conns:{node}` (`*` in all, `u:{user}` per user), that expires with the
// node's lease: a node that dies stops renewing it, and its connections stop counting within
// cluster.leaseMs. A logon reserves its place with one Lua script that sums the live nodes' counts
// and adds this one's in the same step, so two nodes cannot both give away the last place.
// Per-host limits stay per node: a host's connections are spread by the load balancer in front.
// A vhost's maxConnections and maxConnectionsPerUser count every node the same way, in the same
// hash (`v:{vhost}` and `w:{vhost}\u0000{user}`), checked in the same step (docs/vhosts.md).
import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.js';
import type { Logger } from 'pino';
import type { ClusterLimits } from '../admission/admission.js';
import type { BrokerStats } from '../stats.js';
import type { ClusterKeys } from './cluster-keys.js';

const RESERVE = new LuaScript(`
local members = redis.call('SMEMBERS', KEYS[1])
local total, ofUser = 0, 0
local userField = 'u:' .. ARGV[2]
for _, node in ipairs(members) do
  if node == ARGV[1] or redis.call('EXISTS', ARGV[5] .. node) == 1 then
    local counts = ARGV[6] .. node
    total = total + tonumber(redis.call('HGET', counts, '*') or '0')
    ofUser = ofUser + tonumber(redis.call('HGET', counts, userField) or '0')
  end
end
local discount = tonumber(ARGV[7])
if tonumber(ARGV[4]) >= 0 and total - discount >= tonumber(ARGV[4]) then return {'global', total} end
if tonumber(ARGV[3]) >= 0 and ofUser - discount >= tonumber(ARGV[3]) then return {'user', ofUser} end
local vhost = ARGV[9]
local vhostField, vhostUserField = 'v:' .. vhost, 'w:' .. vhost .. '\\0' .. ARGV[2]
if vhost ~= '' then
  local inVhost, ofUserInVhost = 0, 0
  for _, node in ipairs(members) do
    if node == ARGV[1] or redis.call('EXISTS', ARGV[5] .. node) == 1 then
      local counts = ARGV[6] .. node
      inVhost = inVhost + tonumber(redis.call('HGET', counts, vhostField) or '0')
      ofUserInVhost = ofUserInVhost + tonumber(redis.call('HGET', counts, vhostUserField) or '0')
    end
  end
  if inVhost - discount >= tonumber(ARGV[10]) then return {'vhost', inVhost} end
  if ofUserInVhost - discount >= tonumber(ARGV[11]) then return {'vhost-user', ofUserInVhost} end
end
local own = ARGV[6] .. ARGV[1]
redis.call('HINCRBY', own, '*', 1)
redis.call('HINCRBY', own, userField, 1)
if vhost ~= '' then
  redis.call('HINCRBY', own, vhostField, 1)
  redis.call('HINCRBY', own, vhostUserField, 1)
end
redis.call('PEXPIRE', own, ARGV[8])
return {'ok', 0}
`);

/**
 * Subtract released connections, given as (user, vhost or '', count) triples; a field at zero goes,
 * so the hash holds only connected users and vhosts.
 */
const RELEASE = new LuaScript(`
local function decrement(field, n)
  if redis.call('HINCRBY', KEYS[1], field, -n) <= 0 then redis.call('HDEL', KEYS[1], field) end
end
local total = 0
for i = 1, #ARGV, 3 do
  local user, vhost, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  total = total + n
  decrement('u:' .. user, n)
  if vhost ~= '' then
    decrement('v:' .. vhost, n)
    decrement('w:' .. vhost .. '\\0' .. user, n)
  end
end
redis.call('HINCRBY', KEYS[1], '*', -total)
return total
`);

/** What a vhost counts across the cluster: its name, and its limits that are not per host. */
export interface ClusterVhostLimits {
  readonly vhost: string;
  readonly maxConnections: number;
  readonly maxConnectionsPerUser: number;
}

/** This node's admitted connections in one vhost, for a rewrite. */
export interface VhostCounts {
  readonly vhost: string;
  readonly connections: number;
  readonly users: Readonly<Record<string, number>>;
}

export class ClusterConnectionLimits implements ClusterLimits {
  private failing = false;
  /** Per user and vhost (`user\u0000vhost`), connections released this turn (sent at its end as one transaction). */
  private released = new Map<string, number>();
  private scheduled = false;

  constructor(
    private readonly nodeId: string,
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
    private readonly leaseMs: number,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
  ) {}

  private countsKey(node: string): string {
    return this.keys.connections(node);
  }

  async reserve(
    user: string,
    userLimit: number,
    globalLimit: number,
    replacing: boolean,
    vhost: ClusterVhostLimits | null = null,
  ): Promise<string | null> {
    if (this.redis.status !== 'ready') return this.unchecked('Redis is not connected');
    try {
      const [outcome, count] = (await RESERVE.run(
        this.redis,
        [this.keys.members],
        [
          this.nodeId,
          user,
          Number.isFinite(userLimit) ? String(userLimit) : '-1',
          Number.isFinite(globalLimit) ? String(globalLimit) : '-1',
          `${this.keys.namespace}:lease:`,
          `${this.keys.namespace}:conns:`,
          replacing ? '1' : '0',
          String(this.leaseMs),
          vhost?.vhost ?? '',
          String(vhost?.maxConnections ?? -1),
          String(vhost?.maxConnectionsPerUser ?? -1),
        ],
      )) as [string, number];
      this.failing = false;
      if (outcome === 'global')
        return `admission.maxConnections (${globalLimit}) reached across the cluster (${count} connections)`;
      if (outcome === 'user') return `the user's connection limit (${userLimit}) reached across the cluster`;
      if (outcome === 'vhost')
        return `vhost ${vhost!.vhost}: maxConnections (${vhost!.maxConnections}) reached across the cluster`;
      if (outcome === 'vhost-user')
        return `vhost ${vhost!.vhost}: maxConnectionsPerUser (${vhost!.maxConnectionsPerUser}) reached for ${user} across the cluster`;
      return null;
    } catch (err) {
      return this.unchecked((err as Error).message);
    }
  }

  release(user: string, vhost: string | null = null): void {
    const key = `${user}\u0000${vhost ?? ''}`;
    this.released.set(key, (this.released.get(key) ?? 0) + 1);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.sendReleases());
  }

  /** Keep this node's counts alive as long as its lease (Membership renews both). */
  renew(): Promise<unknown> {
    return this.redis.pexpire(this.countsKey(this.nodeId), this.leaseMs);
  }

  /**
   * Joining, or back after losing Redis: this node's counts in Redis become exactly what it has
   * admitted (decrements lost meanwhile, a hash that expired, one left by a previous run).
   */
  async rewrite(
    counts: {
      readonly connections: number;
      readonly users: Readonly<Record<string, number>>;
    },
    vhosts: readonly VhostCounts[] = [],
  ): Promise<void> {
    const key = this.countsKey(this.nodeId);
    const multi = this.redis.multi().del(key);
    const fields: (string | number)[] = ['*', counts.connections];
    for (const [user, n] of Object.entries(counts.users)) fields.push(`u:${user}`, n);
    for (const { vhost, connections, users } of vhosts) {
      if (connections > 0) fields.push(`v:${vhost}`, connections);
      for (const [user, n] of Object.entries(users)) fields.push(`w:${vhost}\u0000${user}`, n);
    }
    for (let i = 0; i < fields.length; i += 2000) multi.hset(key, ...fields.slice(i, i + 2000));
    multi.pexpire(key, this.leaseMs);
    this.released = new Map();
    await multi.exec();
  }

  private sendReleases(): void {
    this.scheduled = false;
    const released = this.released;
    this.released = new Map();
    if (released.size === 0 || this.redis.status !== 'ready') return;
    const args: string[] = [];
    for (const [key, n] of released) {
      const at = key.lastIndexOf('\u0000');
      args.push(key.slice(0, at), key.slice(at + 1), String(n));
    }
    // Lost with Redis: the counts are rewritten whole when the node rejoins.
    RELEASE.run(this.redis, [this.countsKey(this.nodeId)], args).catch(() => {});
  }

  private unchecked(why: string): null {
    this.stats.clusterLimitsUnchecked++;
    if (!this.failing) {
      this.failing = true;
      this.log.warn(
        { why },
        'cluster: connection limits cannot be counted across nodes (Redis unavailable); this node applies its own counts meanwhile',
      );
    }
    return null;
  }
}
