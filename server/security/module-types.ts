// The two pluggable security boundaries (AMPS, "Authentication" and "Entitlement"): plain
// TypeScript types, exported from `warden-broker/server` for people writing their own modules.
// Every method may answer synchronously or with a promise; the broker checks for a thenable.
import type { Logger } from 'pino';
import type { FilterSyntax } from '../content/filter/index.js';
import type { TlsPeerCertificate } from '../tls/peer-certificate.js';
import type { Timers } from '../timers.js';

export type MaybePromise<T> = T | Promise<T>;

// ---- authentication ------------------------------------------------------------------------

/** How the client is proving its identity. */
export type LogonMechanism = 'password' | 'token' | 'SCRAM-SHA-256' | 'implicit' | (string & {});

export interface LogonRequest {
  /** The name the client gave; '' for an implicit logon. */
  readonly user: string;
  readonly password: string | undefined;
  /** A bearer token (e.g. a JWT). */
  readonly token: string | undefined;
  readonly mechanism: LogonMechanism;
  /** Mechanism data from the client's first message (SCRAM's client-first-message). */
  readonly data: string | undefined;
  readonly remoteAddress: string;
  /** The listener's name from the config (`admin` for the admin HTTP listener). */
  readonly listener: string;
  /**
   * The client certificate, verified against the profile's CAs, on a listener with
   * `tls.requireClientCertificate: true`; undefined elsewhere (docs/tls.md).
   */
  readonly peerCertificate: TlsPeerCertificate | undefined;
}

export type AuthAnswer =
  /** Logon accepted; `identity` is the user name the connection has from now on. `data` goes back to the client (SCRAM's server-final-message). */
  | { readonly outcome: 'accept'; readonly identity: string; readonly data?: string }
  /** Logon refused. `reason` is logged; the client only learns LOGON_FAILED. */
  | { readonly outcome: 'reject'; readonly reason: string }
  /** The client must answer `data`; its answer goes to `respond`, which continues the exchange. */
  | {
      readonly outcome: 'challenge';
      readonly data: string;
      respond(response: string): MaybePromise<AuthAnswer>;
    };

export interface AuthenticationModule {
  /** Used in logs. */
  readonly name: string;
  /** True if a command before logon counts as a logon with an empty name (AMPS, "Enabling Implicit Logon"). */
  readonly allowsImplicitLogon?: boolean;
  authenticate(request: LogonRequest): MaybePromise<AuthAnswer>;
  /** Optional: the state of the remote service the module asks (the metrics, GET /admin/entitlements). */
  health?(): ModuleHealth;
  close?(): MaybePromise<void>;
}

// ---- entitlement ---------------------------------------------------------------------------

export type EntitlementAction = 'logon' | 'read' | 'write' | 'admin';
export type ResourceType = 'logon' | 'topic' | 'admin';

export interface EntitlementRequest {
  /** The authenticated identity ('' after an implicit logon). */
  readonly user: string;
  readonly action: EntitlementAction;
  readonly resourceType: ResourceType;
  /** The topic for `topic`; the admin resource path for `admin`; '' for `logon`. */
  readonly resource: string;
}

export type EntitlementAnswer =
  | { readonly allow: false; readonly reason?: string }
  /**
   * `filter` and `select` restrict what is read or written (content filters and select lists).
   * `filterSyntax` is the syntax `filter` is written in; absent, the broker's default
   * (content.filterSyntax, itself `jsonata` by default). docs/entitlement.md#filter-syntax.
   */
  | {
      readonly allow: true;
      readonly filter?: string;
      readonly filterSyntax?: FilterSyntax;
      readonly select?: string;
    };

