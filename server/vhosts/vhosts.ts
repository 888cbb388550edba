// The broker's vhosts, loaded once at start (docs/vhosts.md): each policy compiled into its rules,
// its topic namespace and its connection limits, and every name compiled for lookups by host name.
// Everything a connection needs from its vhost is reached from the Vhost it is chosen into.
import { isAbsolute, resolve } from 'node:path';
import type { ModuleSpec, WardenConfig } from '../config/index.js';
import { ConfigError } from '../config/config-error.js';
import { VhostConnectionLimits } from './vhost-connection-limits.js';
import { VhostNames } from './vhost-names.js';
import { VhostNamespace } from './vhost-namespace.js';
import { loadInlineVhostPolicies, loadVhostPolicyDirectory, type LoadedVhostPolicy } from './vhost-policy-files.js';
import { VhostPolicyRules } from './vhost-policy-rules.js';

/** What a vhost's clients did, counted per publish (never per delivery): its $SYS and metrics. */
export class VhostCounters {
  /** Publishes accepted from its clients. */
  messagesReceived = 0;
  /** Deliveries those publishes made. */
  deliveries = 0;

  /** One publish of the vhost's clients, and the deliveries it made. */
  published(deliveries: number): void {
    this.messagesReceived++;
    this.deliveries += deliveries;
  }
}

/** One tenant: its policy's rules, its hidden topic namespace and its connection counts. */
export interface Vhost {
  /** The canonical name (lower case; `${vhost}` in patterns, the namespace's name). */
  readonly name: string;
  /** Where the policy came from: its file, or `vhosts.policies[2]`. */
  readonly source: string;
  readonly rules: VhostPolicyRules;
  readonly namespace: VhostNamespace;
  readonly limits: VhostConnectionLimits;
  readonly counters: VhostCounters;
  /** The vhost's own authentication module, if its policy names one. */
  readonly authentication: ModuleSpec | undefined;
}

export class Vhosts {
  private constructor(
    readonly names: VhostNames<Vhost>,
    readonly list: readonly Vhost[],
  ) {}

  /** The vhosts of `config`, or null when vhosts are off. Throws ConfigError naming the key or file. */
  static async load(config: WardenConfig, baseDir: string): Promise<Vhosts | null> {
    const settings = config.vhosts;
    if (!settings.enabled) return null;
    const syntax = config.content.filterSyntax;
    const policies: LoadedVhostPolicy[] =
      settings.dir !== undefined
        ? await loadVhostPolicyDirectory(
            isAbsolute(settings.dir) ? settings.dir : resolve(baseDir, settings.dir),
            'vhosts.dir',
            syntax,
          )
        : loadInlineVhostPolicies(settings.policies ?? [], 'vhosts.policies', syntax);
    return Vhosts.of(config, policies);
  }

  /** The vhosts of policies already loaded, checked against the rest of `config`. */
  static of(config: WardenConfig, policies: readonly LoadedVhostPolicy[]): Vhosts {
    const list: Vhost[] = policies.map(({ definition, source }) => {
      let rules: VhostPolicyRules;
      try {
        rules = new VhostPolicyRules(definition);
      } catch (error) {
        throw new ConfigError([{ path: source, message: (error as Error).message }]);
      }
      return Object.freeze({
        name: rules.vhost,
        source,
        rules,
        namespace: new VhostNamespace(rules.vhost),
        limits: new VhostConnectionLimits(rules),
        counters: new VhostCounters(),
        authentication: definition.authentication,
      });
    });
    let names: VhostNames<Vhost>;
    try {
      names = new VhostNames(
        list.map((vhost) => [vhost.name, vhost] as const),
        { namePatterns: config.vhosts.namePatterns, defaultVhost: config.vhosts.default },
      );
    } catch (error) {
      const message = (error as Error).message;
      throw new ConfigError([{ path: message.includes('default vhost') ? 'vhosts.default' : 'vhosts', message }]);
    }
    const issues = config.listeners.flatMap((listener, index) =>
      listener.vhost !== undefined && names.byName(listener.vhost) === undefined
        ? [{ path: `listeners[${index}].vhost`, message: `expected the name of a vhost, got "${listener.vhost}"` }]
        : [],
    );
    if (issues.length > 0) throw new ConfigError(issues);
    return new Vhosts(names, Object.freeze(list));
  }

  byName(name: string): Vhost | undefined {
    return this.names.byName(name)?.value;
  }
}
