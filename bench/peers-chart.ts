// bench:peers' figures as a chart (bench/svg-bars.ts): bars per scenario, per broker.
//
// Throughput scenarios differ by orders of magnitude (fan-out deliveries/s in millions, QoS 1
// msgs/s in tens of thousands, connections/s in thousands), so one panel shows each broker's figure
// as a share of the fastest broker's in that scenario, with the measured figure printed at the bar.
// Latency gets its own panel in milliseconds, from the paced scenario only: there every broker
// carries the same offered load, whereas latency under saturation depends on how fast each went.
import { z } from 'zod';
import { barChartSvg, type Bar, type BarChart, type BarGroup, type BarPanel } from './svg-bars.js';

// JSON writes NaN (a percentile of no samples) as null.
const figure = z.number().nullable();
const scenarioSchema = z.object({
  median: z.object({ deliveriesPerSec: z.number(), p50Ms: figure, p99Ms: figure }),
});
const brokerSchema = z.object({
  name: z.string(),
  version: z.string(),
  fanout: scenarioSchema.optional(),
  paced: scenarioSchema.optional(),
  topics: scenarioSchema.optional(),
  publishers: scenarioSchema.optional(),
  qos1: scenarioSchema.optional(),
  storm: z.object({ median: z.object({ connectionsPerSec: z.number() }) }).optional(),
});
const reportSchema = z.object({
  date: z.string(),
  params: z.object({
    seconds: z.number(),
    runs: z.number(),
    subscribers: z.number(),
    // Not in reports written before the chart existed.
    pacedRate: z.number().optional(),
    pinned: z.boolean(),
  }),
  brokers: z.array(brokerSchema),
});

/** What the chart reads of a bench:peers report (the JSON it writes). */
export type PeersReport = z.infer<typeof reportSchema>;
type Broker = PeersReport['brokers'][number];

/** A bench:peers JSON report, checked for what the chart reads; throws with the path of a bad field. */
export function parsePeersReport(json: string): PeersReport {
  const result = reportSchema.safeParse(JSON.parse(json));
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`not a bench:peers report: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return result.data;
}

/** The chart's file for a JSON report's: the same name, .svg for .json. */
export function svgPathFor(jsonPath: string): string {
  return `${jsonPath.replace(/\.json$/i, '')}.svg`;
}

/** 4,121,897 -> 4.12M, 48,957 -> 49.0k, 5,349 -> 5.35k, 28 -> 28. */
export function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e5) return `${(n / 1e3).toFixed(0)}k`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)}k`;
  return n.toFixed(0);
}

interface Throughput {
  readonly key: 'fanout' | 'topics' | 'publishers' | 'qos1' | 'storm';
  readonly label: string;
  readonly unit: string;
  readonly of: (b: Broker) => number | undefined;
}

const THROUGHPUT: readonly Throughput[] = [
  { key: 'fanout', label: 'fan-out', unit: 'deliveries/s', of: (b) => b.fanout?.median.deliveriesPerSec },
  { key: 'topics', label: 'many topics', unit: 'deliveries/s', of: (b) => b.topics?.median.deliveriesPerSec },
  {
    key: 'publishers',
    label: 'many publishers',
    unit: 'deliveries/s',
    of: (b) => b.publishers?.median.deliveriesPerSec,
  },
  { key: 'qos1', label: 'QoS 1', unit: 'msgs/s', of: (b) => b.qos1?.median.deliveriesPerSec },
  { key: 'storm', label: 'connection storm', unit: 'connections/s', of: (b) => b.storm?.median.connectionsPerSec },
];

const seriesName = (b: Broker): string => `${b.name} ${b.version}`;
const exact = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function throughputPanel(brokers: readonly Broker[]): BarPanel | null {
  const groups: BarGroup[] = [];
  for (const t of THROUGHPUT) {
    const figures = brokers.map(t.of);
    const fastest = Math.max(0, ...figures.map((f) => f ?? 0));
    if (figures.every((f) => f === undefined)) continue;
    groups.push({
      label: t.label,
      note: t.unit,
      bars: figures.map((f, i): Bar | null =>
        f === undefined
          ? null
          : {
              value: fastest > 0 ? (f / fastest) * 100 : 0,
              label: compact(f),
              title: `${seriesName(brokers[i]!)}, ${t.label}: ${exact(f)} ${t.unit}`,
            },
      ),
    });
  }
  if (groups.length === 0) return null;
  return {
    title: 'Throughput, each scenario against its fastest broker',
    axisLabel: '% of the fastest broker in the scenario (higher is better); at each bar, the measured figure',
    groups,
    max: 100,
    tickSuffix: '%',
  };
}

function latencyPanel(brokers: readonly Broker[], report: PeersReport): BarPanel | null {
  if (brokers.every((b) => b.paced === undefined)) return null;
  const { pacedRate, subscribers } = report.params;
  const offered = pacedRate === undefined ? undefined : pacedRate * subscribers;
  const load = pacedRate === undefined ? '' : `: ${exact(pacedRate)} msgs/s to ${subscribers} subscribers`;
  /** A broker that fell behind the offered load has a latency of another kind: the label says so. */
  const behind = (b: Broker): string => {
    const rate = b.paced?.median.deliveriesPerSec;
    if (offered === undefined || rate === undefined || rate >= 0.95 * offered) return '';
    return ` (${Math.round((rate / offered) * 100)}% of the load)`;
  };
  const group = (label: string, of: (b: Broker) => number | null | undefined): BarGroup => ({
    label: `paced, ${label}`,
    bars: brokers.map((b): Bar | null => {
      const ms = of(b);
      return ms === null || ms === undefined
        ? null
        : {
            value: ms,
            label: `${ms.toFixed(2)} ms${behind(b)}`,
            title: `${seriesName(b)}, paced ${label}: ${ms.toFixed(3)} ms${behind(b).replace(')', ' delivered)')}`,
          };
    }),
  });
  const someBehind = brokers.some((b) => behind(b) !== '');
  return {
    title: `Latency at a fixed load${load} (the paced scenario)`,
    axisLabel:
      'milliseconds from publish to delivery (lower is better)' +
      (someBehind ? '; (N% of the load): the broker delivered only that share' : ''),
    groups: [group('p50', (b) => b.paced?.median.p50Ms), group('p99', (b) => b.paced?.median.p99Ms)],
    tickSuffix: ' ms',
  };
}

/** The chart of a report: a throughput panel and, when the paced scenario ran, a latency panel. */
export function peersChart(report: PeersReport): BarChart {
  const { runs, seconds, pinned } = report.params;
  const setup = pinned ? 'broker on core 0, generator on core 1' : 'not pinned';
  return {
    title: 'bench:peers: MQTT brokers side by side',
    subtitle: [
      `${report.date.slice(0, 16).replace('T', ' ')} UTC; median of ${runs} x ${seconds} s per scenario; ${setup}`,
    ],
    series: report.brokers.map(seriesName),
    panels: [throughputPanel(report.brokers), latencyPanel(report.brokers, report)].filter(
      (p): p is BarPanel => p !== null,
    ),
  };
}

export function peersChartSvg(report: PeersReport): string {
  return barChartSvg(peersChart(report));
}
