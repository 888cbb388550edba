// Metrics whose values are read from the broker's own counters when Prometheus scrapes: the
// message path keeps incrementing plain fields and pays nothing for the metrics.
import { Counter, Gauge, type Registry } from 'prom-client';

/** Label values and the value they go with; an empty label set for a metric without labels. */
export type Sample<L extends string> = readonly [Partial<Record<L, string>>, number];

interface PulledMetric<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  /** Read at each scrape. */
  read(): Iterable<Sample<L>>;
}

/** A counter (monotonic, `_total`) whose values come from `read` at each scrape. */
export function pulledCounter<L extends string>(registry: Registry, metric: PulledMetric<L>): void {
  const { read } = metric;
  new Counter<L>({
    name: metric.name,
    help: metric.help,
    labelNames: metric.labelNames ?? [],
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

/** A gauge whose values come from `read` at each scrape; label sets not read this time are dropped. */
export function pulledGauge<L extends string>(registry: Registry, metric: PulledMetric<L>): void {
  const { read } = metric;
  new Gauge<L>({
    name: metric.name,
    help: metric.help,
    labelNames: metric.labelNames ?? [],
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}

/** One sample without labels. */
export function single(value: number): Sample<never>[] {
  return [[{}, value]];
}
