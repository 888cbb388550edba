// Field builders shared by the schema. Substitution runs before validation, so any scalar may
// arrive as a string (`port: ${env:PORT}`); these accept the clean string spelling of a value
// and nothing looser (no whitespace, no "1e3", no "" -> 0 as z.coerce would allow).
import { z } from 'zod';

const INTEGER_STRING = /^-?\d+$/;

function integerFromString(value: unknown): unknown {
  return typeof value === 'string' && INTEGER_STRING.test(value) ? Number(value) : value;
}

function booleanFromString(value: unknown): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

/**
 * An integer in [min, max]; every failure (type, fraction, range) reports the same expected form.
 * Its input type (z.input) is number | string: the text of an integer, or a placeholder.
 */
export function integerField(min: number, max: number) {
  const expected = { error: `expected an integer from ${min} to ${max}` };
  return z.preprocess<unknown, z.ZodNumber, number | string>(
    integerFromString,
    z.number(expected).int(expected).min(min, expected).max(max, expected),
  );
}

/** A boolean, also written "true"/"false"; its input type is boolean | string (a placeholder, too). */
export function booleanField() {
  return z.preprocess<unknown, z.ZodBoolean, boolean | string>(
    booleanFromString,
    z.boolean({ error: 'expected true or false' }),
  );
}

/**
 * A string matching `pattern` and at most `maxLength` long; `expected` describes the form in words
 * because a regular expression is a poor error message.
 */
export function stringField(pattern: RegExp, maxLength: number, expected: string) {
  const error = { error: `expected ${expected}` };
  return z.string(error).max(maxLength, error).regex(pattern, error);
}
