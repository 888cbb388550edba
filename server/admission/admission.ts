// Admission control (docs/admission.md): consulted when a connection is accepted
// (protocol enabled? connection rate of its host?) and after authentication, before the session
// is admitted (allowed user? allowed host? room under the global, per-host and per-user limits?).
// An admitted connection holds an AdmissionTicket until it ends, however it ends; the ticket gives
// the count back exactly once. Nothing here runs per message.
import type { Logger } from 'pino';
import type { AdmissionConfig, LimitsConfig, Protocol } from '../config/admission-schema.js';
import type { BrokerStats } from '../stats.js';
import type { Clock } from '../timers.js';
import { AdmissionRules } from './admission-rules.js';
import { ConnectionCounts, type AdmissionCounts } from './connection-counts.js';
import type { ConnectionStatus } from './connection-status.js';
import { HostAddress } from './host-address.js';
import { PublishTopicWindow } from './publish-topic-window.js';
import { AdmissionRefusal } from './refusal.js';
import type { ResourceGroup } from './resource-group.js';
import type { VhostSeat } from '../vhosts/vhost-seat.js';
import type { ClusterVhostLimits } from '../cluster/cluster-limits.js';

/** An admitted connection's place in the counts, and its resource-limit group. */
export class AdmissionTicket {
  private released = false;
  /** Its place is counted in the cluster too (Admission.admitInCluster). */
  clusterHeld = false;
  /** Its place in its vhost (docs/vhosts.md), given back with this one; null outside vhosts. */
  vhostSeat: VhostSeat | null = null;

  constructor(
    private readonly admission: Admission,
    readonly user: string,
    /** The canonical remote address it is counted under. */
    readonly host: string,
    readonly group: ResourceGroup,
  ) {}

  /** The group's distinct-publish-topics limit for this connection, or null when the group sets none. */
  publishTopicWindow(): PublishTopicWindow | null {
    const max = this.group.maxPublishTopicsPerSecond;
    return max === Number.POSITIVE_INFINITY ? null : new PublishTopicWindow(max, this.admission.clock);
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Give the count back; later calls do nothing (sessions call it from close and from the socket's close event). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.vhostSeat?.release();
    this.admission.releaseTicket(this);
  }
}

/** Connection limits counted across a cluster's nodes (cluster/cluster-limits.ts). */
export interface ClusterLimits {
  /**
   * Take a place for one more connection of `user` on this node, unless the cluster is at
   * `globalLimit` or the user at `userLimit` (Infinity: no limit); `replacing`: one of the user's
   * connections here is being taken over and counts as gone. Resolves with why not, or null.
   * Never rejects: without Redis, each node applies its own counts.
   */
  reserve(
    user: string,
    userLimit: number,
    globalLimit: number,
    replacing: boolean,
    /** The connection's vhost and its limits counted across the cluster (docs/vhosts.md), or null. */
    vhost?: ClusterVhostLimits | null,
  ): Promise<string | null>;
  /** A reserved place (of `user`, in `vhost`) is free again. */
  release(user: string, vhost?: string | null): void;
}

interface Waiter {
  readonly atMost: number;
  readonly resolve: () => void;
}

export class Admission {
  private readonly counts = new ConnectionCounts();
  /** Replaced whole by a live reload; the counts above carry over. */
  private rules: AdmissionRules;
  private waiters: Waiter[] = [];
  /** Set when the broker joined a cluster: the global and per-user limits count every node. */
  cluster: ClusterLimits | null = null;

  constructor(
    config: AdmissionConfig,
    limits: LimitsConfig,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
    readonly clock: Clock = Date.now,
  ) {
    this.rules = new AdmissionRules(config, limits, clock);
  }

  /**
   * A live reload's new `admission` and `limits`: they decide from the next connection on. Admitted
   * connections are kept, and keep the resource-limit group they were admitted with, even where the
   * new limits would not admit them now.
   */
  reconfigure(config: AdmissionConfig, limits: LimitsConfig): void {
    this.rules = new AdmissionRules(config, limits, this.clock, this.rules);
  }

  /**
   * A connection was accepted on a listener of `protocol`; nothing has been read from it yet. A
   * refusal for a disabled protocol means close at once (netconfd-pro: "dropped right away"); a rate
   * refusal is answered when the client logs on (CONNECT for MQTT), without authenticating it.
   */
  onAccept(protocol: Protocol, remoteAddress: string): AdmissionRefusal | null {
    const rules = this.rules;
    if (!rules.protocols.has(protocol)) {
      this.stats.connectionsRefusedProtocol++;
      this.log.warn({ protocol, remote: remoteAddress }, 'connection to a disabled protocol closed');
      return new AdmissionRefusal('protocol-disabled', `the ${protocol} protocol is not in admission.protocols`);
    }
    if (rules.rate === null) return null;
    const verdict = rules.rate.take(HostAddress.of(remoteAddress).key);
    if (verdict === 'allowed') return null;
    this.stats.connectionsRefusedRate++;
    const { perSecond, burst } = rules.config.connectionRate;
    return new AdmissionRefusal(
      'rate-limited',
      `more than ${perSecond} connections per second (burst ${burst}) from this host`,
      verdict === 'refused-again',
    );
  }

