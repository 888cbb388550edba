// S2, cross-node latency: one publisher on node A and one subscriber on node B, the publisher
// paced at a fixed rate, every payload stamped with its send time (both clients live in this
// process, so one clock: performance.timeOrigin + performance.now()). Against the same paced load
// with both clients on node A of the same cluster (delivered locally, nothing on the bus), and
// on one Warden process without `cluster`. Latency = receive time - stamp, in an HDR histogram.
import { runNativeFanout } from '../native-raw/generator.js';
import { latencyRecorder, newHistogram } from '../load/run-summary.js';
import { CpuMeter, type ProcessCpu } from './cpu.js';
import { CLUSTER_NODES, stampedPayload } from './fanout.js';
import { waitForRoutes, type WardenNode } from './nodes.js';
import { nodeIdOf, withCluster, withSingleNode } from './setup.js';

export const LATENCY_SETUPS = ['cross-node', 'same-node', 'single'] as const;
export type LatencySetup = (typeof LATENCY_SETUPS)[number];

/** Below this many samples p99.9 rests on fewer than 10 values: not reported. */
export const MIN_SAMPLES_P999 = 10_000;

export interface LatencyParams {
  rate: number;
  seconds: number;
  payloadBytes: number;
}

export interface LatencyRun {
  readonly setup: LatencySetup;
  readonly published: number;
  readonly received: number;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** NaN below MIN_SAMPLES_P999 samples. */
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly cpu: readonly ProcessCpu[];
}

async function paced(
  setup: LatencySetup,
  p: LatencyParams,
  publisher: WardenNode,
  subscriber: WardenNode,
  meter: CpuMeter,
  beforePublish?: () => Promise<void>,
): Promise<LatencyRun> {
  const histogram = newHistogram();
  try {
    const result = await runNativeFanout({
      url: publisher.nativeUrl,
      subscriberUrls: [subscriber.nativeUrl],
      subscribers: 1,
      seconds: p.seconds,
      window: 1000, // unused when paced
      rate: p.rate,
      // A topic per setup: the cross-node subscriber's route is gone from A before the same-node run.
      topic: `bench/cluster/latency/${setup}`,
      payload: { bytes: stampedPayload(p.payloadBytes) },
      stampKind: 'binary',
      brokerCpuMs: meter.read,
      onSample: latencyRecorder(histogram),
      ...(beforePublish === undefined ? {} : { beforePublish }),
    });
    if (result.missing > 0)
      process.stderr.write(`  warning: latency, ${setup}: ${result.missing} messages missing after the drain\n`);
    const ms = (percentile: number): number => histogram.getValueAtPercentile(percentile) / 1000;
    return {
      setup,
      published: result.published,
      received: result.deliveries,
      samples: histogram.totalCount,
      p50Ms: ms(50),
      p99Ms: ms(99),
      p999Ms: histogram.totalCount >= MIN_SAMPLES_P999 ? ms(99.9) : Number.NaN,
      maxMs: histogram.maxValue / 1000,
      cpu: meter.percents(result.seconds),
    };
  } finally {
    histogram.destroy();
  }
}

/** One run of the two cluster setups, on one fresh 3-node cluster: cross-node, then same-node. */
export function runClusterLatency(p: LatencyParams): Promise<LatencyRun[]> {
  return withCluster(CLUSTER_NODES, async ({ nodes, processes }) => {
    const [a, b] = nodes as [WardenNode, WardenNode];
    const cross = await paced('cross-node', p, a, b, new CpuMeter(processes), () =>
      waitForRoutes(a, [nodeIdOf(b.name)], 1),
    );
    const same = await paced('same-node', p, a, a, new CpuMeter(processes));
    return [cross, same];
  });
}

export function runSingleLatency(p: LatencyParams): Promise<LatencyRun> {
  return withSingleNode((node) => paced('single', p, node, node, new CpuMeter([{ name: 'single', pid: node.pid }])));
}
