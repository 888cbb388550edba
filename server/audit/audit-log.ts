// The audit log (docs/admin.md#audit-log): who logged on and who was refused, what admins did
// and with what result, and which entitlement checks denied what, as a stream of its own (a file,
// or stdout with `audit: true` on every line). Denials are rate-limited per (user, action,
// resource): the first of a window is written, later ones are counted into the next line for the
// same triple, so a client retrying a denied publish in a loop cannot flood it. Secrets are never
// written: no password, token or payload.
import type { Logger } from 'pino';

export interface LogonAudit {
  readonly protocol: string;
  readonly session: string;
  readonly user: string;
  readonly listener: string;
  readonly remote: string;
  /** Why it was refused (absent for an accepted logon). */
  readonly reason?: string;
}

export interface AdminAudit {
  /** The authenticated admin, or null when the request was refused before (401). */
  readonly user: string | null;
  readonly method: string;
  readonly path: string;
  readonly remote: string;
  readonly status: number;
  /** The action's name, when the path is an admin action. */
  readonly action?: string;
  /** What the action answered (a reset: how many nodes and connections), or why it failed. */
  readonly result?: unknown;
}

export type DeniedAction = 'read' | 'write';

export interface AuditLimits {
  /** One denial line per (user, action, resource) per window; later ones are counted. */
  readonly denialWindowMs: number;
  /** Triples remembered at most; the oldest is forgotten beyond it (its count with it). */
  readonly maxTracked: number;
}

/** An admin action as the console's history shows it: the audit line's fields and when. */
export interface AuditedAdminAction extends AdminAudit {
  /** ISO 8601. */
  readonly at: string;
  readonly outcome: 'done' | 'refused';
}

/** Admin actions kept in memory for GET /admin/audit (the console's history); the file or stdout has them all. */
export const RECENT_ADMIN_ACTIONS = 100;

interface Window {
  startedAt: number;
  suppressed: number;
}

export class AuditLog {
  private readonly windows = new Map<string, Window>();
  private readonly recent: AuditedAdminAction[] = [];
  /** Admin actions audited since start. */
  private adminCount = 0;

  constructor(
    private readonly log: Logger,
    private readonly limits: AuditLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  logon(outcome: 'accepted' | 'refused', fields: LogonAudit): void {
    // Refusals by the logon guard come in floods (that is why it throttles): rate-limited per address.
    if (fields.reason?.startsWith('throttled') === true) {
      this.limited(`logon\u0000throttled\u0000${fields.remote}`, (suppressed) =>
        this.log.info({ event: 'logon', outcome, ...fields, ...suppressed }, 'audit: logon refused'),
      );
      return;
    }
    // Messages of their own ("audit: ..."), so that nothing waiting for the broker log's "logon" matches these.
    this.log.info({ event: 'logon', outcome, ...fields }, `audit: logon ${outcome}`);
  }

  admin(fields: AdminAudit): void {
    const outcome = fields.status < 400 ? 'done' : 'refused';
    // Only what authenticated admins did: a flood of failed logons must not push the history out.
    if (fields.user !== null) this.remember({ at: new Date(this.clock()).toISOString(), outcome, ...fields });
    const write = (suppressed: { suppressed?: number }): void =>
      this.log.info({ event: 'admin', outcome, ...fields, ...suppressed }, 'audit: admin request');
    // 429: the logon guard is refusing a flood; one line per address per window.
    if (fields.status === 429) this.limited(`admin\u0000throttled\u0000${fields.remote}`, write);
    else write({});
  }

  /** Admin actions audited since start: changes with every new one. */
  get adminActions(): number {
    return this.adminCount;
  }

  /** The latest `limit` admin actions, newest first (at most RECENT_ADMIN_ACTIONS). */
  recentAdminActions(limit: number): AuditedAdminAction[] {
    return this.recent.slice(-limit).reverse();
  }

  private remember(action: AuditedAdminAction): void {
    this.adminCount++;
    this.recent.push(action);
    if (this.recent.length > RECENT_ADMIN_ACTIONS) this.recent.shift();
  }

  /** A module's own event (a circuit opening, a shadow policy's difference): `fields` as the module gave them. */
  module(event: string, fields: Readonly<Record<string, unknown>>): void {
    this.log.info({ ...fields, event }, `audit: ${event}`);
  }

  /** An entitlement check said no (`failed`: the module failed and the check failed closed). */
  denial(user: string, action: DeniedAction, resource: string, reason: string, protocol: string): void {
    this.limited(`${user}\u0000${action}\u0000${resource}`, (suppressed) =>
      this.log.info(
        { event: 'denial', user, action, resource, reason, protocol, ...suppressed },
        'audit: entitlement denied',
      ),
    );
  }

  /** Write the first line of a window for `key`; count the rest into the next one written. */
  private limited(key: string, write: (suppressed: { suppressed?: number }) => void): void {
    const now = this.clock();
    const window = this.windows.get(key);
    if (window !== undefined && now - window.startedAt < this.limits.denialWindowMs) {
      window.suppressed++;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    // Re-inserted, so the map's order is the age of the windows (the oldest goes first).
    this.windows.delete(key);
    this.windows.set(key, { startedAt: now, suppressed: 0 });
    if (this.windows.size > this.limits.maxTracked) this.windows.delete(this.windows.keys().next().value!);
    write(suppressed > 0 ? { suppressed } : {});
  }
}
