// What each overview chart draws, from the window of samples: its series, uPlot's columns
// (x in seconds, then one column per series, null where a series has no value) and the sentence
// of latest values that doubles as the chart's text alternative.
import { formatCount, formatMs, formatRate } from './format.js';
import type { NodeSample, Sample } from './types.js';

export type ChartKey = 'connections' | 'messagesIn' | 'deliveries' | 'denials' | 'cache' | 'latency';

export interface ChartSpec {
  readonly key: ChartKey;
  readonly caption: string;
  /** Values come and go (a module is called now and then): draw each as a point, as a line cannot join them. */
  readonly sparse?: true;
}

export const CHARTS: readonly ChartSpec[] = [
  { key: 'connections', caption: 'Connections' },
  { key: 'messagesIn', caption: 'Messages in per second' },
  { key: 'deliveries', caption: 'Deliveries out per second' },
  { key: 'denials', caption: 'Denials per second' },
  { key: 'cache', caption: 'Entitlement cache hits and misses per second' },
  { key: 'latency', caption: 'Module latency (ms)', sparse: true },
];

export interface ChartModel {
  /** Series names, in column order. */
  readonly series: readonly string[];
  /** [x seconds, ...one column per series]. */
  readonly columns: readonly (readonly (number | null)[])[];
  /** "Latest: 42", "Latest: hits 3, misses 1". */
  readonly latest: string;
}

type Value = (sample: Sample) => number | null;
type NodeValue = (node: NodeSample) => number;

const seconds = (samples: readonly Sample[]): number[] => samples.map((s) => s.t / 1000);

function model(
  samples: readonly Sample[],
  series: readonly { name: string; value: Value }[],
  describe: (value: number | null) => string,
  /** Name each value even when there is one series (a node, a module), not only a metric's number. */
  named = series.length > 1,
): ChartModel {
  const columns = [seconds(samples), ...series.map(({ value }) => samples.map(value))];
  const last = samples[samples.length - 1];
  let latest: string;
  if (last === undefined) latest = 'Latest: no samples yet';
  else if (series.length === 0) latest = 'Latest: nothing to show';
  else if (!named) latest = `Latest: ${describe(series[0].value(last))}`;
  else latest = `Latest: ${series.map(({ name, value }) => `${name} ${describe(value(last))}`).join(', ')}`;
  return { series: series.map((s) => s.name), columns, latest };
}

/** Node names seen in the window, sorted; empty outside a cluster. */
function nodeNames(samples: readonly Sample[]): string[] {
  const names = new Set<string>();
  for (const sample of samples) for (const node of sample.nodes ?? []) names.add(node.node);
  return [...names].sort();
}

/** One series per node in a cluster (null where a node was absent or down), else one series. */
function perNode(
  samples: readonly Sample[],
  name: string,
  total: Value,
  ofNode: NodeValue,
  describe: (v: number) => string,
) {
  const nodes = nodeNames(samples);
  if (nodes.length === 0) return model(samples, [{ name, value: total }], (v) => (v === null ? '–' : describe(v)));
  const series = nodes.map((node) => ({
    name: node,
    value: (sample: Sample): number | null => {
      const found = sample.nodes?.find((n) => n.node === node);
      return found === undefined || !found.alive ? null : ofNode(found);
    },
  }));
  return model(samples, series, (v) => (v === null ? 'down' : describe(v)), true);
}

/** Module names seen in the window, sorted. */
function moduleNames(samples: readonly Sample[]): string[] {
  const names = new Set<string>();
  for (const sample of samples) for (const name of Object.keys(sample.moduleLatencyMs)) names.add(name);
  return [...names].sort();
}

export function chartModel(key: ChartKey, samples: readonly Sample[]): ChartModel {
  const rate = (v: number | null): string => (v === null ? '–' : formatRate(v));
  switch (key) {
    case 'connections':
      return perNode(
        samples,
        'Connections',
        (s) => s.connections,
        (n) => n.connections,
        formatCount,
      );
    case 'messagesIn':
      return perNode(
        samples,
        'Messages in',
        (s) => s.messagesInPerSec,
        (n) => n.messagesInPerSec,
        formatRate,
      );
    case 'deliveries':
      return perNode(
        samples,
        'Deliveries',
        (s) => s.deliveriesPerSec,
        (n) => n.deliveriesPerSec,
        formatRate,
      );
    case 'denials':
      return model(samples, [{ name: 'Denials', value: (s) => s.denialsPerSec }], rate);
    case 'cache':
      return model(
        samples,
        [
          { name: 'hits', value: (s) => s.cacheHitsPerSec },
          { name: 'misses', value: (s) => s.cacheMissesPerSec },
        ],
        rate,
        true,
      );
    case 'latency': {
      const series = moduleNames(samples).map((name) => ({
        name,
        value: (s: Sample): number | null => s.moduleLatencyMs[name] ?? null,
      }));
      const described = model(samples, series, (v) => (v === null ? 'no calls' : `${formatMs(v)} ms`), true);
      return series.length === 0 && samples.length > 0
        ? { ...described, latest: 'Latest: no module calls' }
        : described;
    }
  }
}
