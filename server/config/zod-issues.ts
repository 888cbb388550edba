// Turns zod 4 issues into ConfigIssues that read `path: expected <form>, got <value>`.
// Two halves: `errorMap` runs during parsing (where the failing schema is at hand) to word the
// expected form and note which keys each object accepts; `toConfigIssues` runs after, adding
// the path and the offending value, or `<secret>` for values that came from substitution.
import { z } from 'zod';
import type { ConfigIssue } from './config-error.js';
import { formatKeyPath, isWithin, type KeyPath } from './key-path.js';
import { closestMatch } from './suggest.js';

const MAX_VALUE_CHARS = 80;
const SECRET = '<secret>';

export interface IssueFormatter {
  /** Pass as `error` in the safeParse context. */
  readonly errorMap: z.core.$ZodErrorMap;
  toConfigIssues(
    issues: readonly z.core.$ZodIssue[],
    secretPaths: readonly KeyPath[],
    templates?: ReadonlyMap<string, string>,
  ): ConfigIssue[];
}

/** One formatter per parse: it remembers the accepted keys of the objects that had unknown ones. */
export function createIssueFormatter(): IssueFormatter {
  const acceptedKeys = new Map<string, readonly string[]>();

  const errorMap: z.core.$ZodErrorMap = (issue) => {
    if (issue.code === 'unrecognized_keys' && issue.inst instanceof z.ZodObject) {
      acceptedKeys.set(formatKeyPath(issue.path ?? []), Object.keys(issue.inst.shape));
    }
    return expectedForm(issue);
  };

  const toConfigIssues = (
    issues: readonly z.core.$ZodIssue[],
    secretPaths: readonly KeyPath[],
    templates: ReadonlyMap<string, string> = new Map(),
  ): ConfigIssue[] =>
    issues.flatMap((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) =>
          unknownKeyIssue(issue.path, key, acceptedKeys.get(formatKeyPath(issue.path)) ?? []),
        );
      }
      const { path, value } = offendingValue(issue);
      const key = formatKeyPath(path);
      if (!secretPaths.some((secret) => isWithin(secret, path)))
        return [{ path: key, message: `${issue.message}, got ${displayValue(value)}` }];
      // Say where the value came from (the placeholder, which is in the file anyway), not what it is.
      const template = templates.get(key);
      const shown =
        template === undefined ? SECRET : `${JSON.stringify(template)} (the substituted value is not shown)`;
      return [{ path: key, message: `${issue.message}, got ${shown}` }];
    });

  return { errorMap, toConfigIssues };
}

function unknownKeyIssue(objectPath: KeyPath, key: string, accepted: readonly string[]): ConfigIssue {
  const suggestion = closestMatch(key, accepted);
  const hint =
    suggestion !== undefined
      ? ` (did you mean ${JSON.stringify(suggestion)}?)`
      : accepted.length > 0
        ? ` (expected one of ${accepted.map((k) => JSON.stringify(k)).join(', ')})`
        : '';
  return { path: formatKeyPath([...objectPath, key]), message: `unknown key${hint}` };
}

/** Where the offending value is and what it is; a failed discriminator reports the discriminator field itself. */
function offendingValue(issue: z.core.$ZodIssue): { path: KeyPath; value: unknown } {
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
    const input = issue.input;
    const value =
      typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[issue.discriminator] : undefined;
    const path = issue.path.at(-1) === issue.discriminator ? issue.path : [...issue.path, issue.discriminator];
    return { path, value };
  }
  return { path: issue.path, value: issue.input };
}

/** `expected <form>` for the issue kinds a config schema produces; undefined falls back to zod's wording. */
function expectedForm(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${typeNoun(issue.expected)}`;
    case 'invalid_value':
      return `expected ${oneOf(issue.values)}`;
    case 'invalid_union':
      // A discriminator with a default is listed as undefined among the options; it is not a spelling.
      return issue.discriminator !== undefined && Array.isArray(issue.options)
        ? `expected ${oneOf(issue.options.filter((option: unknown) => option !== undefined && option !== null))}`
        : undefined;
    case 'too_small':
      return `expected ${sizeBound(issue.origin, 'at least', issue.minimum)}`;
    case 'too_big':
      return `expected ${sizeBound(issue.origin, 'at most', issue.maximum)}`;
    case 'invalid_format':
      if (issue.format === 'starts_with' && typeof issue.prefix === 'string')
        return `expected a string starting with ${JSON.stringify(issue.prefix)}`;
      return issue.pattern !== undefined
        ? `expected a string matching ${issue.pattern}`
        : `expected a valid ${issue.format}`;
    case 'unrecognized_keys':
      return 'unknown key';
    default:
      return undefined;
  }
}

function typeNoun(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping (key: value)';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    default:
      return `a ${expected}`;
  }
}

function oneOf(values: readonly unknown[]): string {
  const listed = values.map((value) => JSON.stringify(value));
  return listed.length === 1 ? listed[0] : `one of ${listed.join(', ')}`;
}

function sizeBound(origin: string, relation: string, bound: number | bigint): string {
  switch (origin) {
    case 'string':
      return `a string of ${relation} ${bound} characters`;
    case 'array':
      return `a list of ${relation} ${bound} items`;
    default:
      return `a value ${relation} ${bound}`;
  }
}

/** JSON, cut to about 80 characters; `nothing` for a missing value. */
function displayValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON has no spelling for these; YAML can produce .inf and .nan.
  const text =
    typeof value === 'number' && !Number.isFinite(value)
      ? String(value)
      : (JSON.stringify(value, (_key, item: unknown) =>
          typeof item === 'number' && !Number.isFinite(item) ? String(item) : item,
        ) ?? String(value));
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}
