// Which config keys a live reload may change, and why the others need a restart. docs/admin.md
// ("Live reload") has the same table for people; a test walks it.
import type { KeyPath } from '../config/key-path.js';

export type Verdict = { readonly live: true } | { readonly live: false; readonly reason: string };

/** Any one key or list position. */
const ANY = Symbol('any');

interface Rule {
  readonly at: readonly (string | typeof ANY)[];
  /**
   * `inside`: a change within an existing entry is live, but adding or removing the entry (the
   * difference is at `at` itself) is not, for `reason`.
   */
  readonly live: true | 'inside';
  readonly reason?: string;
}

const OWN_MODULE = 'adding or removing an own module changes which module open connections are set up with';

const RULES: readonly Rule[] = [
  { at: ['log', 'level'], live: true },
  { at: ['reload'], live: true },
  { at: ['admission'], live: true },
  { at: ['limits'], live: true },
  { at: ['security', 'authentication'], live: true },
  { at: ['security', 'entitlement'], live: true },
  { at: ['listeners', ANY, 'authentication'], live: 'inside', reason: OWN_MODULE },
  { at: ['listeners', ANY, 'entitlement'], live: 'inside', reason: OWN_MODULE },
  { at: ['admin', 'authentication'], live: 'inside', reason: OWN_MODULE },
  { at: ['admin', 'entitlement'], live: 'inside', reason: OWN_MODULE },
  {
    at: ['tls', 'profiles', ANY],
    live: 'inside',
    reason: 'adding or removing a TLS profile: listeners take their profile when they are bound',
  },
];

/** Why each section (or its keys other than the live ones above) needs a restart; the answer says "needs a restart: <reason>". */
const RESTART_REASONS: Readonly<Record<string, string>> = {
  broker: 'the broker name is set at start',
  log: 'the log output is set up at start (only log.level is live)',
  topics: 'the topic engine and its limits are built at start',
  listeners: 'listeners are bound at start (only their authentication and entitlement modules are live)',
  mqtt: "MQTT's session, retained and will limits are set at start",
  persistence: 'the store is opened at start',
  shutdown: 'read at start',
  security:
    'the entitlement cache, module timeout, logon queue and back-off are built at start (only the modules are live)',
  admin: 'the admin listener is bound at start (only its authentication and entitlement modules are live)',
  health: 'the health probes are set up at start',
  sys: 'the $SYS publisher is started at start',
  metrics: 'GET /metrics is set up with the admin listener at start',
  audit: 'the audit log is opened at start',
  content: 'subscriptions and entitlement answers keep the filters they were compiled with',
  tls: 'read at start',
  cluster: "the cluster's Redis connection and node id are set at start",
  vhosts: 'the vhosts, their policies, namespaces and modules are built at start',
};

/** Whether the difference at `path` can be applied to a running broker, and why not. */
export function verdictFor(path: KeyPath): Verdict {
  for (const rule of RULES) {
    if (!matches(rule.at, path)) continue;
    if (rule.live === true || path.length > rule.at.length) return { live: true };
    return { live: false, reason: rule.reason! };
  }
  const section = String(path[0]);
  return { live: false, reason: RESTART_REASONS[section] ?? 'read at start' };
}

/** `at` is `path` or a prefix of it. */
function matches(at: Rule['at'], path: KeyPath): boolean {
  if (path.length < at.length) return false;
  return at.every((key, i) => key === ANY || key === path[i]);
}
