// Options several benchmarks share, declared once (bench/cli-options.ts): each factory gives the
// option with the program's own range or file, the same name, default and help line everywhere.
import { integerIn, oneOf, positiveUpTo } from './option-values.js';

/** --runs: how many runs, the median reported. */
export const runsOption = (max: number) =>
  ({
    type: 'string',
    value: 'N',
    default: '3',
    parse: integerIn(1, max),
    description: 'runs, median reported',
  }) as const;

/** --seconds: the flood time of each run. */
export const floodSecondsOption = (max: number) =>
  ({ type: 'string', value: 'S', default: '5', parse: positiveUpTo(max), description: 'flood time per run' }) as const;

/** --subscribers: subscribers on the one topic. */
export const subscribersOption = (max: number) =>
  ({
    type: 'string',
    value: 'N',
    default: '100',
    parse: integerIn(1, max),
    description: 'subscribers on the topic',
  }) as const;

/** --encoding: the native protocol's encoding. */
export const encodingOption = () =>
  ({
    type: 'string',
    default: 'msgpack',
    parse: oneOf(['msgpack', 'json'] as const),
    description: 'native encoding: msgpack or json',
  }) as const;

/** --window: messages in flight, at most. */
export const windowOption = (description = 'messages in flight, at most') =>
  ({ type: 'string', value: 'N', default: '2000', parse: integerIn(1, 1_000_000), description }) as const;

/** --out: where the JSON results go. */
export const outOption = <const F extends string>(file: F) =>
  ({ type: 'string', value: 'FILE', default: file, description: 'JSON results' }) as const;

/** --transport: the one WebSocket engine of the native listener (bench:fanout compares both). */
export const engineOption = () =>
  ({
    type: 'string',
    default: 'ws',
    parse: oneOf(['ws', 'uws'] as const),
    description: 'WebSocket engine of the native listener: ws or uws',
  }) as const;
