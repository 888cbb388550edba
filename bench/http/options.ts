// bench:http's command line: node:util parseArgs, checked, with a usage text for --help and a
// one-line error for an unknown option or a bad value.
import { parseArgs } from 'node:util';
import { integer } from '../option-values.js';

export const USAGE = `Usage: npm run bench:http -- [options]
       node dist/bench/http-publish.js [options]

HTTP publish (POST /api/publish, docs/http.md) against a bare node:http server that reads the body
and answers 204, in the same run: autocannon drives both on 127.0.0.1 with the same keep-alive
connections and the same JSON body. The broker is the real CLI with an HTTP publish listener and
a native SDK subscriber on the topic, so every accepted message is delivered. The broker and the
bare server are pinned to core 0, the load generator and the subscriber to core 1, where taskset
exists. Runs alternate between the two servers; the table gives the median of the runs, and the
headline ratio is the median of each round's ratio (the two servers measured back to back).

Options:
  --connections N   concurrent keep-alive connections (default 50)
  --pipelining N    requests in flight per connection (default 1)
  --seconds S       length of each measured run (default 10)
  --warmup S        an unmeasured run against each server first (default 2; 0: none)
  --runs N          measured runs of each server, alternated (default 3)
  --payload N       length of the string in the published data, in bytes (default 64)
  --out FILE        JSON results (default bench/results/http-publish.json)
  -h, --help        print this and exit
`;

export interface HttpBenchOptions {
  readonly help: boolean;
  readonly connections: number;
  readonly pipelining: number;
  readonly seconds: number;
  readonly warmup: number;
  readonly runs: number;
  readonly payloadBytes: number;
  readonly out: string;
}

/** The options from `argv` (without node and the script); throws an Error whose message is one line. */
export function parseHttpBenchArgs(argv: string[]): HttpBenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        connections: { type: 'string', default: '50' },
        pipelining: { type: 'string', default: '1' },
        seconds: { type: 'string', default: '10' },
        warmup: { type: 'string', default: '2' },
        runs: { type: 'string', default: '3' },
        payload: { type: 'string', default: '64' },
        out: { type: 'string', default: 'bench/results/http-publish.json' },
      },
    }));
  } catch (err) {
    // parseArgs' own text, first line only ("Unknown option '--x'. To specify a positional ..."), without its stack.
    throw new Error(`${(err as Error).message.split('. ')[0]!}; see --help`);
  }
  return {
    help: values.help,
    connections: integer(values.connections, '--connections', 1, 10_000),
    pipelining: integer(values.pipelining, '--pipelining', 1, 100),
    seconds: integer(values.seconds, '--seconds', 1, 600),
    warmup: integer(values.warmup, '--warmup', 0, 60),
    runs: integer(values.runs, '--runs', 1, 20),
    payloadBytes: integer(values.payload, '--payload', 0, 1024 * 1024),
    out: values.out,
  };
}
