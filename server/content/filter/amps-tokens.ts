// The tokens of an AMPS-syntax filter (AMPS User Guide, "AMPS Expressions"): XPath-like field
// paths, quoted strings, numbers, keywords and operators. `/` starts a path where an operand is
// expected and divides after one, as `-` does in XPath. Positions are 1-based character columns.
import { FilterError, unsupportedConstruct } from './filter-error.js';
import type { PathStep } from './filter-ast.js';

export type OperatorText =
  '=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%' | '(' | ')' | ',';

export type Token =
  | { readonly kind: 'path'; readonly position: number; readonly steps: readonly PathStep[]; readonly text: string }
  | { readonly kind: 'string'; readonly position: number; readonly value: string; readonly backslash: boolean }
  | { readonly kind: 'number'; readonly position: number; readonly value: number; readonly text: string }
  /** A keyword or any other bare word; `upper` is what keywords are matched on (they are case-insensitive). */
  | { readonly kind: 'word'; readonly position: number; readonly upper: string; readonly text: string }
  | { readonly kind: 'operator'; readonly position: number; readonly text: OperatorText }
  | { readonly kind: 'end'; readonly position: number };

const TWO_CHARACTER_OPERATORS: ReadonlySet<string> = new Set(['==', '!=', '<>', '<=', '>=']);
const ONE_CHARACTER_OPERATORS: ReadonlySet<string> = new Set(['=', '<', '>', '+', '-', '*', '%', '(', ')', ',']);
/** After these words an operand has ended, so a `/` divides. */
const VALUE_WORDS: ReadonlySet<string> = new Set(['TRUE', 'FALSE', 'NULL']);

const WHITESPACE = /^[ \t\r\n]$/;
const WORD_START = /^[A-Za-z_]$/;
const WORD_PART = /^[A-Za-z0-9_]$/;
const DIGIT = /^[0-9]$/;
/** XPath step names: letters, digits, `_`, `-`, `.`, and any non-ASCII character. */
const NAME_PART = /^[A-Za-z0-9_.-]$/;

function isNameCharacter(c: string | undefined): boolean {
  return c !== undefined && (NAME_PART.test(c) || c.charCodeAt(0) >= 0x80);
}

/** `filter does not parse: <problem> (position N)`, as the JSONata syntax words its syntax errors. */
export function syntaxError(problem: string, position: number): FilterError {
  return new FilterError(`filter does not parse: ${problem} (position ${position})`, 'syntax', position);
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.test(c)) {
      i++;
      continue;
    }
    const position = i + 1;
    const previous = tokens[tokens.length - 1];
    if (c === '/' && !endsOperand(previous)) {
      i = readPath(text, i, tokens);
    } else if (c === '[') {
      i = readBracketedPath(text, i, tokens);
    } else if (c === "'" || c === '"') {
      i = readString(text, i, tokens);
    } else if (DIGIT.test(c) || (c === '.' && DIGIT.test(text[i + 1] ?? ''))) {
      i = readNumber(text, i, tokens);
    } else if (WORD_START.test(c)) {
      let end = i + 1;
      while (end < text.length && WORD_PART.test(text[end]!)) end++;
      const word = text.slice(i, end);
      tokens.push({ kind: 'word', position, upper: word.toUpperCase(), text: word });
      i = end;
    } else if (TWO_CHARACTER_OPERATORS.has(text.slice(i, i + 2))) {
      tokens.push({ kind: 'operator', position, text: text.slice(i, i + 2) as OperatorText });
      i += 2;
    } else if (ONE_CHARACTER_OPERATORS.has(c) || c === '/') {
      tokens.push({ kind: 'operator', position, text: c as OperatorText });
      i++;
    } else {
      throw syntaxError(`unexpected character ${JSON.stringify(c)}${c === '!' ? '; negation is NOT' : ''}`, position);
    }
  }
  tokens.push({ kind: 'end', position: text.length + 1 });
  return tokens;
}

function endsOperand(token: Token | undefined): boolean {
  if (token === undefined) return false;
  switch (token.kind) {
    case 'path':
    case 'string':
    case 'number':
      return true;
    case 'word':
      return VALUE_WORDS.has(token.upper);
    case 'operator':
      return token.text === ')';
    default:
      return false;
  }
}

