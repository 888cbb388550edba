// bench:cluster's command line (bench/cli-options.ts): every option with its default and check,
// the --help text generated from them.
import { defineCommand, helpText, type OptionValues } from '../cli-options.js';
import { integerIn, listOf, positiveUpTo } from '../option-values.js';

export const SCENARIOS = ['fanout', 'latency', 'reset', 'connect'] as const;
export type Scenario = (typeof SCENARIOS)[number];

// Every run stops by itself: a long one on a shared machine is a mistake more often than not.
const seconds = (description: string, fallback: string) =>
  ({ type: 'string', value: 'S', default: fallback, parse: positiveUpTo(120), description }) as const;

export const CLUSTER_COMMAND = defineCommand({
  npmScript: 'bench:cluster',
  node: 'dist/bench/cluster.js',
  summary: `What a Warden cluster (docs/cluster.md) costs against one process, on 127.0.0.1. Every run starts
its own redis-server (free port, --save '' --appendonly no) and its own Warden processes in a temp
dir, and stops them by PID. Nothing is pinned: all processes share the machine's cores. A line on
stderr per run.

Scenarios:
  fanout    S1: 1 native publisher on node A, --subscribers spread over nodes A, B, C (34/33/33 for
            100) on one topic, flooded for --seconds; against the same on one process without cluster
  latency   S2: 1 publisher on A, 1 subscriber on B, paced at --rate msgs/s for --latency-seconds;
            against both on A, and both on one process without cluster: p50 / p99 / p99.9
  reset     S3: --reset-clients connected clients on each of 3 nodes; POST /admin/entitlements/reset
            on A, --resets times: time to the answer, and until the last client on C is closed
  connect   S4: MQTT CONNECT / CONNACK / DISCONNECT cycles, --concurrency at a time, for
            --connect-seconds, against warden --workers 1 and --workers 2 (with cluster.redis), and
            one process without cluster`,
  options: {
    scenarios: {
      type: 'string',
      value: 'LIST',
      default: SCENARIOS.join(','),
      parse: listOf(SCENARIOS),
      description: 'scenarios to run, any of the default ones',
    },
    runs: {
      type: 'string',
      value: 'N',
      default: '3',
      parse: integerIn(1, 9),
      description: "runs of each scenario's setups, median reported",
    },
    subscribers: {
      type: 'string',
      value: 'N',
      default: '100',
      parse: integerIn(3, 10_000),
      description: 'fanout: subscribers',
    },
    seconds: seconds('fanout: flood time per run', '5'),
    payload: {
      type: 'string',
      value: 'N',
      default: '128',
      // A float64 send time at payload offset 0.
      parse: integerIn(8, 64 * 1024),
      description: 'fanout, latency: payload bytes',
    },
    window: {
      type: 'string',
      value: 'N',
      default: '1000',
      // The flood writes buffers of 16 messages (bench/load/run-summary.ts SAMPLE_EVERY).
      parse: integerIn(16, 100_000),
      description: 'fanout: messages published and not yet delivered to every subscriber, at most',
    },
    rate: {
      type: 'string',
      value: 'N',
      default: '10000',
      parse: integerIn(1, 200_000),
      description: 'latency: messages/s',
    },
    'latency-seconds': seconds('latency: paced time per run', '3'),
    resets: {
      type: 'string',
      value: 'N',
      default: '20',
      parse: integerIn(1, 1000),
      description: 'reset: timed resets per run',
    },
    'reset-clients': {
      type: 'string',
      value: 'N',
      default: '10',
      parse: integerIn(1, 1000),
      description: 'reset: native clients connected to each node before each reset',
    },
    concurrency: {
      type: 'string',
      value: 'N',
      default: '50',
      parse: integerIn(1, 1000),
      description: 'connect: cycles in flight',
    },
    'connect-seconds': seconds('connect: time per run', '5'),
    out: { type: 'string', value: 'FILE', default: 'bench/results/cluster.json', description: 'JSON results' },
  },
});

export const USAGE = helpText(CLUSTER_COMMAND);

export interface ClusterBenchOptions {
  scenarios: Scenario[];
  runs: number;
  subscribers: number;
  seconds: number;
  payloadBytes: number;
  window: number;
  rate: number;
  latencySeconds: number;
  resets: number;
  resetClients: number;
  concurrency: number;
  connectSeconds: number;
  out: string;
}

/** The parsed command line under the names the benchmark uses. */
export function clusterOptions(values: OptionValues<typeof CLUSTER_COMMAND.options>): ClusterBenchOptions {
  return {
    scenarios: values.scenarios,
    runs: values.runs,
    subscribers: values.subscribers,
    seconds: values.seconds,
    payloadBytes: values.payload,
    window: values.window,
    rate: values.rate,
    latencySeconds: values['latency-seconds'],
    resets: values.resets,
    resetClients: values['reset-clients'],
    concurrency: values.concurrency,
    connectSeconds: values['connect-seconds'],
    out: values.out,
  };
}
