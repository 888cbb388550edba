// One entitlement pattern: an exact topic, an MQTT wildcard filter (`+`, `#`), or a regex after
// `re:`, optionally with placeholders. Parsed and validated once at load; a pattern without
// placeholders is compiled then, one with placeholders is bound per user (see bindTopicPattern).
import { RE2JS } from 're2js';
import { compileTopicRegex } from '../../topics/compile-topic-regex.js';
import {
  DEFAULT_TOPIC_LIMITS,
  parseSubscriptionPattern,
  TopicError,
  type SubscriptionPattern,
  type TopicLimits,
} from '../../topics/index.js';
import {
  fillTemplate,
  hasPlaceholder,
  parseTextTemplate,
  PatternError,
  type PlaceholderName,
  type PlaceholderValues,
  type TemplatePart,
} from './placeholders.js';
import { parseRegexTemplate } from './regex-template.js';
import { ExactMatcher, LevelMatcher, RegexMatcher, type TopicMatcher } from './topic-matcher.js';

export const REGEX_PREFIX = 're:';

/**
 * Patterns come from the operator, not from clients, so regexes may be longer than a client's;
 * the program-size bound still applies because a bound regex contains a user name.
 */
const PATTERN_LIMITS: TopicLimits = { ...DEFAULT_TOPIC_LIMITS, maxRegexLength: 4096, maxRegexProgramSize: 10_000 };

/** Stands in for every placeholder when a regex template is test-compiled at load. */
const PROBE_VALUES: PlaceholderValues = { user: 'x', group: 'x', vhost: 'x' };

/** `null` is a `+` level; otherwise the level's text, possibly with placeholders. */
type LevelTemplate = readonly TemplatePart[] | null;

export type TopicPattern =
  /** No placeholders: one matcher serves every user. */
  | { readonly kind: 'fixed'; readonly source: string; readonly matcher: TopicMatcher }
  | {
      readonly kind: 'levels';
      readonly source: string;
      readonly levels: readonly LevelTemplate[];
      readonly rest: boolean;
    }
  | { readonly kind: 'regex'; readonly source: string; readonly parts: readonly TemplatePart[] };

/** Throws PatternError with a reason when `text` is not a valid pattern. */
export function parseTopicPattern(text: string, allowed: readonly PlaceholderName[]): TopicPattern {
  return text.startsWith(REGEX_PREFIX) ? parseRegexPattern(text, allowed) : parseWildcardPattern(text, allowed);
}

export function patternUses(pattern: TopicPattern, name: PlaceholderName): boolean {
  switch (pattern.kind) {
    case 'fixed':
      return false;
    case 'levels':
      return pattern.levels.some((level) => level !== null && hasPlaceholder(level, name));
    case 'regex':
      return hasPlaceholder(pattern.parts, name);
  }
}

function parseRegexPattern(text: string, allowed: readonly PlaceholderName[]): TopicPattern {
  const source = text.slice(REGEX_PREFIX.length);
  const parts = parseRegexTemplate(source, allowed);
  if (!hasPlaceholder(parts)) return { kind: 'fixed', source: text, matcher: new RegexMatcher(compileRegex(source)) };
  // Every bound value is a quoted atom, so if the template compiles with one value it compiles with any.
  compileRegex(fillRegex(parts, PROBE_VALUES) ?? '');
  return { kind: 'regex', source: text, parts };
}

function parseWildcardPattern(text: string, allowed: readonly PlaceholderName[]): TopicPattern {
  const spec = validateTopicFilter(text);
  const levelTexts = text.split('/');
  const rest = levelTexts.at(-1) === '#';
  if (rest) levelTexts.pop();
  const levels = levelTexts.map((level): LevelTemplate => (level === '+' ? null : parseTextTemplate(level, allowed)));
  if (levels.some((level) => level !== null && hasPlaceholder(level)))
    return { kind: 'levels', source: text, levels, rest };
  const matcher =
    spec.kind === 'exact'
      ? new ExactMatcher(text)
      : new LevelMatcher(
          levelTexts.map((l) => (l === '+' ? null : l)),
          rest,
        );
  return { kind: 'fixed', source: text, matcher };
}

/** The topic engine's own rules for filters (wildcard placement, NUL, length, levels). */
function validateTopicFilter(text: string): SubscriptionPattern {
  try {
    return parseSubscriptionPattern({ topic: text }, PATTERN_LIMITS);
  } catch (error) {
    throw error instanceof TopicError ? new PatternError(error.message) : error;
  }
}

function compileRegex(source: string): RE2JS {
  try {
    return compileTopicRegex(source, PATTERN_LIMITS);
  } catch (error) {
    throw error instanceof TopicError ? new PatternError(error.message) : error;
  }
}

/** Each value becomes one literal atom: quoted so no character of it is regex syntax, grouped so a following quantifier applies to all of it. */
function fillRegex(parts: readonly TemplatePart[], values: PlaceholderValues): string | undefined {
  return fillTemplate(parts, values, (value) => `(?:${RE2JS.quote(value)})`);
}

/** A pattern bound to one user, or why it cannot be (the caller decides what fail-closed means). */
export type BoundPattern = { readonly matcher: TopicMatcher } | { readonly unbound: string };

export function bindTopicPattern(pattern: TopicPattern, values: PlaceholderValues): BoundPattern {
  switch (pattern.kind) {
    case 'fixed':
      return { matcher: pattern.matcher };
    case 'levels':
      return bindLevels(pattern.levels, pattern.rest, values);
    case 'regex': {
      const source = fillRegex(pattern.parts, values);
      if (source === undefined) return { unbound: 'a placeholder value is empty' };
      try {
        return { matcher: new RegexMatcher(compileRegex(source)) };
      } catch (error) {
        return { unbound: error instanceof Error ? error.message : String(error) };
      }
    }
  }
}

/**
 * A placeholder level is compared literally to the filled-in text, so "+" or "#" in a user name
 * is just a character. A value containing "/" would span levels; no single level can equal it.
 */
function bindLevels(levels: readonly LevelTemplate[], rest: boolean, values: PlaceholderValues): BoundPattern {
  const bound: (string | null)[] = [];
  for (const level of levels) {
    if (level === null) {
      bound.push(null);
      continue;
    }
    let crossesLevels = false;
    const text = fillTemplate(level, values, (value) => {
      if (value.includes('/')) crossesLevels = true;
      return value;
    });
    if (text === undefined) return { unbound: 'a placeholder value is empty' };
    if (crossesLevels) return { unbound: 'a placeholder value contains "/"' };
    bound.push(text);
  }
  return { matcher: new LevelMatcher(bound, rest) };
}
