// The other nodes' interest, replicated here (EMQX's route table, over Redis): a topic engine whose
// subscriptions are (node, pattern) pairs, so that "which nodes may want this topic" is the same
// cached Map lookup as a local publish, and a route's answer (its fan-out) is computed once per
// route change, not per message.
import { TopicEngine, type TopicLimits, type SubscriptionHandle, type Route } from '../topics/index.js';
import { parseInterestKey, type InterestKey } from './interest-key.js';

/** One node's interest in one pattern. */
export interface RemoteInterest {
  readonly node: string;
  /** The `$share` group key, or null for an ordinary subscription. */
  readonly share: string | null;
}

/** What a topic's route says about the other nodes. */
export interface RemoteFanout {
  /** Nodes with an ordinary subscription that may match. */
  readonly nodes: readonly string[];
  /** `$share` group key -> the nodes with members in it; null when none matches. */
  readonly shares: ReadonlyMap<string, readonly string[]> | null;
}

const NOBODY: RemoteFanout = { nodes: [], shares: null };

interface NodeRoutes {
  /** The last change applied (its sequence number from the node's announcements). */
  seq: number;
  readonly handles: Map<InterestKey, SubscriptionHandle<RemoteInterest>>;
}

export class RemoteRoutes {
  private readonly engine: TopicEngine<RemoteInterest, RemoteFanout>;
  private readonly nodes = new Map<string, NodeRoutes>();

  constructor(private readonly limits: TopicLimits) {
    // Few patterns per node compared with the local engine; the default cache bounds apply.
    this.engine = new TopicEngine<RemoteInterest, RemoteFanout>();
  }

  /** The nodes whose interest is known here. */
  knownNodes(): string[] {
    return [...this.nodes.keys()];
  }

  /** How many patterns `node` is known to have (GET /admin/cluster). */
  patternsOf(node: string): number {
    return this.nodes.get(node)?.handles.size ?? 0;
  }

  seqOf(node: string): number | undefined {
    return this.nodes.get(node)?.seq;
  }

  fanout(topic: string): RemoteFanout {
    if (this.nodes.size === 0) return NOBODY;
    const route = this.engine.route(topic);
    if (route.entries.length === 0) return NOBODY;
    return (route.plan ??= fanoutOf(route));
  }

  /** Replace everything known of `node` with `keys` as of `seq` (its hash in Redis). */
  replace(node: string, seq: number, keys: Iterable<InterestKey>): void {
    const routes = this.nodes.get(node);
    const wanted = new Set(keys);
    if (routes === undefined) {
      const created: NodeRoutes = { seq, handles: new Map() };
      this.nodes.set(node, created);
      for (const key of wanted) this.add(node, created, key);
      return;
    }
    // A read answered after a newer change arrived on the channel: the newer state stands.
    if (seq < routes.seq) return;
    routes.seq = seq;
    const gone: SubscriptionHandle<RemoteInterest>[] = [];
    for (const [key, handle] of routes.handles) {
      if (wanted.has(key)) wanted.delete(key);
      else {
        gone.push(handle);
        routes.handles.delete(key);
      }
    }
    this.engine.removeAll(gone);
    for (const key of wanted) this.add(node, routes, key);
  }

  /**
   * Apply `node`'s change number `seq`: true when applied or already seen, false when one was
   * missed (the caller re-reads the node's whole set).
   */
  apply(node: string, seq: number, added: readonly InterestKey[], removed: readonly InterestKey[]): boolean {
    const routes = this.nodes.get(node);
    if (routes === undefined) return false;
    if (seq <= routes.seq) return true;
    if (seq !== routes.seq + 1) return false;
    routes.seq = seq;
    const gone: SubscriptionHandle<RemoteInterest>[] = [];
    for (const key of removed) {
      const handle = routes.handles.get(key);
      if (handle === undefined) continue;
      routes.handles.delete(key);
      gone.push(handle);
    }
    this.engine.removeAll(gone);
    for (const key of added) if (!routes.handles.has(key)) this.add(node, routes, key);
    return true;
  }

  /** `node` left the cluster (or its lease ended): nothing more goes to it. */
  drop(node: string): void {
    const routes = this.nodes.get(node);
    if (routes === undefined) return;
    this.nodes.delete(node);
    this.engine.removeAll(routes.handles.values());
  }

  private add(node: string, routes: NodeRoutes, key: InterestKey): void {
    const parsed = parseInterestKey(key, this.limits);
    if (parsed === null) return;
    routes.handles.set(key, this.engine.add(parsed.pattern, { node, share: parsed.share }));
  }
}

function fanoutOf(route: Route<RemoteInterest, RemoteFanout>): RemoteFanout {
  const nodes: string[] = [];
  let shares: Map<string, string[]> | null = null;
  for (const { node, share } of route.entries) {
    if (share === null) {
      if (!nodes.includes(node)) nodes.push(node);
      continue;
    }
    shares ??= new Map();
    const members = shares.get(share);
    if (members === undefined) shares.set(share, [node]);
    else if (!members.includes(node)) members.push(node);
  }
  return { nodes, shares };
}
