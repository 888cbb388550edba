// Regex literals in filters run on re2js, the linear-time engine regex subscriptions use, never on
// JavaScript's backtracking RegExp: a filter is untrusted input evaluated for every message.
import { RE2JS, RE2JSException, RE2JSSyntaxException } from 're2js';
import { capMatchState } from '../../topics/compile-topic-regex.js';
import { DEFAULT_MAX_REGEX_MATCH_STATE_BYTES, DEFAULT_MAX_REGEX_PROGRAM_SIZE } from '../../topics/topic-limits.js';
import { FilterError } from './filter-error.js';
import { MAX_FILTER_REGEX_LENGTH } from './filter-limits.js';
import type { RegexNode } from './filter-ast.js';
import { literalMatcher, type TextMatcher } from './literal-regex.js';
import { translateRegex } from './translate-regex.js';

/** Validates and compiles a regex literal; a plain literal pattern skips RE2 when it runs. */
export function compileFilterRegex(node: RegexNode): TextMatcher {
  const { pattern, position } = node;
  const where = position === undefined ? '' : ` (position ${position})`;
  if (pattern.length > MAX_FILTER_REGEX_LENGTH) {
    throw new FilterError(
      `regex in filter is ${pattern.length} characters; the limit is ${MAX_FILTER_REGEX_LENGTH}${where}`,
      'regex length',
      position,
    );
  }
  const translated = translateRegex(pattern, position);
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(translated, flagBits(node.flags));
  } catch (err) {
    throw new FilterError(`regex in filter does not compile: ${compileFailureReason(err)}${where}`, 'regex', position);
  }
  // Source length alone does not bound matching cost (see TopicLimits.maxRegexProgramSize).
  const programSize = regex.programSize();
  if (programSize > DEFAULT_MAX_REGEX_PROGRAM_SIZE) {
    throw new FilterError(
      `regex in filter is too complex: it compiles to ${programSize} instructions; the limit is ${DEFAULT_MAX_REGEX_PROGRAM_SIZE}${where}`,
      'regex complexity',
      position,
    );
  }
  // Each subscription's filter keeps its own regex: without a cap, its DFA may grow to 8 MiB.
  capMatchState(regex, DEFAULT_MAX_REGEX_MATCH_STATE_BYTES);
  return literalMatcher(pattern, node.flags) ?? regex;
}

/** jsonata's scanner only accepts the flags i and m (it adds g itself, which has no effect here). */
function flagBits(flags: string): number {
  let bits = 0;
  if (flags.includes('i')) bits |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) bits |= RE2JS.MULTILINE;
  return bits;
}

function compileFailureReason(err: unknown): string {
  if (err instanceof RE2JSSyntaxException) return err.getDescription();
  if (err instanceof RE2JSException || err instanceof Error) return err.message;
  return String(err);
}
