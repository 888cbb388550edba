// Where RedisStore keeps each record in Redis, and the Lua scripts that move a session's ownership
// between broker nodes. Every key starts with the cluster's prefix (`warden:`), so several
// clusters, or other applications, can share one Redis. With the prefix `p`:
//
//   p retained              hash    topic -> msgpack RetainedRecord
//   p retained:index        zset    topic, every score 0: the topics in byte order, for paging
//                                   (ZRANGEBYLEX); written in the same MULTI as the hash
//   p session:{clientId}    string  msgpack SessionRecord
//   p subs:{clientId}       hash    filter -> msgpack SubscriptionRecord
//   p msgs:{clientId}       hash    seq (decimal) -> QueuedRecord in message-codec.ts's layout
//   p will:{clientId}       string  msgpack WillRecord
//   p session-owner         hash    clientId -> the node id that owns the session
//   p node:{nodeId}:sessions set    the client ids that node owns (the owner hash, inverted)
//
// Each client-id key has a fixed word before the id and ends with it, so no two kinds of key can
// collide whatever the id holds (colons included). The scripts build the old owner's set key
// from its node id, a key they are not passed: the layout is for one Redis (with replicas or
// Sentinel), not a sharded Redis Cluster, where a script may only touch the keys it is given.

export class RedisLayout {
  readonly retained: string;
  readonly retainedIndex: string;
  readonly owners: string;
  /** The set of this node's sessions. */
  readonly ownSessions: string;

  constructor(
    readonly prefix: string,
    readonly nodeId: string,
  ) {
    this.retained = `${prefix}retained`;
    this.retainedIndex = `${prefix}retained:index`;
    this.owners = `${prefix}session-owner`;
    this.ownSessions = this.nodeSessions(nodeId);
  }

  /** The set of `nodeId`'s sessions (CLAIM builds the same key in Lua). */
  nodeSessions(nodeId: string): string {
    return `${this.prefix}node:${nodeId}:sessions`;
  }

  session(clientId: string): string {
    return `${this.prefix}session:${clientId}`;
  }

  subscriptions(clientId: string): string {
    return `${this.prefix}subs:${clientId}`;
  }

  messages(clientId: string): string {
    return `${this.prefix}msgs:${clientId}`;
  }

  will(clientId: string): string {
    return `${this.prefix}will:${clientId}`;
  }
}

/**
 * A session or a will was written: the client id becomes this node's when no node owns it. One
 * that another node owns stays that node's: ownership moves only by CLAIM.
 * KEYS: owners, own set. ARGV: client id, node id.
 */
export const ADOPT = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then redis.call('SADD', KEYS[2], ARGV[1]) end
return 0`;

/**
 * A session or a will was removed: when this node owns the client id and neither record is left,
 * the id is no longer owned (its subscriptions and messages go in the same transaction).
 * KEYS: owners, own set, session, will. ARGV: client id, node id.
 */
export const RELEASE = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] and redis.call('EXISTS', KEYS[3], KEYS[4]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[1])
end
return 0`;

/**
 * Take the client id from whichever node owns it (a takeover, or adopting a dead node's
 * sessions); returns the previous owner, or nil. The id is recorded as this node's even when no
 * node owned it: the caller is about to write its session.
 * KEYS: owners, own set. ARGV: client id, node id, prefix.
 */
export const CLAIM = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old ~= ARGV[2] then
  if old then redis.call('SREM', ARGV[3] .. 'node:' .. old .. ':sessions', ARGV[1]) end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[1])
end
return old`;
