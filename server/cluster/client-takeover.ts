// Client ids across nodes (ClusterClients, for the MQTT adapter): a CONNECT claims its id in the
// registry; if another node held it, that node is asked to let it go (its connection closes with
// "session taken over", its kept session stays in the shared store) and the session is read from
// the store and moved to this node. A node that does not answer (dead, or away from Redis) is not
// waited for beyond cluster.requestTimeoutMs. Without Redis the CONNECT goes ahead here alone,
// counted and logged: serving local clients wins over a cluster-wide check that cannot be made.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClusterClients, ClusterTakeover, TakeoverHost } from '../mqtt/cluster-clients.js';
import type { RedisStore } from '../store/redis-store.js';
import type { BrokerStats } from '../stats.js';
import type { ClientRegistry } from './client-registry.js';
import type { ClusterControl } from './cluster-control.js';

const LOCAL_ONLY: ClusterTakeover = { kind: 'claimed', session: null };

export class ClientTakeover implements ClusterClients {
  /** Set while claims fail, so the failure is logged once per outage. */
  private failing = false;
  /** Client ids whose claim is under way: a release of the same id queued before must not undo it. */
  private readonly claiming = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly registry: ClientRegistry,
    private readonly control: ClusterControl,
    /** The shared store; null when the cluster runs with persistence.store: memory (no sessions move). */
    private readonly store: () => RedisStore | null,
    private readonly ownership: 'user' | 'any',
    private readonly stats: BrokerStats,
    private readonly log: Logger,
    private readonly nodeId: string,
  ) {}

  async takeOver(clientId: string, user: string, clean: boolean, haveSession: boolean): Promise<ClusterTakeover> {
    if (this.redis.status !== 'ready') return this.unavailable(clientId, 'Redis is not connected');
    this.claiming.set(clientId, (this.claiming.get(clientId) ?? 0) + 1);
    try {
      const claim = await this.registry.claim(clientId, user, this.ownership);
      if (claim.kind === 'refused') return claim;
      if (claim.previous !== null) {
        const outcome = await this.control.request(claim.previous, { t: 'takeover', clientId, discard: clean });
        if (outcome !== 'done')
          this.log.warn(
            { clientId, node: claim.previous, outcome },
            'cluster: the node that held a client id did not let it go; taken over without it',
          );
      }
      this.failing = false;
      const store = this.store();
      // An id nobody held has no session anywhere: the store is not asked (a new client, or a
      // clean-session one coming back: one Redis round trip less per CONNECT).
      if (!claim.held || haveSession || store === null) return LOCAL_ONLY;
      const records = await store.loadSession(clientId);
      if (records === null) return LOCAL_ONLY;
      await store.claimSession(clientId);
      return { kind: 'claimed', session: records };
    } catch (err) {
      return this.unavailable(clientId, (err as Error).message);
    } finally {
      const n = this.claiming.get(clientId)!;
      if (n > 1) this.claiming.set(clientId, n - 1);
      else this.claiming.delete(clientId);
    }
  }

  /** Whether `clientId` is claimed or held here now (a queued release of it is dropped). */
  inUse(clientId: string, host: TakeoverHost): boolean {
    return this.claiming.has(clientId) || host.holds(clientId);
  }

  /**
   * Back after losing Redis: what another node took over meanwhile leaves this one. A live
   * connection whose client id another node holds now is closed (0x8E), and a kept session the
   * store says another node owns leaves memory (its records are that node's: nothing is written).
   */
  async reconcile(host: TakeoverHost): Promise<number> {
    let released = 0;
    const live = host.liveClientIds();
    const holders = await this.registry.holders(live);
    for (let i = 0; i < live.length; i++) {
      const holder = holders[i];
      if (holder === null || holder === undefined || holder === this.nodeId) continue;
      await host.releaseForTakeover(live[i]!, false);
      released++;
    }
    const store = this.store();
    if (store !== null) {
      const owned = new Set(await store.ownedBy(this.nodeId));
      for (const clientId of host.keptClientIds()) {
        if (owned.has(clientId)) continue;
        await host.releaseForTakeover(clientId, false);
        released++;
      }
    }
    return released;
  }

  released(clientId: string): void {
    if (this.redis.status !== 'ready') return;
    this.registry.release(clientId);
  }

  private unavailable(clientId: string, why: string): ClusterTakeover {
    this.stats.clusterClientIdsUnchecked++;
    if (!this.failing) {
      this.failing = true;
      this.log.warn(
        { clientId, why },
        'cluster: client ids cannot be checked cluster-wide (Redis unavailable); MQTT clients are accepted on this node alone meanwhile',
      );
    }
    return LOCAL_ONLY;
  }
}
