// bench:persist's command line (bench/cli-options.ts): every option with its default and check,
// the --help text generated from them.
import { defineCommand, helpText, type OptionValues } from '../cli-options.js';
import { integerIn, listOf, positiveUpTo } from '../option-values.js';

export const MODES = ['memory', 'none', 'batched', 'always', 'mosquitto'] as const;
export type Mode = (typeof MODES)[number];
export const SCENARIOS = ['queue', 'restart'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const PERSIST_COMMAND = defineCommand({
  npmScript: 'bench:persist',
  node: 'dist/bench/persist.js',
  summary: `Scenario "queue": QoS 1 to an offline persistent subscriber (MQTT 3.1.1, Clean Session 0), then
drained; publish and drain msgs/s per mode. Scenario "restart": the broker's start-up time and RSS
on a store filled with retained messages and sessions, against an empty store. Modes: memory
(persistence.store memory); none, batched, always (LMDB with that persistence.sync, a fresh temp
dir each); mosquitto (/usr/sbin/mosquitto with persistence true). A line on stderr per run.`,
  options: {
    scenarios: {
      type: 'string',
      value: 'LIST',
      default: SCENARIOS.join(','),
      parse: listOf(SCENARIOS),
      description: 'scenarios to run, any of the default ones',
    },
    modes: {
      type: 'string',
      value: 'LIST',
      default: MODES.join(','),
      parse: listOf(MODES),
      description: 'stores to measure, any of the default ones',
    },
    messages: {
      type: 'string',
      value: 'N',
      default: '100000',
      // The listener's send queue (at most 1 GiB) must hold every queued message at the drain.
      parse: integerIn(1, 500_000),
      description: 'messages published to the offline session, then drained',
    },
    'in-flight': {
      type: 'string',
      value: 'N',
      default: '100',
      parse: integerIn(1, 65_535),
      description: 'publishes awaiting their PUBACK, at most',
    },
    payload: {
      type: 'string',
      value: 'N',
      default: '128',
      // A sequence number (8 bytes) at payload offset 0.
      parse: integerIn(8, 64 * 1024),
      description: 'payload bytes of every message',
    },
    runs: {
      type: 'string',
      value: 'N',
      default: '3',
      parse: integerIn(1, 9),
      description: 'runs of each mode, and starts of each store',
    },
    'fsync-seconds': {
      type: 'string',
      value: 'S',
      default: '2',
      parse: positiveUpTo(30),
      description: "length of the disk's write + fsync probe, once per round",
    },
    retained: {
      type: 'string',
      value: 'N',
      default: '100000',
      parse: integerIn(0, 10_000_000),
      description: 'restart: retained messages in the filled store',
    },
    sessions: {
      type: 'string',
      value: 'N',
      default: '10000',
      parse: integerIn(0, 10_000_000),
      description: 'restart: persistent sessions in the filled store',
    },
    subscriptions: {
      type: 'string',
      value: 'N',
      default: '2',
      parse: integerIn(1, 10),
      description: 'restart: subscriptions per session',
    },
    queued: {
      type: 'string',
      value: 'N',
      default: '3',
      parse: integerIn(0, 1_000),
      description: 'restart: QoS 1 messages queued per session',
    },
    out: { type: 'string', value: 'FILE', default: 'bench/results/persist.json', description: 'JSON results' },
  },
});

export const USAGE = helpText(PERSIST_COMMAND);

export interface PersistOptions {
  scenarios: Scenario[];
  modes: Mode[];
  messages: number;
  inFlight: number;
  payloadBytes: number;
  runs: number;
  fsyncSeconds: number;
  retained: number;
  sessions: number;
  subscriptions: number;
  queued: number;
  out: string;
}

/** The parsed command line under the names the benchmark uses. */
export function persistOptions(values: OptionValues<typeof PERSIST_COMMAND.options>): PersistOptions {
  return {
    scenarios: values.scenarios,
    modes: values.modes,
    messages: values.messages,
    inFlight: values['in-flight'],
    payloadBytes: values.payload,
    runs: values.runs,
    fsyncSeconds: values['fsync-seconds'],
    retained: values.retained,
    sessions: values.sessions,
    subscriptions: values.subscriptions,
    queued: values.queued,
    out: values.out,
  };
}
