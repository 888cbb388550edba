// bench:http's command line (bench/http/options.ts): --help, the defaults the usage states, and a
// one-line error for an unknown option or a bad value.
import { describe, expect, it } from 'vitest';
import { USAGE, parseHttpBenchArgs } from '../../bench/http/options.js';

describe('bench:http options', () => {
  it('asks for the usage with --help or -h, and the usage names every option with its default', () => {
    expect(parseHttpBenchArgs(['--help']).help).toBe(true);
    expect(parseHttpBenchArgs(['-h']).help).toBe(true);
    for (const line of [
      '--connections N   concurrent keep-alive connections (default 50)',
      '--pipelining N    requests in flight per connection (default 1)',
      '--seconds S       length of each measured run (default 10)',
      '--warmup S',
      '--runs N          measured runs of each server, alternated (default 3)',
      '--payload N',
      '--out FILE        JSON results (default bench/results/http-publish.json)',
    ])
      expect(USAGE).toContain(line);
  });

  it('has the defaults the usage states', () => {
    expect(parseHttpBenchArgs([])).toEqual({
      help: false,
      connections: 50,
      pipelining: 1,
      seconds: 10,
      warmup: 2,
      runs: 3,
      payloadBytes: 64,
      out: 'bench/results/http-publish.json',
    });
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'; see --help"],
    [['extra'], "Unexpected argument 'extra'; see --help"],
    [['--runs'], "Option '--runs <value>' argument missing; see --help"],
    [['--runs', '0'], '--runs must be an integer in 1..20'],
    [['--connections', '1.5'], '--connections must be an integer in 1..10000'],
  ])('refuses %j with one line', (argv, message) => {
    expect(() => parseHttpBenchArgs(argv)).toThrow(new Error(message));
  });
});
