// S1, fan-out across nodes: one publisher on node A, N subscribers on one topic spread over nodes
// A, B, C (subscriber i on node i mod 3: 34/33/33 for 100), against the same load on one Warden
// process without `cluster`. The native protocol (msgpack) through bench/native-raw's generator,
// as bench:fanout measures Warden's fan-out: plain publishes flooded within a window of messages
// not yet delivered to every subscriber, 1 payload in 16 stamped. Figure: deliveries/s counted by
// all subscribers; CPU % of each Warden process and of redis-server over the same interval.
import { runNativeFanout } from '../native-raw/generator.js';
import type { LoadResult } from '../load/run-summary.js';
import { stampMarker } from '../load/stamp.js';
import { CpuMeter, type ProcessCpu } from './cpu.js';
import { waitForRoutes } from './nodes.js';
import { nodeIdOf, withCluster, withSingleNode } from './setup.js';

export const CLUSTER_NODES = ['A', 'B', 'C'] as const;
const TOPIC = 'bench/cluster/fanout';

export interface FanoutParams {
  subscribers: number;
  seconds: number;
  payloadBytes: number;
  window: number;
}

export interface FanoutRun {
  readonly result: LoadResult;
  /** Each Warden process, then redis-server (cluster only), over the timed part. */
  readonly cpu: readonly ProcessCpu[];
}

/** `payloadBytes` opaque bytes, the stamp (float64) in the first 8. */
export function stampedPayload(payloadBytes: number): Buffer {
  const bytes = Buffer.alloc(payloadBytes);
  stampMarker('binary').copy(bytes, 0);
  return bytes;
}

function warnIncomplete(label: string, result: LoadResult): void {
  if (result.missing > 0)
    process.stderr.write(`  warning: ${label}: ${result.missing} deliveries missing after the drain\n`);
  if (result.unreadableStamps > 0)
    process.stderr.write(`  warning: ${label}: ${result.unreadableStamps} stamps unreadable\n`);
}

export function runClusterFanout(p: FanoutParams): Promise<FanoutRun> {
  return withCluster(CLUSTER_NODES, async ({ nodes, processes }) => {
    const meter = new CpuMeter(processes);
    const [a] = nodes;
    const result = await runNativeFanout({
      url: a!.nativeUrl,
      subscriberUrls: nodes.map((n) => n.nativeUrl),
      subscribers: p.subscribers,
      seconds: p.seconds,
      window: p.window,
      topic: TOPIC,
      payload: { bytes: stampedPayload(p.payloadBytes) },
      stampKind: 'binary',
      brokerCpuMs: meter.read,
      // A forwards to B and C only once it knows their subscriptions.
      beforePublish: () => waitForRoutes(a!, CLUSTER_NODES.slice(1).map(nodeIdOf), 1),
    });
    warnIncomplete('fan-out, cluster', result);
    return { result, cpu: meter.percents(result.seconds) };
  });
}

export function runSingleFanout(p: FanoutParams): Promise<FanoutRun> {
  return withSingleNode(async (node) => {
    const meter = new CpuMeter([{ name: 'single', pid: node.pid }]);
    const result = await runNativeFanout({
      url: node.nativeUrl,
      subscribers: p.subscribers,
      seconds: p.seconds,
      window: p.window,
      topic: TOPIC,
      payload: { bytes: stampedPayload(p.payloadBytes) },
      stampKind: 'binary',
      brokerCpuMs: meter.read,
    });
    warnIncomplete('fan-out, single process', result);
    return { result, cpu: meter.percents(result.seconds) };
  });
}
