// Who is in the cluster. Each node holds a lease, a Redis key that expires after cluster.leaseMs
// unless renewed (every third of it), holding the node's status for GET /admin/cluster. A node
// whose lease is gone is dead to the others, whatever it thinks: they drop its routes and its
// connection counts, and remove it from the member set. No consensus of our own: Redis's expiry
// is the only clock that decides.
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClusterKeys } from './cluster-keys.js';

/** What a node says about itself in its lease. */
export interface NodeStatus {
  readonly node: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly connections: number;
  readonly messagesPublished: number;
  readonly deliveries: number;
  /** Over the last lease renewal interval. */
  readonly messagesInPerSec: number;
  readonly deliveriesPerSec: number;
  /** Epoch ms of this status. */
  readonly at: number;
}

/** A node as GET /admin/cluster lists it. */
export interface ClusterNodeView {
  readonly node: string;
  readonly alive: boolean;
  readonly self: boolean;
  /** Milliseconds until its lease ends unless renewed (0 when dead). */
  readonly leaseMsLeft: number;
  readonly status: NodeStatus | null;
}

/** This node's counters, read at each renewal. */
export interface LocalCounters {
  readonly connections: number;
  readonly messagesPublished: number;
  readonly deliveries: number;
}

export interface MembershipEvents {
  joined(node: string): void;
  left(node: string): void;
}

export class Membership {
  private readonly others = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = new Date().toISOString();
  private last: { at: number; messages: number; deliveries: number } | null = null;
  /** Epoch ms of the last renewal Redis confirmed. */
  private renewedAt = 0;

  constructor(
    readonly nodeId: string,
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
    readonly leaseMs: number,
    private readonly counters: () => LocalCounters,
    private readonly events: MembershipEvents,
    private readonly log: Logger,
    /** A renewal succeeded after the lease had run out: the others dropped this node, which must join again. */
    private readonly lapsed: () => void,
    /** Renew what lives as long as the lease (the connection counts). */
    private readonly renewWithLease: () => Promise<unknown>,
  ) {}

  /** The other live nodes, as of the last check. */
  liveOthers(): string[] {
    return [...this.others];
  }

  /** Take the lease and learn the other members; then renew every leaseMs / 3. */
  async join(): Promise<void> {
    await this.renew();
    await this.check();
    if (this.timer === null) {
      this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.leaseMs / 3)));
      this.timer.unref();
    }
  }

  /** Leaving in order: the lease and the interest go at once, not after leaseMs. */
  async leave(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.redis.status !== 'ready') return;
    await this.redis
      .multi()
      .del(this.keys.lease(this.nodeId))
      .srem(this.keys.members, this.nodeId)
      .del(this.keys.interest(this.nodeId))
      .del(this.keys.connections(this.nodeId))
      .exec();
  }

  private async tick(): Promise<void> {
    try {
      const before = this.renewedAt;
      await this.renew();
      if (before !== 0 && this.renewedAt - before > this.leaseMs) this.lapsed();
      await this.check();
    } catch (err) {
      // Redis away: the others will drop this node when its lease runs out; it rejoins when Redis is back.
      this.log.debug({ err: (err as Error).message }, 'cluster: lease renewal failed');
    }
  }

  private async renew(): Promise<void> {
    const now = Date.now();
    const counters = this.counters();
    const last = this.last;
    const seconds = last === null ? 0 : (now - last.at) / 1000;
    const status: NodeStatus = {
      node: this.nodeId,
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      connections: counters.connections,
      messagesPublished: counters.messagesPublished,
      deliveries: counters.deliveries,
      messagesInPerSec: seconds > 0 ? Math.round((counters.messagesPublished - last!.messages) / seconds) : 0,
      deliveriesPerSec: seconds > 0 ? Math.round((counters.deliveries - last!.deliveries) / seconds) : 0,
      at: now,
    };
    // The member set too, every time: another node may have removed this one while its lease had lapsed.
    await this.redis
      .multi()
      .set(this.keys.lease(this.nodeId), JSON.stringify(status), 'PX', this.leaseMs)
      .sadd(this.keys.members, this.nodeId)
      .exec();
    this.last = { at: now, messages: counters.messagesPublished, deliveries: counters.deliveries };
    this.renewedAt = now;
    await this.renewWithLease();
  }

  /** Compare the member set with the leases: new nodes joined, nodes without a lease left (and are removed). */
  async check(): Promise<void> {
    const members = (await this.redis.smembers(this.keys.members)).filter((n) => n !== this.nodeId);
    const leases = members.length === 0 ? [] : await this.redis.mget(...members.map((n) => this.keys.lease(n)));
    const alive = new Set<string>();
    members.forEach((node, i) => {
      if (leases[i] !== null) alive.add(node);
    });
    for (const node of alive) {
      if (this.others.has(node)) continue;
      this.others.add(node);
      this.events.joined(node);
    }
    for (const node of members) {
      if (alive.has(node)) continue;
      // Dead: removed for everyone (idempotent: every node may do it).
      await this.redis
        .multi()
        .srem(this.keys.members, node)
        .del(this.keys.interest(node))
        .del(this.keys.connections(node))
        .exec();
      if (this.others.delete(node)) this.events.left(node);
    }
    for (const node of [...this.others]) {
      if (members.includes(node)) continue;
      this.others.delete(node);
      this.events.left(node);
    }
  }

  /** `node` announced itself (joining or rejoining): a member from now, before the next check. */
  noteAlive(node: string): void {
    if (node === this.nodeId || this.others.has(node)) return;
    this.others.add(node);
    this.events.joined(node);
  }

  /** A node said it is leaving (control channel), or its lease was seen gone. */
  forget(node: string): void {
    if (this.others.delete(node)) this.events.left(node);
  }

  /** Without Redis: this node and the others as last seen, liveness unknown (alive: false, no lease read). */
  localView(): ClusterNodeView[] {
    const nodes = [this.nodeId, ...this.others].sort();
    return nodes.map((node) => ({
      node,
      alive: node === this.nodeId,
      self: node === this.nodeId,
      leaseMsLeft: 0,
      status: null,
    }));
  }

  /** Every member with its lease, read now (GET /admin/cluster). */
  async view(): Promise<ClusterNodeView[]> {
    // What this node acts on (retained messages, admin answers) is brought up to date too.
    await this.check();
    const members = await this.redis.smembers(this.keys.members);
    if (!members.includes(this.nodeId)) members.push(this.nodeId);
    members.sort();
    const pipeline = this.redis.pipeline();
    for (const node of members) pipeline.get(this.keys.lease(node)).pttl(this.keys.lease(node));
    const replies = (await pipeline.exec()) ?? [];
    return members.map((node, i) => {
      const value = replies[2 * i]?.[1];
      const ttl = replies[2 * i + 1]?.[1];
      let status: NodeStatus | null = null;
      if (typeof value === 'string') {
        try {
          status = JSON.parse(value) as NodeStatus;
        } catch {
          status = null;
        }
      }
      return {
        node,
        alive: status !== null,
        self: node === this.nodeId,
        leaseMsLeft: typeof ttl === 'number' && ttl > 0 ? ttl : 0,
        status,
      };
    });
  }
}
