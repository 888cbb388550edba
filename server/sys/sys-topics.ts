// `$SYS` topics (sys.enabled, every sys.intervalSec): a Mosquitto-compatible subset of the
// broker's counters, published as retained QoS 0 messages, so that `mosquitto_sub -t '$SYS/#'`
// and dashboards built for Mosquitto read Warden. Reads are entitled like any topic (the example
// policies give them to admins only), and `#` never matches them [MQTT-4.7.2-1]. Only values that
// changed are published again. In a cluster each node publishes its own, to its own clients.
// With vhosts, each vhost has its own `$SYS/broker/...` (its connections and messages, in its
// namespace, for its clients), and the broker-wide view adds `$SYS/broker/vhosts/<name>/...`.
import type { BrokerStats } from '../stats.js';
import type { VhostNamespace } from '../vhosts/vhost-namespace.js';

/** What a vhost's own $SYS shows. */
export interface SysVhost {
  readonly name: string;
  readonly namespace: VhostNamespace;
  readonly limits: { readonly connections: number };
  readonly counters: { readonly messagesReceived: number; readonly deliveries: number };
}

/** What the topics are computed from, read at each interval. */
export interface SysSource {
  readonly stats: BrokerStats;
  /** Persistent sessions kept for absent clients. */
  readonly keptSessions: () => number;
  readonly subscriptions: () => number;
  readonly retainedMessages: () => number;
  /** The vhosts (empty without them). */
  readonly vhosts: () => readonly SysVhost[];
}

/** Publishes one retained $SYS message on this node (no store, no other node). */
export type SysPublish = (topic: string, text: string) => void;

/** Mosquitto's load windows: the moving averages' time constants, in minutes. */
const WINDOWS = [1, 5, 15] as const;

/** A per-minute rate averaged over a window, as Mosquitto's `load/...` values are. */
class LoadAverage {
  private readonly values = [0, 0, 0];
  private last: number | null = null;

  /** `count` is a running total; `seconds` since the previous sample. */
  sample(count: number, seconds: number): readonly number[] {
    if (this.last !== null && seconds > 0) {
      const perMinute = ((count - this.last) / seconds) * 60;
      WINDOWS.forEach((minutes, i) => {
        const weight = 1 - Math.exp(-seconds / (minutes * 60));
        this.values[i] = this.values[i]! + weight * (perMinute - this.values[i]!);
      });
    }
    this.last = count;
    return this.values;
  }
}

export class SysTopics {
  private timer: NodeJS.Timeout | null = null;
  private readonly published = new Map<string, string>();
  private readonly startedAt = Date.now();
  private lastSampleAt = Date.now();
  private readonly received = new LoadAverage();
  private readonly sent = new LoadAverage();
  private readonly connections = new LoadAverage();

  constructor(
    private readonly intervalSec: number,
    private readonly source: SysSource,
    private readonly publish: SysPublish,
    private readonly version: string,
    /** The cluster node this broker is, or null. */
    private readonly nodeId: string | null,
    /** A failure of one round is logged, never thrown into the timer. */
    private readonly failed: (err: unknown) => void,
  ) {}

  start(): void {
    this.publishChanged();
    this.timer = setInterval(() => this.publishChanged(), this.intervalSec * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** The current values, by topic. */
  values(): Map<string, string> {
    const now = Date.now();
    const seconds = (now - this.lastSampleAt) / 1000;
    this.lastSampleAt = now;
    const { stats } = this.source;
    const kept = this.source.keptSessions();
    const values = new Map<string, string>([
      ['$SYS/broker/version', `warden version ${this.version}`],
      ['$SYS/broker/uptime', `${Math.floor((now - this.startedAt) / 1000)} seconds`],
      ['$SYS/broker/clients/connected', String(stats.admittedConnections)],
      ['$SYS/broker/clients/disconnected', String(kept)],
      ['$SYS/broker/clients/total', String(stats.admittedConnections + kept)],
      ['$SYS/broker/messages/received', String(stats.messagesPublished)],
      ['$SYS/broker/messages/sent', String(stats.deliveries)],
      ['$SYS/broker/publish/messages/received', String(stats.messagesPublished)],
      ['$SYS/broker/publish/messages/sent', String(stats.deliveries)],
      ['$SYS/broker/subscriptions/count', String(this.source.subscriptions())],
      ['$SYS/broker/retained messages/count', String(this.source.retainedMessages())],
      ['$SYS/broker/heap/current', String(process.memoryUsage().heapUsed)],
    ]);
    if (this.nodeId !== null) values.set('$SYS/broker/node', this.nodeId);
    for (const vhost of this.source.vhosts()) {
      const own: [string, string][] = [
        ['clients/connected', String(vhost.limits.connections)],
        ['messages/received', String(vhost.counters.messagesReceived)],
        ['messages/sent', String(vhost.counters.deliveries)],
      ];
      // The broker-wide view, for the broker's admins.
      for (const [name, text] of own) values.set(`$SYS/broker/vhosts/${vhost.name}/${name}`, text);
      // The vhost's own, in its namespace; the $default vhost's namespace is the broker's, whose $SYS it sees.
      if (vhost.namespace.prefix === '') continue;
      for (const [name, text] of own) values.set(vhost.namespace.topic(`$SYS/broker/${name}`), text);
      values.set(vhost.namespace.topic('$SYS/broker/version'), `warden version ${this.version}`);
      values.set(vhost.namespace.topic('$SYS/broker/uptime'), `${Math.floor((now - this.startedAt) / 1000)} seconds`);
    }
    const loads: [string, LoadAverage, number][] = [
      ['messages/received', this.received, stats.messagesPublished],
      ['messages/sent', this.sent, stats.deliveries],
      ['connections', this.connections, stats.connectionsAccepted],
    ];
    for (const [name, load, count] of loads) {
      const averages = load.sample(count, seconds);
      WINDOWS.forEach((minutes, i) => values.set(`$SYS/broker/load/${name}/${minutes}min`, averages[i]!.toFixed(2)));
    }
    return values;
  }

  private publishChanged(): void {
    try {
      for (const [topic, text] of this.values()) {
        if (this.published.get(topic) === text) continue;
        this.published.set(topic, text);
        this.publish(topic, text);
      }
    } catch (err) {
      this.failed(err);
    }
  }
}