/** The rule of a module's configuration that decided an answer (for `explain`, docs/admin.md). */
export interface ExplainedRule {
  readonly effect: 'grant' | 'deny';
  /** Where the rule is in the module's configuration, e.g. `groups.traders.grants[1]` or `deny[0]`. */
  readonly location: string;
  /** The group it reached the user through (a grant's group; a deny rule's `groups`), if any. */
  readonly group?: string;
  /** The user it names (a deny rule's `users`: the user, or "*"), if it reached the user that way. */
  readonly user?: string;
  /** Its index in its list: the group's `grants`, or `deny`. */
  readonly index: number;
  /** The rule as written (its fields as JSON). */
  readonly text: string;
  /** The rule's pattern that matched the topic or path; absent for logon and for a rule covering every admin path. */
  readonly pattern?: string;
}

export interface EntitlementExplanation {
  /** Exactly what check() answers for the same request. */
  readonly answer: EntitlementAnswer;
  /** The rule that decided, or null when none matched (the module's default answer). */
  readonly rule: ExplainedRule | null;
}

export interface EntitlementModule {
  readonly name: string;
  check(request: EntitlementRequest): MaybePromise<EntitlementAnswer>;
  /**
   * Optional: check() plus the rule that decided, for the admin `explain` request. Must have no
   * side effects (it is called outside the cache, for an admin's question, never for a client).
   */
  explain?(request: EntitlementRequest): MaybePromise<EntitlementExplanation>;
  /** An entitlement reset: drop whatever the module cached or loaded (the policy module re-reads its file). */
  reset?(): MaybePromise<void>;
  /** Optional: the state of the remote service the module asks (the metrics, GET /admin/entitlements). */
  health?(): ModuleHealth;
  close?(): MaybePromise<void>;
  /**
   * Optional: how the module's shadow policy differs from its live one (docs/entitlement.md#shadow-policy),
   * or null when it has none. Called for `GET /admin/entitlements/shadow` and at each metrics scrape.
   */
  shadowSummary?(): ShadowSummary | null;
  /**
   * Optional: make the shadow policy the live one; the module then has no shadow. The broker follows
   * it with an entitlement reset. Rejects (changing nothing) when there is no shadow.
   */
  promoteShadow?(): MaybePromise<void>;
}

// ---- shadow policies ---------------------------------------------------------------------------

/** An answer as a shadow difference shows it: the decision, and the restrictions of an allow. */
export interface CompactAnswer {
  readonly allow: boolean;
  readonly filter?: string;
  readonly select?: string;
}

/**
 * How the shadow's answer differs from the live one: `allowed-now-denied` (live allows, the shadow
 * denies), `denied-now-allowed`, or, both allowing, `filter-changed` and `select-changed`.
 */
export type ShadowDifferenceKind = 'allowed-now-denied' | 'denied-now-allowed' | 'filter-changed' | 'select-changed';

/** One request whose shadow answer differs from its live answer. */
export interface ShadowDifference {
  /** When it was compared (ISO 8601). */
  readonly at: string;
  readonly user: string;
  readonly action: EntitlementAction;
  readonly resourceType: ResourceType;
  readonly resource: string;
  /** One kind, or both `filter-changed` and `select-changed`. */
  readonly kinds: readonly ShadowDifferenceKind[];
  readonly live: CompactAnswer;
  readonly shadow: CompactAnswer;
  /** Where the rule that decided each answer is (`groups.traders.grants[1]`, `deny[0]`), null when no rule matched. */
  readonly liveRule: string | null;
  readonly shadowRule: string | null;
}

/** Differences counted for one resource (of one action), or for one user. */
export interface ShadowResourceCount {
  readonly action: EntitlementAction;
  readonly resourceType: ResourceType;
  readonly resource: string;
  readonly differences: number;
}

export interface ShadowUserCount {
  readonly user: string;
  readonly differences: number;
}

