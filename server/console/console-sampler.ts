// The console's charts: every sampleIntervalMs, one reading of the broker's counters turned into
// rates over the interval, kept for historyMs and handed to the open event streams. It reads what
// the broker already counts (BrokerStats, the entitlement cache, module latency totals): nothing is
// added to the message path, and nothing runs when the console is off.
import type { Logger } from 'pino';
import type { BrokerStats } from '../stats.js';
import type { EntitlementStatus } from '../admin/admin-actions.js';
import type { ModuleLatencyTotals, ModuleTotals } from './module-latency.js';

/** One node of a cluster, as its last lease renewal told the others. */
export interface NodeSample {
  readonly node: string;
  readonly alive: boolean;
  readonly self: boolean;
  readonly connections: number;
  readonly messagesInPerSec: number;
  readonly deliveriesPerSec: number;
}

/** What the console's event stream sends every interval (docs/console.md#live-updates). */
export interface ConsoleSample {
  /** Epoch ms of the reading. */
  readonly t: number;
  /** This node's cluster id; null outside a cluster. */
  readonly node: string | null;
  readonly connections: number;
  readonly messagesInPerSec: number;
  readonly deliveriesPerSec: number;
  /** Logons, subscriptions and publishes refused by entitlement (filters included), per second. */
  readonly denialsPerSec: number;
  readonly cacheHitsPerSec: number;
  readonly cacheMissesPerSec: number;
  readonly cache: { readonly size: number; readonly hits: number; readonly misses: number };
  readonly moduleCalls: number;
  readonly moduleFailures: number;
  readonly entitlementsEnabled: boolean;
  /** Mean answer time per module over the interval, in ms; null when it was not called. */
  readonly moduleLatencyMs: Readonly<Record<string, number | null>>;
  /** Changes whenever an admin action is audited: the page fetches the history again. */
  readonly auditSeq: number;
  /** In a cluster: every node's figures. */
  readonly nodes?: readonly NodeSample[];
}

export interface SampleSource {
  readonly stats: BrokerStats;
  entitlementStatus(): EntitlementStatus;
  readonly moduleLatency: ModuleLatencyTotals;
  /** The cluster's nodes; null outside a cluster. */
  clusterNodes(): Promise<readonly NodeSample[]> | null;
  /** The cluster node id, or null. */
  nodeId(): string | null;
  /** Admin actions audited so far (0 when the audit log is off). */
  auditSeq(): number;
}

export interface SamplerOptions {
  readonly intervalMs: number;
  readonly historyMs: number;
}

/** The counters a rate is taken from, at one instant. */
interface Reading {
  readonly at: number;
  readonly messagesIn: number;
  readonly deliveries: number;
  readonly denials: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly latency: Map<string, ModuleTotals>;
}

export type SampleListener = (sample: ConsoleSample) => void;

export class ConsoleSampler {
  private readonly samples: ConsoleSample[] = [];
  private readonly maxSamples: number;
  private readonly listeners = new Set<SampleListener>();
  private previous: Reading | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** A reading waiting for the cluster's view: the next tick is skipped rather than piled on. */
  private busy = false;

  constructor(
    private readonly source: SampleSource,
    readonly options: SamplerOptions,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.maxSamples = Math.max(1, Math.floor(options.historyMs / options.intervalMs));
  }

  start(): void {
    if (this.timer !== null) return;
    this.previous = this.read();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs).unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  /** The samples of the last historyMs, oldest first. */
  history(): readonly ConsoleSample[] {
    return this.samples;
  }

  /** `listener` hears every new sample until the returned function is called. */
  subscribe(listener: SampleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Take a sample now (the timer calls this); resolves when it has been kept and sent. */
  async sample(): Promise<void> {
    const reading = this.read();
    const previous = this.previous ?? reading;
    this.previous = reading;
    const nodes = await this.nodes();
    const sample = this.sampleOf(previous, reading, nodes);
    this.samples.push(sample);
    if (this.samples.length > this.maxSamples) this.samples.splice(0, this.samples.length - this.maxSamples);
    for (const listener of this.listeners) {
      try {
        listener(sample);
      } catch (err) {
        this.log.error({ err }, 'console: a live-update stream failed to take a sample');
      }
    }
  }

  private tick(): void {
    if (this.busy) return;
    this.busy = true;
    this.sample()
      .catch((err: unknown) => this.log.error({ err }, 'console: failed to take a sample'))
      .finally(() => (this.busy = false));
  }

  private async nodes(): Promise<readonly NodeSample[] | undefined> {
    const view = this.source.clusterNodes();
    if (view === null) return undefined;
    try {
      return await view;
    } catch (err) {
      this.log.debug({ err }, "console: the cluster's nodes could not be read for this sample");
      return undefined;
    }
  }

  private read(): Reading {
    const { stats } = this.source;
    const status = this.source.entitlementStatus();
    return {
      at: this.clock(),
      messagesIn: stats.messagesPublished,
      deliveries: stats.deliveries,
      denials: stats.publishesDenied + stats.publishesFiltered + stats.subscriptionsDenied + stats.logonsNotEntitled,
      cacheHits: status.cache.hits,
      cacheMisses: status.cache.misses,
      latency: this.source.moduleLatency.read(),
    };
  }

  private sampleOf(previous: Reading, now: Reading, nodes: readonly NodeSample[] | undefined): ConsoleSample {
    const seconds = Math.max(0.001, (now.at - previous.at) / 1000);
    // Counters restart when entitlements are enabled again (new module contexts): never a negative rate.
    const rate = (before: number, after: number): number => Math.max(0, after - before) / seconds;
    const status = this.source.entitlementStatus();
    const moduleLatencyMs: Record<string, number | null> = {};
    for (const [module, totals] of now.latency) {
      const before = previous.latency.get(module) ?? { answered: 0, seconds: 0 };
      const answered = totals.answered - before.answered;
      moduleLatencyMs[module] = answered > 0 ? ((totals.seconds - before.seconds) / answered) * 1000 : null;
    }
    const sample: ConsoleSample = {
      t: now.at,
      node: this.source.nodeId(),
      connections: this.source.stats.connectionsOpen,
      messagesInPerSec: rate(previous.messagesIn, now.messagesIn),
      deliveriesPerSec: rate(previous.deliveries, now.deliveries),
      denialsPerSec: rate(previous.denials, now.denials),
      cacheHitsPerSec: rate(previous.cacheHits, now.cacheHits),
      cacheMissesPerSec: rate(previous.cacheMisses, now.cacheMisses),
      cache: status.cache,
      moduleCalls: status.moduleCalls,
      moduleFailures: status.failures,
      entitlementsEnabled: status.enabled,
      moduleLatencyMs,
      auditSeq: this.source.auditSeq(),
    };
    return nodes === undefined ? sample : { ...sample, nodes };
  }
}