  /**
   * After authentication, before the session is admitted: the checks in netconfd-pro's order (who,
   * then how many), with AMQ Interconnect's remote hosts after the user. On success the connection is
   * counted; `replacing` is a connection this one takes over (an MQTT client id), counted as gone.
   */
  admit(user: string, remoteAddress: string, replacing: AdmissionTicket | null): AdmissionTicket | AdmissionRefusal {
    const rules = this.rules;
    // netconfd-pro, "Username Control": "If the username is identified as a --superuser then this parameter is ignored".
    if (rules.allowedUsers !== null && !rules.allowedUsers.has(user) && !rules.superusers.has(user)) {
      this.stats.connectionsRefusedUser++;
      return new AdmissionRefusal('user-not-allowed', 'not in admission.allowedUsers');
    }
    const host = HostAddress.of(remoteAddress);
    const group = rules.groups.of(user);
    const hosts = rules.userHosts.get(user) ?? group.remoteHosts;
    if (hosts !== null && !hosts.allows(host)) {
      this.stats.connectionsRefusedHost++;
      const where = rules.userHosts.has(user) ? 'admission.remoteHosts' : `limits.${group.name}.remoteHosts`;
      return new AdmissionRefusal('host-not-allowed', `${host.key} is not in ${where}`);
    }
    // Superusers too: netconfd-pro, "subject to session admission control the same as a normal client session".
    const limit = this.limitReached(user, host.key, replacing);
    if (limit !== null) {
      this.stats.connectionsRefusedLimit++;
      return new AdmissionRefusal('connection-limit', limit);
    }
    this.counts.add(user, host.key);
    this.stats.admittedConnections++;
    return new AdmissionTicket(this, user, host.key, group);
  }

  /** Which limit one more connection would exceed, or null. */
  private limitReached(user: string, host: string, replacing: AdmissionTicket | null): string | null {
    const counts = this.counts;
    const { maxConnections, maxConnectionsPerHost } = this.rules.config;
    if (replacing !== null && replacing.isReleased) replacing = null;
    const total = counts.connections - (replacing === null ? 0 : 1);
    if (total >= maxConnections) return `admission.maxConnections (${maxConnections}) reached`;
    const fromHost = counts.ofHost(host) - (replacing !== null && replacing.host === host ? 1 : 0);
    if (fromHost >= maxConnectionsPerHost)
      return `admission.maxConnectionsPerHost (${maxConnectionsPerHost}) reached for ${host}`;
    const userLimit = this.rules.userLimits.limitFor(user);
    const ofUser = counts.ofUser(user) - (replacing !== null && replacing.user === user ? 1 : 0);
    if (ofUser >= userLimit) return `the user's connection limit (${userLimit}) reached`;
    return null;
  }

  /**
   * In a cluster, after admit(): the same limits over every node. Resolves with the refusal (the
   * ticket given back) or null (the ticket then holds its place in the cluster too).
   */
  async admitInCluster(ticket: AdmissionTicket, replacing: AdmissionTicket | null): Promise<AdmissionRefusal | null> {
    const cluster = this.cluster;
    if (cluster === null) return null;
    const sameUser = replacing !== null && !replacing.isReleased && replacing.user === ticket.user;
    const vhost = ticket.vhostSeat?.vhost.rules ?? null;
    const refusal = await cluster.reserve(
      ticket.user,
      this.rules.userLimits.limitFor(ticket.user),
      this.rules.config.maxConnections,
      sameUser,
      vhost === null
        ? null
        : {
            vhost: vhost.vhost,
            maxConnections: vhost.maxConnections,
            maxConnectionsPerUser: vhost.maxConnectionsPerUser,
          },
    );
    if (refusal === null) {
      // Given back in the cluster when the ticket is released (releaseTicket).
      ticket.clusterHeld = true;
      // Released while the reservation was on its way: give the cluster's place back too.
      if (ticket.isReleased) cluster.release(ticket.user, ticket.vhostSeat?.vhost.name ?? null);
      return null;
    }
    this.stats.connectionsRefusedLimit++;
    ticket.release();
    return new AdmissionRefusal('connection-limit', refusal);
  }

  /** Called once per ticket, by the ticket. */
  releaseTicket(ticket: AdmissionTicket): void {
    if (ticket.clusterHeld) this.cluster?.release(ticket.user, ticket.vhostSeat?.vhost.name ?? null);
    this.counts.remove(ticket.user, ticket.host);
    this.stats.admittedConnections--;
    if (this.waiters.length === 0) return;
    const total = this.counts.connections;
    const due = this.waiters.filter((w) => w.atMost >= total);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.atMost < total);
    for (const waiter of due) waiter.resolve();
  }

  /** Admitted connections now: in all, per user, per host. */
  snapshot(): AdmissionCounts {
    return this.counts.snapshot();
  }

  /** The admitted counts and the refusals since start, for the admin interface. */
  status(): ConnectionStatus {
    const s = this.stats;
    return {
      admitted: this.counts.snapshot(),
      refused: {
        protocol: s.connectionsRefusedProtocol,
        rate: s.connectionsRefusedRate,
        user: s.connectionsRefusedUser,
        host: s.connectionsRefusedHost,
        limit: s.connectionsRefusedLimit,
      },
    };
  }

  /** Resolves once at most `n` connections are admitted (at once if that is so now): for draining, and for tests. */
  whenAtMost(n: number): Promise<void> {
    if (this.counts.connections <= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ atMost: n, resolve }));
  }
}