export interface ShadowSummary {
  /** Where the shadow policy comes from: its file's path, or `inline`. */
  readonly source: string;
  /** When the counts started (ISO 8601): the shadow policy's load. */
  readonly since: string;
  /** Module calls answered by both policies. */
  readonly comparisons: number;
  /** Comparisons whose answers differed. */
  readonly differences: number;
  readonly byKind: Readonly<Record<ShadowDifferenceKind, number>>;
  /** Audit lines of differences held back by the rate limit per (user, action, resource). */
  readonly auditSuppressed: number;
  /** The latest differences, newest first. */
  readonly recent: readonly ShadowDifference[];
  /** The resources (per action) and the users with the most differences, most first. */
  readonly topResources: readonly ShadowResourceCount[];
  readonly topUsers: readonly ShadowUserCount[];
}

// ---- health --------------------------------------------------------------------------------

/**
 * A module that asks a remote service: its circuit breaker and the answers it gave again while
 * the service failed (docs/entitlement.md#circuit-breaker-and-stale-answers). Read when the
 * metrics are scraped and for GET /admin/entitlements; counts start at 0 with each module instance.
 */
export interface ModuleHealth {
  /** `open`: requests fail at once; `half-open`: one request is out as the probe. */
  readonly circuit: 'closed' | 'open' | 'half-open';
  /** Failures since the service last answered. */
  readonly consecutiveFailures: number;
  /** Times the circuit opened. */
  readonly circuitOpens: number;
  /** Requests refused at once, without asking the service, because the circuit was open. */
  readonly circuitRefusals: number;
  /** Answers given again (`serveStaleMs`) while the service failed. */
  readonly staleAnswers: number;
  /** Answers remembered now for that, and the bytes they hold (`staleMaxEntries`, `staleMaxBytes`). */
  readonly staleEntries: number;
  readonly staleBytes: number;
}

// ---- loading -------------------------------------------------------------------------------

/** Which cached entitlement answers a module says are stale: a user's, or only some of them. */
export interface InvalidationTarget {
  readonly user: string;
  /** Only answers for this action (absent: every action). */
  readonly action?: EntitlementAction;
  /** Only answers for this resource: a topic, an admin path (absent: every resource). */
  readonly resource?: string;
}

export interface ModuleContext {
  /** A logger for the module (child of the broker's). */
  readonly log: Logger;
  /** Directory relative paths in the module's options resolve against (the config file's). */
  readonly baseDir: string;
  /** Where the module is configured, e.g. `security.authentication` or `listeners[1].entitlement`: put it in option errors. */
  readonly configPath: string;
  /**
   * Tell the broker that answers it holds are stale (docs/entitlement.md#targeted-invalidation):
   * they are forgotten in every entitlement cache, and the open connections of that user are
   * re-evaluated against the module (no one is disconnected unless a logon is now denied).
   * Returns at once; the re-evaluation runs after.
   */
  invalidate(target: InvalidationTarget): void;
  /**
   * As invalidate(), for every user at once: for a change a module cannot narrow to users it can
   * name (the policy module's `allowUnknownUser`, or a rule reaching users in no group).
   */
  invalidateAll(): void;
  /** Write one line to the audit log, `event` naming its kind; nothing when the audit log is off. Never secrets. */
  audit(event: string, fields: Readonly<Record<string, unknown>>): void;
  /**
   * The broker's clock and timers: use them rather than Date.now and setTimeout, so that tests can
   * move time by hand. The broker always gives them; a context a test builds may not (use realTimers).
   */
  readonly timers?: Timers;
  /**
   * The broker's default filter syntax (content.filterSyntax): what a `filter` in an answer without
   * `filterSyntax` is read as. For a module that compiles its filters early to report them (policy).
   */
  readonly filterSyntax: FilterSyntax;
}

/**
 * What a module file exports as its default export (or a built-in registers): a factory taking
 * the `options` object from the config. It should validate its options and throw a ConfigError
 * (see `parseModuleOptions`) naming the key when they are wrong.
 */
export type AuthenticationModuleFactory = (
  options: Readonly<Record<string, unknown>>,
  context: ModuleContext,
) => MaybePromise<AuthenticationModule>;
export type EntitlementModuleFactory = (
  options: Readonly<Record<string, unknown>>,
  context: ModuleContext,
) => MaybePromise<EntitlementModule>;
