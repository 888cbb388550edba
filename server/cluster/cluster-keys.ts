// Every Redis key and channel the cluster uses, under `cluster.namespace`, in one place
// (docs/cluster.md lists them).
export class ClusterKeys {
  constructor(readonly namespace: string) {}

  /** The bus channel of `node`: only messages some subscription there may match. */
  busChannel(node: string): string {
    return `${this.namespace}:bus:${node}`;
  }

  /** Answers to the admin actions `node` started. */
  replyChannel(node: string): string {
    return `${this.namespace}:reply:${node}`;
  }

  /** Requests to `node` alone (taking a client id over). */
  directChannel(node: string): string {
    return `${this.namespace}:direct:${node}`;
  }

  /** Interest changes of every node (small, and every node needs them). */
  get interestChannel(): string {
    return `${this.namespace}:interest`;
  }

  /** Admin actions for every node. */
  get controlChannel(): string {
    return `${this.namespace}:control`;
  }

  /** The hash of `node`'s interest keys (and its sequence number, field INTEREST_SEQ). */
  interest(node: string): string {
    return `${this.namespace}:interest:${node}`;
  }

  /** `node`'s lease: present while it lives (PX cluster.leaseMs), holding its JSON status. */
  lease(node: string): string {
    return `${this.namespace}:lease:${node}`;
  }

  /** `node`'s admitted connections: `*` in all, `u:{user}` per user; expires with its lease. */
  connections(node: string): string {
    return `${this.namespace}:conns:${node}`;
  }

  /** The set of nodes that joined and have not been seen to leave. */
  get members(): string {
    return `${this.namespace}:nodes`;
  }

  /** Counts entitlement resets, so a node back from a partition knows it missed one. */
  get resetGeneration(): string {
    return `${this.namespace}:entitlements:resets`;
  }

  /** "1" while entitlements are disabled cluster-wide. */
  get entitlementsDisabled(): string {
    return `${this.namespace}:entitlements:disabled`;
  }

  /** Prefix of the store's keys (retained messages, sessions). */
  get storePrefix(): string {
    return `${this.namespace}:store:`;
  }
}

/** The field of an interest hash holding its sequence number (a key never starts with "~"). */
export const INTEREST_SEQ = '~seq';
