// What the MQTT adapter asks of the cluster about client ids (cluster/cluster.ts implements it):
// a CONNECT takes its client id cluster-wide before it is accepted, the node that held it lets it
// go (closing its connection, leaving its session in the shared store), and the session comes
// here with the client. Null outside a cluster: client ids are this process's alone.
import type { SessionRecords } from '../store/redis-store.js';

export type ClusterTakeover =
  /** This node holds the client id now; `session` is its kept session moved from the shared store, or null. */
  | { readonly kind: 'claimed'; readonly session: SessionRecords | null }
  /** Another user holds it on another node (mqtt.clientIdOwnership: user). */
  | { readonly kind: 'refused'; readonly user: string };

export interface ClusterClients {
  /**
   * Take `clientId` for `user`; `clean` (Clean Start) has the other node discard its session;
   * `haveSession` skips reading the store (this node keeps the session already). Never rejects:
   * without Redis the CONNECT goes ahead on this node alone.
   */
  takeOver(clientId: string, user: string, clean: boolean, haveSession: boolean): Promise<ClusterTakeover>;
  /** Nothing holds `clientId` on this node any more (no connection, kept session or will). */
  released(clientId: string): void;
}

/** What another node's takeover asks of this one. */
export interface TakeoverHost {
  /** Close `clientId`'s connection and let its session go (discarded, or left in the store). */
  releaseForTakeover(clientId: string, discard: boolean): Promise<void>;
  /** The client ids of this node's live connections. */
  liveClientIds(): string[];
  /** The client ids of the sessions this node keeps for absent clients. */
  keptClientIds(): string[];
  /** Whether anything holds `clientId` here: a connection, a kept session or a waiting will. */
  holds(clientId: string): boolean;
}
