// The benchmarks' shared command line (bench/cli-options.ts): the help lists every option with its
// default, values are parsed and typed by the declaration, and every mistake is one line naming
// the option.
import { describe, expect, it } from 'vitest';
import { defineCommand, errorLine, helpText, parseOptions } from '../../bench/cli-options.js';
import { integerIn, listOf, oneOf, positiveUpTo } from '../../bench/option-values.js';

const SPEC = defineCommand({
  npmScript: 'bench:example',
  node: 'dist/bench/example.js',
  summary: 'An example benchmark.',
  options: {
    seconds: {
      type: 'string',
      value: 'S',
      default: '5',
      parse: positiveUpTo(60),
      description: 'time per run',
    },
    runs: { type: 'string', value: 'N', default: '3', parse: integerIn(1, 9), description: 'runs, median reported' },
    encoding: {
      type: 'string',
      default: 'msgpack',
      parse: oneOf(['msgpack', 'json'] as const),
      description: 'the wire encoding',
    },
    scenarios: {
      type: 'string',
      value: 'LIST',
      default: 'a,b,c',
      parse: listOf(['a', 'b', 'c'] as const),
      description: 'which scenarios, in this order',
    },
    seed: { type: 'string', value: 'N', defaultText: 'random', parse: integerIn(0, 2 ** 31), description: 'the seed' },
    only: { type: 'string', description: 'a filter with no default and no parser' },
    out: { type: 'string', value: 'FILE', default: 'bench/results/example.json', description: 'JSON results' },
    'no-minimize': { type: 'boolean', description: 'keep failing cases whole' },
  },
});

describe('the help text', () => {
  const help = helpText(SPEC);

  it('gives both ways to run the program, then the summary', () => {
    expect(
      help.startsWith('Usage: npm run bench:example -- [options]\n       node dist/bench/example.js [options]\n\n'),
    ).toBe(true);
    expect(help).toContain('\nAn example benchmark.\n\nOptions:\n');
  });

  it('lists every option on its own line with its value name, description and default', () => {
    const line = (flags: string): string => help.split('\n').find((l) => l.trimStart().startsWith(`${flags} `)) ?? '';
    expect(line('--seconds S')).toMatch(/^ {2}--seconds S {2,}time per run \(default 5\)$/);
    expect(line('--runs N')).toMatch(/runs, median reported \(default 3\)$/);
    expect(line('--encoding VALUE')).toMatch(/the wire encoding \(default msgpack\)$/);
    expect(line('--scenarios LIST')).toMatch(/\(default a,b,c\)$/);
    expect(line('--seed N')).toMatch(/the seed \(default random\)$/);
    expect(line('--only VALUE')).toMatch(/\(default none\)$/);
    expect(line('--out FILE')).toMatch(/JSON results \(default bench\/results\/example\.json\)$/);
    expect(line('--no-minimize')).toMatch(/keep failing cases whole \(default off\)$/);
    expect(line('-h, --help')).toMatch(/print this help and exit$/);
    for (const name of Object.keys(SPEC.options)) expect(help).toContain(`--${name}`);
  });

  it('aligns the descriptions in one column, and wraps a long one under it', () => {
    const spec = defineCommand({
      ...SPEC,
      options: { ...SPEC.options, long: { type: 'string', description: 'word '.repeat(40).trim() } },
    });
    const lines = helpText(spec).split('\n');
    const start = lines.find((l) => l.startsWith('  --seconds'))!.indexOf('time');
    expect(lines.find((l) => l.startsWith('  --out'))!.indexOf('JSON')).toBe(start);
    const at = lines.findIndex((l) => l.startsWith('  --long'));
    expect(lines[at]!.length).toBeLessThanOrEqual(100);
    expect(lines[at + 1]!.slice(0, start).trim()).toBe('');
    expect(lines[at + 1]!.slice(start)).toMatch(/^word/);
  });
});

describe('parsing', () => {
  it('gives the defaults, parsed, when nothing is given', () => {
    expect(parseOptions(SPEC, [])).toEqual({
      kind: 'options',
      values: {
        seconds: 5,
        runs: 3,
        encoding: 'msgpack',
        scenarios: ['a', 'b', 'c'],
        seed: undefined,
        only: undefined,
        out: 'bench/results/example.json',
        'no-minimize': false,
      },
    });
  });

  it('parses given values, separate or after =, and flags', () => {
    const result = parseOptions(SPEC, ['--seconds', '2.5', '--runs=1', '--scenarios', 'c,a', '--no-minimize']);
    expect(result.kind).toBe('options');
    if (result.kind !== 'options') return;
    // Typed by the parsers: a number, a list of the known names, a boolean.
    const seconds: number = result.values.seconds;
    const scenarios: readonly ('a' | 'b' | 'c')[] = result.values.scenarios;
    const flag: boolean = result.values['no-minimize'];
    expect([seconds, result.values.runs, scenarios, flag]).toEqual([2.5, 1, ['a', 'c'], true]);
  });

  it('answers help for --help or -h, even beside a mistake', () => {
    expect(parseOptions(SPEC, ['--help'])).toEqual({ kind: 'help' });
    expect(parseOptions(SPEC, ['-h'])).toEqual({ kind: 'help' });
    expect(parseOptions(SPEC, ['--bogus', '--help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--bogus'], 'unknown option --bogus'],
    [['-x'], 'unknown option -x'],
    [['extra'], 'unexpected argument "extra"'],
    [['--runs'], '--runs needs a value'],
    [['--runs', '--seconds', '2'], '--runs needs a value, got "--seconds"'],
    [['--no-minimize=yes'], '--no-minimize takes no value'],
  ])('refuses %j: %s', (argv, message) => {
    expect(parseOptions(SPEC, argv)).toEqual({ kind: 'error', message });
  });

  it.each([
    [['--runs', '0'], '--runs must be an integer in 1..9'],
    [['--runs', 'x'], '--runs must be an integer in 1..9'],
    [['--runs='], '--runs must be an integer in 1..9'],
    [['--seconds', '0'], '--seconds must be a number in (0, 60]'],
    [['--encoding', 'cbor'], '--encoding must be msgpack or json, got "cbor"'],
    [['--scenarios', 'a,z'], '--scenarios: unknown "z"; known: a, b, c'],
  ])('refuses the bad value %j, naming the option', (argv, message) => {
    expect(parseOptions(SPEC, argv)).toEqual({ kind: 'error', message });
  });

  it('names the option when a parser does not', () => {
    const spec = defineCommand({
      ...SPEC,
      options: {
        size: {
          type: 'string',
          default: '1',
          description: 'a size',
          parse: (text: string): number => {
            if (text === 'big') throw new Error('too big');
            return Number(text);
          },
        },
      },
    });
    expect(parseOptions(spec, ['--size', 'big'])).toEqual({ kind: 'error', message: '--size: too big' });
  });

  it('refuses a combination through check, with its message', () => {
    const check = (values: { runs: number; seconds: number }): void => {
      if (values.runs * values.seconds > 10) throw new Error('--runs x --seconds must be at most 10');
    };
    expect(parseOptions(SPEC, ['--runs', '3', '--seconds', '4'], check)).toEqual({
      kind: 'error',
      message: '--runs x --seconds must be at most 10',
    });
    expect(parseOptions(SPEC, ['--runs', '2'], check).kind).toBe('options');
  });

  it('prints an error as one line, prefixed by the script and pointing to --help', () => {
    const line = errorLine('bench:example', 'unknown option --bogus');
    expect(line).toBe('bench:example: unknown option --bogus (--help lists the options)\n');
    expect(line.split('\n')).toHaveLength(2);
  });
});
