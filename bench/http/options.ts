// bench:http's command line, declared once with the other benchmarks' (bench/cli-options.ts): the
// --help text comes from it, and an unknown option or a bad value is one line and exit status 2.
import { defineCommand, type OptionValues } from '../cli-options.js';
import { integerIn } from '../option-values.js';

export const HTTP_BENCH = defineCommand({
  npmScript: 'bench:http',
  node: 'dist/bench/http-publish.js',
  summary: `HTTP publish (POST /api/publish, docs/http.md) against a bare node:http server that reads the body
and answers 204, in the same run: autocannon drives both on 127.0.0.1 with the same keep-alive
connections and the same JSON body. The broker is the real CLI with an HTTP publish listener and
a subscriber on the topic, so every accepted message is delivered. The broker and the bare server
are pinned to core 0, the load generator and the subscriber to core 1, where taskset exists. Runs
alternate between the two servers; the table gives the median of the runs, and the headline ratio
is the median of each round's ratio (the two servers measured back to back).`,
  options: {
    connections: {
      type: 'string',
      value: 'N',
      default: '50',
      parse: integerIn(1, 10_000),
      description: 'concurrent keep-alive connections',
    },
    pipelining: {
      type: 'string',
      value: 'N',
      default: '1',
      parse: integerIn(1, 100),
      description: 'requests in flight per connection',
    },
    seconds: {
      type: 'string',
      value: 'S',
      default: '10',
      parse: integerIn(1, 600),
      description: 'length of each measured run',
    },
    warmup: {
      type: 'string',
      value: 'S',
      default: '2',
      parse: integerIn(0, 60),
      description: 'an unmeasured run against each server first (0: none)',
    },
    runs: {
      type: 'string',
      value: 'N',
      default: '3',
      parse: integerIn(1, 20),
      description: 'measured runs of each server, alternated',
    },
    payload: {
      type: 'string',
      value: 'N',
      default: '64',
      parse: integerIn(0, 1024 * 1024),
      description: 'length of the string in the published data, in bytes',
    },
    out: {
      type: 'string',
      value: 'FILE',
      default: 'bench/results/http-publish.json',
      description: 'JSON results',
    },
  },
});

export type HttpBenchOptions = OptionValues<typeof HTTP_BENCH.options>;
