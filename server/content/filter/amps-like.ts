// The regexes of the AMPS syntax: LIKE's pattern (PCRE in AMPS, "Regular Expressions") and the
// literal prefixes and suffixes of BEGINS WITH / ENDS WITH. Both become the RegexNode that
// `$contains(text, /pattern/)` has, so they run on the same linear-time RE2 matcher, with the same
// translation and refusals (filter-regex.ts); a plain literal runs as startsWith/endsWith.
import type { RegexNode } from './filter-ast.js';
import { syntaxError } from './amps-tokens.js';
import { unsupportedConstruct } from './filter-error.js';

/** PCRE's inline flags at the very start of a pattern: `(?i)`, `(?m)` are those `$contains` regexes take. */
const LEADING_FLAGS = /^\(\?([A-Za-z]+)\)/;
const SUPPORTED_FLAGS = /^[im]+$/;
/** Inline flags anywhere else, or scoped `(?i:...)`: JavaScript (and so the JSONata syntax) has neither. */
const INLINE_FLAGS = /\(\?[A-Za-z-]/;

/** ASCII punctuation: escaped, it means itself in JavaScript and RE2 alike (literal-regex.ts). */
const PUNCTUATION = /^[!-/:-@[-`{-~]$/;

/**
 * `text LIKE 'pattern'`. The pattern must be valid as a JavaScript regex (what the JSONata syntax's
 * regex literals are); filter-regex.ts then refuses the constructs RE2 would read differently.
 */
export function likeRegex(pattern: string, position: number): RegexNode {
  const leading = LEADING_FLAGS.exec(pattern);
  if (leading !== null && !SUPPORTED_FLAGS.test(leading[1]!)) {
    throw unsupportedConstruct(`regex flags (?${leading[1]})`, position, 'only (?i) and (?m) are supported');
  }
  const flags = leading === null ? '' : [...new Set(leading[1])].sort().join('');
  const source = leading === null ? pattern : pattern.slice(leading[0].length);
  try {
    // Only to check the syntax, as jsonata does for its regex literals: never run.
    new RegExp(source, flags);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const hint = INLINE_FLAGS.test(source) ? '; inline flags such as (?i) are only read at the start' : '';
    throw syntaxError(`LIKE pattern is not a valid regex: ${reason}${hint}`, position);
  }
  return { kind: 'regex', position, pattern: source, flags };
}

/** `BEGINS WITH ('EUR')` as `/^EUR/`, `ENDS WITH ('USD')` as `/USD$/`. */
export function affixRegex(text: string, where: 'begins' | 'ends', position: number): RegexNode {
  let escaped = '';
  for (const c of text) escaped += PUNCTUATION.test(c) ? `\\${c}` : c;
  const pattern = where === 'begins' ? `^${escaped}` : `${escaped}$`;
  return { kind: 'regex', position, pattern, flags: '' };
}
