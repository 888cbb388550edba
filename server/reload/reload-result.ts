// What a live reload answers (POST /admin/reload, `warden admin reload`, SIGHUP's log line):
// docs/admin.md#live-reload documents every field.
import type { ResetMode } from '../config/index.js';
import type { TlsReloadReport } from '../tls/tls-profiles.js';

export type { ResetMode };

/** A difference that cannot be applied to a running broker. */
export interface RefusedChange {
  /** The key path, as config errors write it (`listeners[0].port`). */
  readonly key: string;
  /** Why it needs a restart. */
  readonly reason: string;
  /** The running value; absent when the key is new. Secrets show as `<secret>`. */
  readonly old?: unknown;
  /** The new value; absent when the key was removed. Secrets show as `<secret>`. */
  readonly new?: unknown;
}

/** The entitlement reset that follows a reload which changed users or policy. */
export interface ReloadReset {
  readonly mode: ResetMode;
  /** Connections closed with 4004 (always 0 with `none`). */
  readonly disconnected: number;
  /** `reevaluate`: native subscriptions ended because their read is now denied. */
  readonly subscriptionsRevoked?: number;
}

export interface ReloadResult {
  /** True: the new config is in force (also when nothing changed). False: nothing was applied. */
  readonly applied: boolean;
  /** The config file read, when the reload reads one. */
  readonly file?: string;
  /**
   * Key paths that differ from the running config, live or not; and options naming a file whose
   * contents changed (`security.authentication.options.usersFile`).
   */
  readonly changed: readonly string[];
  /** Present when some difference needs a restart: nothing was applied. */
  readonly refused?: readonly RefusedChange[];
  /** Present when the new config is invalid (the text `warden` prints at start-up): nothing was applied. */
  readonly error?: string;
  /** Present when users or policy changed: the entitlement reset that followed. */
  readonly reset?: ReloadReset;
  /** Present when TLS profiles are configured: each was re-read (its new certificate). */
  readonly tls?: TlsReloadReport;
}

export interface ReloadRequest {
  /** How to reset entitlements if users or policy changed; default: the new config's `reload.reset`. */
  readonly reset?: ResetMode;
  /** What asked for it, for the log: `admin` (the HTTP API), `SIGHUP`, `api` (an embedder). */
  readonly via: string;
}

/** The broker cannot reload: it has no config file to read (an embedder's config object), or it is shutting down. */
export class ReloadUnavailableError extends Error {
  override readonly name = 'ReloadUnavailableError';
}
