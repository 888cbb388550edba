// What every load-generator run shares, whatever the protocol: the clock, the latency histogram
// (HDR, µs), CPU accounting for the generator (process.cpuUsage) and the broker (/proc, through a
// callback), and the run's figures from its counts.
import hdr, { type Histogram } from 'hdr-histogram-js';

/** One payload in this many carries a timestamp. */
export const SAMPLE_EVERY = 16;
export const SETUP_TIMEOUT_MS = 10_000;
export const DRAIN_TIMEOUT_MS = 5_000;
/** At or above this generator CPU %, the generator (one core) is the limit, not the broker. */
export const GENERATOR_SATURATED_PCT = 90;

/** Wall clock in ms with sub-ms resolution, comparable across the clients of one process. */
export const now = (): number => performance.timeOrigin + performance.now();

export interface LoadResult {
  /** Messages published. */
  published: number;
  /** Messages received by all subscribers together. */
  deliveries: number;
  /** Deliveries expected but not received by the end of the drain. */
  missing: number;
  seconds: number;
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  samples: number;
  /** Deliveries whose stamp could not be read where it was expected (a payload of another shape; 0 when all is well). */
  unreadableStamps: number;
  generatorCpuPct: number;
  /** Broker CPU over the same interval as `seconds` (flood and drain, not setup), or NaN. */
  brokerCpuPct: number;
}

/** The clock and CPU readings taken when a run's timed part starts. */
export interface RunStart {
  started: number;
  cpu0: NodeJS.CpuUsage;
  brokerCpu0: number;
  brokerCpuMs: (() => number) | undefined;
}

export function startRun(brokerCpuMs: (() => number) | undefined): RunStart {
  return { cpu0: process.cpuUsage(), brokerCpu0: brokerCpuMs?.() ?? Number.NaN, started: now(), brokerCpuMs };
}

/** A run's figures from its counts, its start readings and its latency histogram. */
export function summarize(
  published: number,
  delivered: number,
  expected: number,
  start: RunStart,
  histogram: Histogram,
  unreadableStamps = 0,
): LoadResult {
  const elapsed = (now() - start.started) / 1000;
  const cpu = process.cpuUsage(start.cpu0);
  return {
    published,
    deliveries: delivered,
    missing: expected - delivered,
    seconds: elapsed,
    deliveriesPerSec: delivered / elapsed,
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    samples: histogram.totalCount,
    unreadableStamps,
    generatorCpuPct: ((cpu.user + cpu.system) / 1e6 / elapsed) * 100,
    brokerCpuPct: (((start.brokerCpuMs?.() ?? Number.NaN) - start.brokerCpu0) / 1000 / elapsed) * 100,
  };
}

export function newHistogram(): Histogram {
  // Microseconds, 1 us .. 60 s, 3 significant digits.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/** A sample callback recording (now - stamp) into `histogram`, in µs. */
export function latencyRecorder(histogram: Histogram): (stamp: number) => void {
  return (stamp) => histogram.recordValue(Math.max(1, Math.round((now() - stamp) * 1000)));
}

/** Poll `done` every 2 ms; throw naming `what` after `timeoutMs`. */
export async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!done()) {
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
