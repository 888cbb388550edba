// Keeps the cluster's route table current, both ways. Out: this node's interest is a Redis hash
// (its keys, and `~seq`), written with each change and announced on the interest channel in the
// same transaction, so a reader of the hash and a listener of the channel agree on the sequence.
// In: another node's changes are applied in sequence; a gap (a lost message, a reconnection) or a
// full announcement makes this node read that node's hash again.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BrokerStats } from '../stats.js';
import { INTEREST_SEQ, type ClusterKeys } from './cluster-keys.js';
import type { InterestKey } from './interest-key.js';
import type { LocalInterest } from './local-interest.js';
import type { RemoteRoutes } from './remote-routes.js';

/** An interest announcement on the channel: `full` (read my hash) or a `delta`. */
interface Announcement {
  readonly t: 'full' | 'delta';
  /** The node. */
  readonly n: string;
  readonly s: number;
  readonly a?: InterestKey[];
  readonly r?: InterestKey[];
}

/** Most keys per HSET in a full announcement (Redis takes more, but one huge command blocks it). */
const HSET_CHUNK = 1000;

export class InterestTable {
  private seq = 0;
  /** A delta could not be written: the next (re)connection announces everything. */
  private stale = true;
  /** Nodes being read now; a node asked for again meanwhile is read once more after. */
  private readonly reading = new Map<string, boolean>();

  constructor(
    private readonly nodeId: string,
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
    private readonly local: LocalInterest,
    private readonly routes: RemoteRoutes,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
    /** A node announced its whole interest: it is joining or rejoining. */
    private readonly announced: (node: string) => void,
  ) {}

  /** Write this node's whole interest and tell the others to read it (joining, reconnecting). */
  async announce(): Promise<void> {
    this.local.clearPending();
    // Starts above anything this node announced before a restart, so others never take it for an old one.
    this.seq = Date.now() * 1000;
    const hash = this.keys.interest(this.nodeId);
    const all = this.local.keys();
    const multi = this.redis.multi().del(hash).hset(hash, INTEREST_SEQ, String(this.seq));
    for (let i = 0; i < all.length; i += HSET_CHUNK) {
      const fields: string[] = [];
      for (const key of all.slice(i, i + HSET_CHUNK)) fields.push(key, '1');
      multi.hset(hash, ...fields);
    }
    const note: Announcement = { t: 'full', n: this.nodeId, s: this.seq };
    multi.publish(this.keys.interestChannel, JSON.stringify(note));
    await multi.exec();
    this.stale = false;
    this.stats.clusterInterestUpdates++;
  }

  /** LocalInterest's batch of changes: written and announced, or left for the next announce(). */
  publishChanges(): void {
    const { added, removed } = this.local.take();
    if (added.length === 0 && removed.length === 0) return;
    if (this.stale || this.redis.status !== 'ready') {
      this.stale = true;
      return;
    }
    const seq = ++this.seq;
    const hash = this.keys.interest(this.nodeId);
    const multi = this.redis.multi().hset(hash, INTEREST_SEQ, String(seq));
    for (let i = 0; i < added.length; i += HSET_CHUNK) {
      const fields: string[] = [];
      for (const key of added.slice(i, i + HSET_CHUNK)) fields.push(key, '1');
      multi.hset(hash, ...fields);
    }
    for (let i = 0; i < removed.length; i += HSET_CHUNK) multi.hdel(hash, ...removed.slice(i, i + HSET_CHUNK));
    const note: Announcement = { t: 'delta', n: this.nodeId, s: seq, a: added, r: removed };
    multi.publish(this.keys.interestChannel, JSON.stringify(note));
    multi.exec().then(
      () => this.stats.clusterInterestUpdates++,
      (err: unknown) => {
        // The others may have missed it: everything is announced again on reconnection.
        this.stale = true;
        this.log.warn(
          { err: (err as Error).message },
          'cluster: interest change not published; re-announced on reconnection',
        );
      },
    );
  }

  /** An announcement from the interest channel. */
  onAnnouncement(text: string): void {
    let note: Announcement;
    try {
      note = JSON.parse(text) as Announcement;
    } catch {
      this.stats.clusterFramesInvalid++;
      return;
    }
    if (typeof note.n !== 'string' || typeof note.s !== 'number' || note.n === this.nodeId) return;
    if (note.t === 'full') this.announced(note.n);
    if (note.t === 'delta' && this.routes.apply(note.n, note.s, note.a ?? [], note.r ?? [])) return;
    // A full announcement, an unknown node, or a missed change: read the node's hash.
    if ((this.routes.seqOf(note.n) ?? -1) < note.s) this.read(note.n);
  }

  /** Read `node`'s whole interest (coalesced: one read at a time per node, one more if asked meanwhile). */
  read(node: string): void {
    if (this.reading.has(node)) return void this.reading.set(node, true);
    this.reading.set(node, false);
    void this.readOnce(node).finally(() => {
      const again = this.reading.get(node) === true;
      this.reading.delete(node);
      if (again) this.read(node);
    });
  }

  /** Read every node in `nodes` (joining, reconnecting). */
  async readAll(nodes: readonly string[]): Promise<void> {
    await Promise.all(nodes.filter((n) => n !== this.nodeId).map((n) => this.readOnce(n)));
  }

  private async readOnce(node: string): Promise<void> {
    try {
      const fields = await this.redis.hgetall(this.keys.interest(node));
      const seq = Number(fields[INTEREST_SEQ]);
      // An empty hash: the node left (or never announced); its routes go.
      if (!Number.isFinite(seq)) return void this.routes.drop(node);
      delete fields[INTEREST_SEQ];
      this.routes.replace(node, seq, Object.keys(fields));
      this.stats.clusterInterestResyncs++;
    } catch (err) {
      this.log.warn(
        { node, err: (err as Error).message },
        "cluster: could not read another node's interest; read again on reconnection",
      );
    }
  }
}
