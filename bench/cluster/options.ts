// bench:cluster's command line: node:util parseArgs, checked, with a usage text for --help.
import { parseArgs } from 'node:util';
import { integer, list } from '../option-values.js';

export const SCENARIOS = ['fanout', 'latency', 'reset', 'connect'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const USAGE = `Usage: npm run bench:cluster -- [options]
       node dist/bench/cluster.js [options]

What a Warden cluster (docs/cluster.md) costs against one process, on 127.0.0.1. Every run starts
its own redis-server (free port, --save '' --appendonly no) and its own Warden processes in a temp
dir, and stops them by PID. Nothing is pinned: all processes share the machine's cores.

Scenarios:
  fanout    S1: 1 native publisher on node A, --subscribers spread over nodes A, B, C (34/33/33 for
            100) on one topic, flooded for --seconds; against the same on one process without cluster
  latency   S2: 1 publisher on A, 1 subscriber on B, paced at --rate msgs/s for --latency-seconds;
            against both on A, and both on one process without cluster: p50 / p99 / p99.9
  reset     S3: --reset-clients connected clients on each of 3 nodes; POST /admin/entitlements/reset
            on A, --resets times: time to the answer, and until the last client on C is closed
  connect   S4: MQTT CONNECT / CONNACK / DISCONNECT cycles, --concurrency at a time, for
            --connect-seconds, against warden --workers 1 and --workers 2 (with cluster.redis), and
            one process without cluster

Options:
  --scenarios LIST      fanout,latency,reset,connect (default: all)
  --runs N              runs of each scenario's setups, median reported (default 3)
  --subscribers N       fanout: subscribers (default 100)
  --seconds S           fanout: flood time per run (default 5)
  --payload N           fanout, latency: payload bytes, 8..65536 (default 128)
  --window N            fanout: messages published and not yet delivered to every subscriber, at
                        most (default 1000)
  --rate N              latency: messages/s (default 10000)
  --latency-seconds S   latency: paced time per run (default 3)
  --resets N            reset: timed resets per run (default 20)
  --reset-clients N     reset: native clients connected to each node before each reset (default 10)
  --concurrency N       connect: cycles in flight (default 50)
  --connect-seconds S   connect: time per run (default 5)
  --out FILE            JSON results (default bench/results/cluster.json)
  -h, --help            print this and exit
`;

export interface ClusterBenchOptions {
  help: boolean;
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

function seconds(value: string, flag: string): number {
  const n = Number(value);
  // Every run stops by itself: a long one on a shared machine is a mistake more often than not.
  if (!(n > 0 && n <= 120)) throw new Error(`${flag} must be a number of seconds in (0, 120]`);
  return n;
}

/** The options from `argv` (without node and the script); throws with a message on a bad value. */
export function parseClusterArgs(argv: string[]): ClusterBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      scenarios: { type: 'string', default: SCENARIOS.join(',') },
      runs: { type: 'string', default: '3' },
      subscribers: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '5' },
      payload: { type: 'string', default: '128' },
      window: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '10000' },
      'latency-seconds': { type: 'string', default: '3' },
      resets: { type: 'string', default: '20' },
      'reset-clients': { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '50' },
      'connect-seconds': { type: 'string', default: '5' },
      out: { type: 'string', default: 'bench/results/cluster.json' },
    },
  });
  return {
    help: values.help,
    scenarios: list(values.scenarios, SCENARIOS, '--scenarios'),
    runs: integer(values.runs, '--runs', 1, 9),
    subscribers: integer(values.subscribers, '--subscribers', 3, 10_000),
    seconds: seconds(values.seconds, '--seconds'),
    // A float64 send time at payload offset 0.
    payloadBytes: integer(values.payload, '--payload', 8, 64 * 1024),
    // The flood writes buffers of 16 messages (bench/load/run-summary.ts SAMPLE_EVERY).
    window: integer(values.window, '--window', 16, 100_000),
    rate: integer(values.rate, '--rate', 1, 200_000),
    latencySeconds: seconds(values['latency-seconds'], '--latency-seconds'),
    resets: integer(values.resets, '--resets', 1, 1000),
    resetClients: integer(values['reset-clients'], '--reset-clients', 1, 1000),
    concurrency: integer(values.concurrency, '--concurrency', 1, 1000),
    connectSeconds: seconds(values['connect-seconds'], '--connect-seconds'),
    out: values.out,
  };
}
