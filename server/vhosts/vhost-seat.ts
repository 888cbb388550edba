// An admitted connection's place in its vhost: which vhost and group it is in (their limits narrow
// the connection's), and its count in the vhost's limits, given back once with its admission ticket.
import type { Vhost } from './vhosts.js';
import type { PreparedVhostGroup } from './vhost-policy-rules.js';
import type { VhostTicket } from './vhost-connection-limits.js';

export class VhostSeat {
  constructor(
    readonly vhost: Vhost,
    /** The user's group in the vhost (its maxMessageSize and maxSubscriptions apply). */
    readonly group: PreparedVhostGroup | undefined,
    /** The vhost's count of this connection (an MQTT takeover discounts the one it replaces). */
    readonly ticket: VhostTicket,
  ) {}

  /** Gives the vhost's count back; idempotent. */
  release(): void {
    this.ticket.release();
  }
}
