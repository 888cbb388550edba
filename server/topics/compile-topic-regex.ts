// Compiles an untrusted client's regex with re2js (linear-time, no backtracking), never JS RegExp,
// so no subscription can make matching a topic super-linear.
import { RE2JS, RE2JSException, RE2JSSyntaxException } from 're2js';
import { quoteInput, TopicError } from './topic-errors.js';
import {
  DEFAULT_MAX_REGEX_MATCH_STATE_BYTES,
  DEFAULT_MAX_REGEX_PROGRAM_SIZE,
  type TopicLimits,
} from './topic-limits.js';

export function compileTopicRegex(source: unknown, limits: TopicLimits): RE2JS {
  if (typeof source !== 'string' || source.length === 0) {
    throw new TopicError('INVALID_REGEX', 'regex must be a non-empty string');
  }
  if (source.length > limits.maxRegexLength) {
    throw new TopicError(
      'TOPIC_TOO_LONG',
      `regex is ${source.length} characters; the limit is ${limits.maxRegexLength}`,
    );
  }
  let regex: RE2JS;
  try {
    // Flags 0: in particular no LOOKBEHINDS, so lookaround is rejected like any unsupported syntax.
    regex = RE2JS.compile(source);
  } catch (err) {
    throw new TopicError('INVALID_REGEX', `regex does not compile: ${compileFailureReason(err)}`);
  }
  const maxProgramSize = limits.maxRegexProgramSize ?? DEFAULT_MAX_REGEX_PROGRAM_SIZE;
  const programSize = regex.programSize();
  if (programSize > maxProgramSize) {
    throw new TopicError(
      'INVALID_REGEX',
      `regex is too complex: it compiles to ${programSize} instructions; the limit is ${maxProgramSize}`,
    );
  }
  capMatchState(regex, limits.maxRegexMatchStateBytes ?? DEFAULT_MAX_REGEX_MATCH_STATE_BYTES);
  return regex;
}

/**
 * compileTopicRegex for a subscription's regex, which may hold no NUL: as in topics
 * (topic-validation.ts), NUL is reserved for vhost namespaces, whose stored form puts one before a
 * regex's source (vhosts/vhost-namespace.ts). Entitlement regexes may (a user name filled in).
 */
export function compileSubscriptionRegex(source: unknown, limits: TopicLimits): RE2JS {
  if (typeof source === 'string' && source.includes('\u0000')) {
    throw new TopicError('INVALID_REGEX', `regex contains a NUL character: ${quoteInput(source)}`);
  }
  return compileTopicRegex(source, limits);
}

/**
 * re2js gives each regex a lazy DFA whose state cache may grow to 8 MiB, and a pattern like
 * `[ab]*a[ab]{900}c` fills about 2 MiB of it per 1 KB topic: 400 such subscriptions held 800 MB.
 * RE2JS.compile takes no budget, so lower the one its DFA was made with (both fields: the cache is
 * refilled from `stateBudget` on every reset). Past it re2js resets the cache, or gives up on the
 * DFA for that search and runs its NFA, whose state is proportional to the program's size.
 */
export function capMatchState(regex: RE2JS, bytes: number): void {
  const dfa = regex.re2().dfa;
  dfa.stateBudget = bytes;
  dfa.memBudget = bytes;
}

function compileFailureReason(err: unknown): string {
  if (err instanceof RE2JSSyntaxException) {
    const where = err.getPattern();
    return where === null || where === '' ? err.getDescription() : `${err.getDescription()}: ${quoteInput(where)}`;
  }
  // Any other failure (e.g. a stack overflow on pathological nesting) is still the client's input's fault.
  if (err instanceof RE2JSException || err instanceof Error) return err.message;
  return String(err);
}
