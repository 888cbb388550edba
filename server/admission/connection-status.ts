// What the admin interface reports of admission control (GET /admin/connections, `warden admin
// connections`): the admitted connections now, and the refusals since start.
import type { AdmissionCounts } from './connection-counts.js';

export interface ConnectionStatus {
  /** Admitted connections now: in all, per user, per remote address. */
  readonly admitted: AdmissionCounts;
  /** Connections refused since start, by reason (also in the broker stats as connectionsRefused*). */
  readonly refused: {
    readonly protocol: number;
    readonly rate: number;
    readonly user: number;
    readonly host: number;
    readonly limit: number;
  };
}
