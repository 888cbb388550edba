// bench:http's command line (bench/http/options.ts, on bench/cli-options.ts): --help, the defaults
// the help states, and a one-line error for an unknown option or a bad value.
import { describe, expect, it } from 'vitest';
import { helpText, parseOptions } from '../../bench/cli-options.js';
import { HTTP_BENCH } from '../../bench/http/options.js';

describe('bench:http options', () => {
  it('asks for the help with --help or -h, and the help names every option with its default', () => {
    expect(parseOptions(HTTP_BENCH, ['--help'])).toEqual({ kind: 'help' });
    expect(parseOptions(HTTP_BENCH, ['-h'])).toEqual({ kind: 'help' });
    const help = helpText(HTTP_BENCH);
    for (const [flag, byDefault] of [
      ['--connections N', '50'],
      ['--pipelining N', '1'],
      ['--seconds S', '10'],
      ['--warmup S', '2'],
      ['--runs N', '3'],
      ['--payload N', '64'],
      ['--out FILE', 'bench/results/http-publish.json'],
    ]) {
      const line = help.split('\n').find((l) => l.trimStart().startsWith(flag));
      expect(line, flag).toContain(byDefault);
    }
  });

  it('has the defaults the help states', () => {
    expect(parseOptions(HTTP_BENCH, [])).toEqual({
      kind: 'options',
      values: {
        connections: 50,
        pipelining: 1,
        seconds: 10,
        warmup: 2,
        runs: 3,
        payload: 64,
        out: 'bench/results/http-publish.json',
      },
    });
  });

  it.each([
    [['--bogus'], 'unknown option --bogus'],
    [['extra'], 'unexpected argument "extra"'],
    [['--runs'], '--runs needs a value'],
    [['--runs', '0'], '--runs'],
    [['--connections', '1.5'], '--connections'],
  ])('refuses %j with one line', (argv, message) => {
    const result = parseOptions(HTTP_BENCH, argv);
    expect(result.kind).toBe('error');
    const text = (result as { message: string }).message;
    expect(text).toContain(message);
    expect(text).not.toContain('\n');
  });
});