/** `/a/b[0]/c`: steps of XPath names, each with `[n]` subscripts. */
function readPath(text: string, start: number, tokens: Token[]): number {
  const steps: PathStep[] = [];
  let i = start;
  while (text[i] === '/') {
    const stepStart = i + 1;
    const next = text[stepStart];
    if (next === '/') throw unsupportedConstruct('XPath descendant step //', stepStart);
    if (next === '*') throw unsupportedConstruct('XPath wildcard *', stepStart + 1);
    let end = next === '@' ? stepStart + 1 : stepStart;
    while (isNameCharacter(text[end])) end++;
    const name = text.slice(stepStart, end);
    if (next === '@') {
      throw unsupportedConstruct(`XML attribute step ${name}`, stepStart + 1, 'a JSON message has no attributes');
    }
    if (name === '') throw syntaxError('expected a field name after /', stepStart + 1);
    if (name === '.' || name === '..') throw unsupportedConstruct(`XPath step ${name}`, stepStart + 1);
    const indexes: number[] = [];
    i = readSubscripts(text, end, indexes);
    steps.push(Object.freeze({ name, indexes: Object.freeze(indexes) }));
  }
  tokens.push({ kind: 'path', position: start + 1, steps: Object.freeze(steps), text: text.slice(start, i) });
  return i;
}

/**
 * `[/Not Xpath Name]`: AMPS's bracketed identifier, whose names may hold any character but `/` and
 * `]` (spaces included), followed by optional `[n]` subscripts on its last step.
 */
function readBracketedPath(text: string, start: number, tokens: Token[]): number {
  if (text[start + 1] !== '/') {
    throw syntaxError('expected a bracketed field name such as [/my field]', start + 1);
  }
  const close = text.indexOf(']', start);
  if (close < 0) throw syntaxError('expected ] to end the bracketed field name', text.length + 1);
  const names = text.slice(start + 2, close).split('/');
  let offset = start + 2;
  for (const name of names) {
    if (name === '') throw syntaxError('expected a field name after /', offset + 1);
    offset += name.length + 1;
  }
  const indexes: number[] = [];
  const end = readSubscripts(text, close + 1, indexes);
  const steps = names.map((name, k) =>
    Object.freeze({ name, indexes: Object.freeze(k === names.length - 1 ? indexes : []) }),
  );
  tokens.push({ kind: 'path', position: start + 1, steps: Object.freeze(steps), text: text.slice(start, end) });
  return end;
}

/** `[0][1]`: array subscripts, counted from 0 as in AMPS ("Working with Arrays"). */
function readSubscripts(text: string, start: number, indexes: number[]): number {
  let i = start;
  while (text[i] === '[') {
    let end = i + 1;
    while (DIGIT.test(text[end] ?? '')) end++;
    if (end === i + 1 || text[end] !== ']') {
      throw unsupportedConstruct('subscript [...] other than a number', i + 1, 'write /a[0], /a[1], ...');
    }
    indexes.push(Number(text.slice(i + 1, end)));
    i = end + 1;
  }
  return i;
}

/**
 * 'text' or "text". The quote itself is written twice to include it ('it''s'). A backslash is kept
 * as written (LIKE patterns are regexes: '^90\..*'); the parser refuses it in other strings.
 */
function readString(text: string, start: number, tokens: Token[]): number {
  const quote = text[start]!;
  let value = '';
  let backslash = false;
  let i = start + 1;
  for (;;) {
    const c = text[i];
    if (c === undefined) throw syntaxError('unterminated string', start + 1);
    if (c === quote) {
      if (text[i + 1] !== quote) break;
      i++;
    } else if (c === '\\') {
      backslash = true;
    }
    value += c;
    i++;
  }
  tokens.push({ kind: 'string', position: start + 1, value, backslash });
  return i + 1;
}

/** `10`, `91.0`, `.5`, `1e6`. A sign is the unary operator, as in SQL. */
function readNumber(text: string, start: number, tokens: Token[]): number {
  const match = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(text.slice(start))!;
  const end = start + match[0].length;
  if (WORD_PART.test(text[end] ?? '') || text[end] === '.') {
    throw syntaxError(`malformed number ${JSON.stringify(text.slice(start, end + 1))}`, start + 1);
  }
  tokens.push({ kind: 'number', position: start + 1, value: Number(match[0]), text: match[0] });
  return end;
}
