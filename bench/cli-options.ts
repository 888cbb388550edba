// The benchmarks' command lines. Each program declares its options once (type, default, a one-line
// description, and a parser that turns the text into a checked value); the --help text is generated
// from that declaration and parsing reads the same one, so the help cannot drift from what is
// accepted. An unknown option or a bad value is one line on stderr and exit status 2, not a stack.
import { parseArgs } from 'node:util';

/** An option that takes a value. `parse` turns the text (the default's too) into the value. */
export interface StringOption {
  readonly type: 'string';
  readonly description: string;
  /** The value's name in the help: N, S, LIST, FILE (default: VALUE). */
  readonly value?: string;
  readonly default?: string;
  /** The default as the help shows it, where there is no literal one ("random", "--inputs / 50"). */
  readonly defaultText?: string;
  /** Throws an Error naming `flag` when the text is not a valid value. */
  readonly parse?: (text: string, flag: string) => unknown;
}

/** A flag: true when given, false otherwise. */
export interface BooleanOption {
  readonly type: 'boolean';
  readonly description: string;
}

export type OptionSpec = StringOption | BooleanOption;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface CommandSpec<O extends OptionSpecs> {
  /** The npm script (`bench:fanout`): the usage's first line, and the prefix of an error. */
  readonly npmScript: string;
  /** What `node` runs, arguments first if any (`--expose-gc dist/bench/regex-bench.js`). */
  readonly node: string;
  /** What the program measures, a few lines wrapped by hand. */
  readonly summary: string;
  readonly options: O;
}

type ValueOf<S> = S extends BooleanOption
  ? boolean
  : S extends { readonly parse: (text: string, flag: string) => infer T }
    ? S extends { readonly default: string }
      ? T
      : T | undefined
    : S extends { readonly default: string }
      ? string
      : string | undefined;

/** The parsed values, each typed by its option's `parse` (a string without one). */
export type OptionValues<O extends OptionSpecs> = { readonly [K in keyof O]: ValueOf<O[K]> };

export type ParseResult<O extends OptionSpecs> =
  | { readonly kind: 'help' }
  | { readonly kind: 'options'; readonly values: OptionValues<O> }
  | { readonly kind: 'error'; readonly message: string };

const HELP_FLAGS = '-h, --help';
const WIDTH = 100;

function defaultOf(option: OptionSpec): string {
  if (option.type === 'boolean') return 'off';
  if (option.default !== undefined) return option.default === '' ? 'none' : option.default;
  return option.defaultText ?? 'none';
}

function flagsOf(name: string, option: OptionSpec): string {
  return option.type === 'boolean' ? `--${name}` : `--${name} ${option.value ?? 'VALUE'}`;
}

/** `text` in lines of at most `width` characters, broken at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** The --help text: usage, summary, then every option with its default, -h/--help last. */
export function helpText<O extends OptionSpecs>(spec: CommandSpec<O>): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, option]) => [
    flagsOf(name, option),
    `${option.description} (default ${defaultOf(option)})`,
  ]);
  rows.push([HELP_FLAGS, 'print this help and exit']);
  const column = Math.max(...rows.map(([flags]) => flags.length)) + 4;
  const options = rows.flatMap(([flags, description]) =>
    wrap(description, Math.max(40, WIDTH - column)).map((line, i) =>
      i === 0 ? `  ${flags.padEnd(column - 2)}${line}` : `${' '.repeat(column)}${line}`,
    ),
  );
  return (
    `Usage: npm run ${spec.npmScript} -- [options]\n` +
    `       node ${spec.node} [options]\n\n` +
    `${spec.summary.trim()}\n\n` +
    `Options:\n${options.join('\n')}\n`
  );
}

/** Declares a program's command line; `const` keeps each option's literal type for its value's type. */
export function defineCommand<const O extends OptionSpecs>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** The first line of an error's message (a parser's own words), naming `flag` if it does not. */
function valueError(err: unknown, flag: string): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  return message.includes(flag) ? message : `${flag}: ${message}`;
}

/**
 * Parses `argv` (without node and the script) against `spec`; `check` may throw to refuse a
 * combination of values (its message is the error). Help wins over any error, as users expect.
 */
export function parseOptions<const O extends OptionSpecs>(
  spec: CommandSpec<O>,
  argv: readonly string[],
  check?: (values: OptionValues<O>) => void,
): ParseResult<O> {
  const types = Object.fromEntries(Object.entries(spec.options).map(([name, o]) => [name, { type: o.type }]));
  // Not strict: node:util's own errors are long and differ by Node version; the tokens let this
  // module say in one line what was wrong.
  const { tokens } = parseArgs({
    args: [...argv],
    options: { ...types, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { kind: 'help' };
  const error = (message: string): ParseResult<O> => ({ kind: 'error', message });
  const given = new Map<string, string | true>();
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') return error(`unexpected argument ${JSON.stringify(token.value)}`);
    const option = Object.hasOwn(spec.options, token.name) ? spec.options[token.name] : undefined;
    if (option === undefined) return error(`unknown option ${token.rawName}`);
    const flag = `--${token.name}`;
    if (option.type === 'boolean') {
      if (token.value !== undefined) return error(`${flag} takes no value`);
      given.set(token.name, true);
    } else if (token.value === undefined) return error(`${flag} needs a value`);
    // parseArgs takes the next argument as the value even when it is an option: `--runs --seconds 5`.
    else if (!token.inlineValue && token.value.startsWith('-'))
      return error(`${flag} needs a value, got ${JSON.stringify(token.value)}`);
    else given.set(token.name, token.value);
  }
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    const text = given.get(name);
    if (option.type === 'boolean') {
      values[name] = text === true;
      continue;
    }
    const raw = typeof text === 'string' ? text : option.default;
    try {
      values[name] = raw === undefined || option.parse === undefined ? raw : option.parse(raw, `--${name}`);
    } catch (err) {
      return error(valueError(err, `--${name}`));
    }
  }
  // Built from the specs' own parsers above: each value has the type OptionValues gives it.
  const typed = values as OptionValues<O>;
  try {
    check?.(typed);
  } catch (err) {
    return error(err instanceof Error ? err.message : String(err));
  }
  return { kind: 'options', values: typed };
}

/** The error line a program prints before it exits with status 2. */
export function errorLine(npmScript: string, message: string): string {
  return `${npmScript}: ${message} (--help lists the options)\n`;
}

/**
 * A program's command line: the values, or (before anything has started) the help on stdout and
 * exit 0, or one line on stderr and exit 2.
 */
export function commandLine<const O extends OptionSpecs>(
  spec: CommandSpec<O>,
  check?: (values: OptionValues<O>) => void,
  argv: readonly string[] = process.argv.slice(2),
): OptionValues<O> {
  const result = parseOptions(spec, argv, check);
  if (result.kind === 'options') return result.values;
  if (result.kind === 'help') {
    process.stdout.write(helpText(spec));
    process.exit(0);
  }
  process.stderr.write(errorLine(spec.npmScript, result.message));
  process.exit(2);
}
