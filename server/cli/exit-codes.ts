// The `warden` commands' exit statuses, documented in their --help and in docs/admin.md.
export const EXIT = {
  OK: 0,
  /** The command could not do its job: invalid config, HTTP error, unreachable broker, bad password input. */
  FAILURE: 1,
  /** Wrong arguments or missing credentials: nothing was attempted. */
  USAGE: 2,
  /** The admin listener refused the credentials (401) or the action (403). */
  REFUSED: 3,
  /** The store (persistence.path) cannot be opened: damaged, foreign, locked by another broker, or not writable. */
  STORE: 4,
  /** The cluster's Redis (cluster.redis) cannot be reached at start-up. */
  CLUSTER: 5,
  /** Interrupted with Ctrl-C at a password prompt (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
