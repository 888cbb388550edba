// bench:persist's command line: node:util parseArgs, checked, with a usage text for --help.
import { parseArgs } from 'node:util';
import { integer, list } from '../option-values.js';

export const MODES = ['memory', 'none', 'batched', 'always', 'mosquitto'] as const;
export type Mode = (typeof MODES)[number];
export const SCENARIOS = ['queue', 'restart'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const USAGE = `Usage: npm run bench:persist -- [options]
       node dist/bench/persist.js [options]

Scenario "queue": QoS 1 to an offline persistent subscriber (MQTT 3.1.1, Clean Session 0), then
drained; publish and drain msgs/s per mode. Scenario "restart": the broker's start-up time and RSS
on a store filled with retained messages and sessions, against an empty store.

Options:
  --scenarios LIST     queue,restart (default: both)
  --modes LIST         memory,none,batched,always,mosquitto (default: all). memory: Warden with
                       persistence.store memory; none/batched/always: Warden on LMDB with that
                       persistence.sync, a fresh temp dir each; mosquitto: /usr/sbin/mosquitto with
                       persistence true
  --messages N         messages published to the offline session, then drained (default 100000)
  --in-flight N        publishes awaiting their PUBACK, at most (default 100)
  --payload N          payload bytes of every message (default 128)
  --runs N             runs of each mode, and starts of each store (default 3)
  --fsync-seconds S    length of the disk's write + fsync probe, once per round (default 2)
  --retained N         restart: retained messages in the filled store (default 100000)
  --sessions N         restart: persistent sessions in the filled store (default 10000)
  --subscriptions N    restart: subscriptions per session, 1..10 (default 2)
  --queued N           restart: QoS 1 messages queued per session (default 3)
  --out FILE           JSON results (default bench/results/persist.json)
  -h, --help           print this and exit
`;

export interface PersistOptions {
  help: boolean;
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

/** The options from `argv` (without node and the script); throws with a message on a bad value. */
export function parsePersistArgs(argv: string[]): PersistOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      scenarios: { type: 'string', default: SCENARIOS.join(',') },
      modes: { type: 'string', default: MODES.join(',') },
      messages: { type: 'string', default: '100000' },
      'in-flight': { type: 'string', default: '100' },
      payload: { type: 'string', default: '128' },
      runs: { type: 'string', default: '3' },
      'fsync-seconds': { type: 'string', default: '2' },
      retained: { type: 'string', default: '100000' },
      sessions: { type: 'string', default: '10000' },
      subscriptions: { type: 'string', default: '2' },
      queued: { type: 'string', default: '3' },
      out: { type: 'string', default: 'bench/results/persist.json' },
    },
  });
  const fsyncSeconds = Number(values['fsync-seconds']);
  if (!(fsyncSeconds > 0 && fsyncSeconds <= 30)) throw new Error('--fsync-seconds must be in (0, 30]');
  return {
    help: values.help,
    scenarios: list(values.scenarios, SCENARIOS, '--scenarios'),
    modes: list(values.modes, MODES, '--modes'),
    // The listener's send queue (at most 1 GiB) must hold every queued message at the drain.
    messages: integer(values.messages, '--messages', 1, 500_000),
    inFlight: integer(values['in-flight'], '--in-flight', 1, 65_535),
    // A sequence number (8 bytes) at payload offset 0.
    payloadBytes: integer(values.payload, '--payload', 8, 64 * 1024),
    runs: integer(values.runs, '--runs', 1, 9),
    fsyncSeconds,
    retained: integer(values.retained, '--retained', 0, 10_000_000),
    sessions: integer(values.sessions, '--sessions', 0, 10_000_000),
    subscriptions: integer(values.subscriptions, '--subscriptions', 1, 10),
    queued: integer(values.queued, '--queued', 0, 1_000),
    out: values.out,
  };
}
