// One vhost's connection limits (AMQ Interconnect 7.2.3.2: maxConnections, maxConnectionsPerUser,
// maxConnectionsPerHost), applied inside the vhost after the broker's own admission limits admit
// the connection. Counted per vhost; a ticket gives its count back exactly once.
import { ConnectionCounts } from '../admission/connection-counts.js';

export interface VhostLimitValues {
  readonly vhost: string;
  readonly maxConnections: number;
  readonly maxConnectionsPerUser: number;
  readonly maxConnectionsPerHost: number;
}

/** Why the vhost did not admit a connection: for the log (the client hears "connection limit reached"). */
export class VhostLimitRefusal {
  constructor(readonly detail: string) {}
}

export class VhostTicket {
  private released = false;

  constructor(
    private readonly limits: VhostConnectionLimits,
    readonly user: string,
    readonly host: string,
  ) {}

  get isReleased(): boolean {
    return this.released;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.limits.releaseTicket(this);
  }
}

export class VhostConnectionLimits {
  private readonly counts = new ConnectionCounts();

  constructor(private readonly values: VhostLimitValues) {}

  get connections(): number {
    return this.counts.connections;
  }

  get limits(): VhostLimitValues {
    return this.values;
  }

  /** A place for one more connection of `user` from `host`; `replacing` (an MQTT takeover) counts as gone. */
  admit(user: string, host: string, replacing: VhostTicket | null): VhostTicket | VhostLimitRefusal {
    const { vhost, maxConnections, maxConnectionsPerUser, maxConnectionsPerHost } = this.values;
    const gone = replacing !== null && !replacing.isReleased ? replacing : null;
    const counts = this.counts;
    if (counts.connections - (gone === null ? 0 : 1) >= maxConnections)
      return new VhostLimitRefusal(`vhost ${vhost}: maxConnections (${maxConnections}) reached`);
    if (counts.ofUser(user) - (gone !== null && gone.user === user ? 1 : 0) >= maxConnectionsPerUser)
      return new VhostLimitRefusal(
        `vhost ${vhost}: maxConnectionsPerUser (${maxConnectionsPerUser}) reached for ${user}`,
      );
    if (counts.ofHost(host) - (gone !== null && gone.host === host ? 1 : 0) >= maxConnectionsPerHost)
      return new VhostLimitRefusal(
        `vhost ${vhost}: maxConnectionsPerHost (${maxConnectionsPerHost}) reached for ${host}`,
      );
    counts.add(user, host);
    return new VhostTicket(this, user, host);
  }

  /** Called once per ticket, by the ticket. */
  releaseTicket(ticket: VhostTicket): void {
    this.counts.remove(ticket.user, ticket.host);
  }
}
