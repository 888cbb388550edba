// One vhost's connection limits (AMQ Interconnect security guide, 7.2.3 "Vhost Policies":
// `maxConnections`, `maxConnectionsPerUser`, `maxConnectionsPerHost`), counted over the vhost's
// connections on this node, beside the broker-wide admission limits (server/admission/), never
// instead of them. Consulted once per connection, after authentication; nothing here runs per
// message. An admitted connection holds a VhostTicket until it ends, however it ends; the ticket
// gives its place back exactly once. Users and hosts at zero are dropped from the counts.
import { ConnectionCounts, type AdmissionCounts } from '../admission/connection-counts.js';
import { AdmissionRefusal } from '../admission/refusal.js';

/** The three limits, in the policy's order; also the order they are checked in. */
export const VHOST_LIMIT_NAMES = ['maxConnections', 'maxConnectionsPerUser', 'maxConnectionsPerHost'] as const;
export type VhostLimitName = (typeof VHOST_LIMIT_NAMES)[number];

export type VhostLimitValues = Readonly<Record<VhostLimitName, number>>;

/** A vhost's name and limits: VhostPolicyRules has these fields, so a policy's rules can be given as is. */
export interface VhostLimits extends VhostLimitValues {
  /** The vhost's canonical name (VhostPolicyRules.vhost). */
  readonly vhost: string;
}

/** A connection refused by one of the vhost's limits: kind `connection-limit`, as the broker-wide limits. */
export class VhostLimitRefusal extends AdmissionRefusal {
  constructor(
    readonly vhost: string,
    /** The limit reached. */
    readonly limit: VhostLimitName,
    /** Its value. */
    readonly max: number,
    /** The user or host it was reached for; undefined for maxConnections. */
    readonly subject: string | undefined,
  ) {
    super(
      'connection-limit',
      `vhost ${vhost}: ${limit} (${max}) reached${subject === undefined ? '' : ` for ${subject}`}`,
    );
  }
}

/** An admitted connection's place in its vhost's counts. */
export class VhostTicket {
  private released = false;

  constructor(
    /** The limits that admitted it: `replacing` only counts for the same vhost's. */
    readonly owner: VhostConnectionLimits,
    private readonly counts: ConnectionCounts,
    readonly user: string,
    /** The canonical remote address it is counted under. */
    readonly host: string,
  ) {}

  get vhost(): string {
    return this.owner.vhost;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Give the place back; later calls do nothing (a connection may end by several paths). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.counts.remove(this.user, this.host);
  }
}

/** What the admin lists for a vhost: its connections now, its limits, and the refusals of each limit. */
export interface VhostConnectionSnapshot extends AdmissionCounts {
  readonly vhost: string;
  readonly limits: VhostLimitValues;
  /** Connections refused by each limit since the vhost was created (a reconfigure keeps them). */
  readonly refused: VhostLimitValues;
}

/** The counts and limits of one vhost's connections. */
export class VhostConnectionLimits {
  readonly vhost: string;
  private readonly counts = new ConnectionCounts();
  private limits: VhostLimitValues;
  private readonly refused: Record<VhostLimitName, number> = {
    maxConnections: 0,
    maxConnectionsPerUser: 0,
    maxConnectionsPerHost: 0,
  };

  constructor(limits: VhostLimits) {
    this.vhost = limits.vhost;
    this.limits = limitValues(limits);
  }

  /**
   * A live reload's limits for the same vhost: they decide from the next admit() on. Admitted
   * connections are kept, and counted, even over a lowered limit.
   */
  reconfigure(limits: VhostLimits): void {
    if (limits.vhost !== this.vhost)
      throw new Error(`the connection limits of vhost ${this.vhost} cannot be reconfigured as ${limits.vhost}'s`);
    this.limits = limitValues(limits);
  }

  /**
   * One more connection of `user` from `host` (the canonical remote address, as admission counts
   * hosts: HostAddress.of(remoteAddress).key), unless a limit is reached. `replacing`: a connection
   * of this vhost the new one takes over (an MQTT client id), counted as gone already.
   */
  admit(user: string, host: string, replacing: VhostTicket | null = null): VhostTicket | VhostLimitRefusal {
    const counts = this.counts;
    const { maxConnections, maxConnectionsPerUser, maxConnectionsPerHost } = this.limits;
    const gone = replacing !== null && replacing.owner === this && !replacing.isReleased ? replacing : null;
    if (counts.connections - (gone === null ? 0 : 1) >= maxConnections)
      return this.refuse('maxConnections', maxConnections, undefined);
    if (counts.ofUser(user) - (gone?.user === user ? 1 : 0) >= maxConnectionsPerUser)
      return this.refuse('maxConnectionsPerUser', maxConnectionsPerUser, user);
    if (counts.ofHost(host) - (gone?.host === host ? 1 : 0) >= maxConnectionsPerHost)
      return this.refuse('maxConnectionsPerHost', maxConnectionsPerHost, host);
    counts.add(user, host);
    return new VhostTicket(this, counts, user, host);
  }

  get connections(): number {
    return this.counts.connections;
  }

  ofUser(user: string): number {
    return this.counts.ofUser(user);
  }

  ofHost(host: string): number {
    return this.counts.ofHost(host);
  }

  snapshot(): VhostConnectionSnapshot {
    return { vhost: this.vhost, ...this.counts.snapshot(), limits: this.limits, refused: { ...this.refused } };
  }

  private refuse(limit: VhostLimitName, max: number, subject: string | undefined): VhostLimitRefusal {
    this.refused[limit]++;
    return new VhostLimitRefusal(this.vhost, limit, max, subject);
  }
}

/**
 * The numbers alone, copied and frozen: holding a VhostPolicyRules given as the limits would keep
 * a replaced policy, and its bound users, alive. Each limit is a whole number of at least 1 (the
 * policy schema's range; 0 would refuse every connection, which is not a limit).
 */
function limitValues(limits: VhostLimits): VhostLimitValues {
  const values = {} as Record<VhostLimitName, number>;
  for (const name of VHOST_LIMIT_NAMES) {
    const value = limits[name];
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`vhost ${limits.vhost}: ${name} must be a whole number of at least 1, not ${value}`);
    values[name] = value;
  }
  return Object.freeze(values);
}
