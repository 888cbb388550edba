// The common shape of one `bench:abuse` attack: what it adds to the default config, the byte
// caps that should bound what it makes the broker hold, and how it runs.

/** What an attack needs from the harness while it runs. */
export interface AttackContext {
  /** 127.0.0.1 port of the MQTT TCP listener. */
  mqttPort: number;
  /** ws:// URL of the native listener. */
  nativeUrl: string;
  /** A temp directory for this attack (the config's directory: module files and policies go here). */
  dir: string;
  /** The broker's config as resolved (defaults filled in), the YAML shape. */
  config: BrokerConfig;
  /** The broker's process id (for /proc). */
  brokerPid: number;
  /** True while the broker process runs. */
  alive(): boolean;
  /** Resolves when the broker process ends (an attack may race its waits against it). */
  readonly brokerExited: Promise<void>;
  /** The broker's counters now (asked over IPC), or null if it does not answer within timeoutMs. */
  stats(timeoutMs?: number): Promise<Readonly<Record<string, number>> | null>;
  /** Progress notes, to stderr. */
  log(message: string): void;
}

/** The config the harness resolves for the broker, as far as attacks read it (the YAML shape). */
export type BrokerConfig = Record<string, unknown>;

export interface AttackOutcome {
  /** What the attacker got: a refusal code, a disconnect reason, a close code, or "nothing". */
  attackerGot: string;
  /**
   * The attack's own target beyond the common ones (survived, memory, event loop), when it has
   * one: e.g. "the revoked user can no longer publish". null when it has none.
   */
  ownTarget: { met: boolean; expected: string } | null;
  /** Anything else worth a line in the JSON. */
  details?: Record<string, unknown>;
}

export interface Attack {
  /** Short id for --only and the table: the attack's group number and a letter, e.g. `1a`. */
  id: string;
  /** One line for the table. */
  name: string;
  /**
   * What the attack adds to the default config, given its temp directory (it may write module or
   * policy files there first). Listeners, log level and admin are the harness's.
   */
  config?(dir: string): BrokerConfig | Promise<BrokerConfig>;
  /**
   * The configured byte caps that should bound what this attack makes the broker hold, read from
   * the resolved config (keys that do not exist count 0): the memory target is this plus 64 MiB.
   */
  capBytes?(config: BrokerConfig): number;
  /** Upper bound of run() in ms (the harness gives up and kills the broker after it). Default 45 s. */
  timeoutMs?: number;
  /** The user and password the harness's control client logs on with (default: any user, no password check). */
  control?: { user: string; password: string };
  run(ctx: AttackContext): Promise<AttackOutcome>;
}

/** The number at a dotted key path of a config object, or 0 when it is missing: for capBytes. */
export function configNumber(config: BrokerConfig, path: string): number {
  let value: unknown = config;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return 0;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' ? value : 0;
}
