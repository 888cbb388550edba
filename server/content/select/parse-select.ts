// Parses select list text (`-/,+/b,+/c/c2`) into steps. Runs once per distinct list, never per
// message; every refusal is a SelectError naming the step.
import { ESCAPABLE, isStepWhitespace } from './field-escape.js';

/** A malformed or over-limit select list. Messages name the step (1-based) and quote it: lists come from operators and subscribers who must fix them. */
export class SelectError extends Error {
  override readonly name = 'SelectError';
}

// Bounds on a select list, so compiling a hostile one costs a bounded amount of work.
/** Same bound as the protocol's other content expressions (filters). */
export const MAX_SELECT_LIST_LENGTH = 4096;
export const MAX_SELECT_STEPS = 256;

/** One parsed step of a select list: include (`+`) or exclude (`-`) the field at `path`. */
export interface SelectStep {
  readonly include: boolean;
  /** Field names from the document root; empty for `+/` and `-/` (the whole document). */
  readonly path: readonly string[];
}

export function parseSelect(list: string): SelectStep[] {
  if (list.length > MAX_SELECT_LIST_LENGTH) {
    throw new SelectError(`select list is longer than ${MAX_SELECT_LIST_LENGTH} characters`);
  }
  if (isBlank(list)) throw new SelectError('select list is empty');
  const steps: SelectStep[] = [];
  let start = 0;
  for (;;) {
    if (steps.length === MAX_SELECT_STEPS) throw new SelectError(`select list has more than ${MAX_SELECT_STEPS} steps`);
    const end = stepEnd(list, start);
    steps.push(parseStep(trimStep(list.slice(start, end)), steps.length + 1));
    if (end === list.length) return steps;
    start = end + 1;
  }
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isStepWhitespace(text[i]!)) return false;
  return true;
}

/** Index of the next unescaped `,` at or after `from`, or the end of the list. */
function stepEnd(list: string, from: number): number {
  for (let i = from; i < list.length; i++) {
    const char = list[i];
    if (char === '\\') i++;
    else if (char === ',') return i;
  }
  return list.length;
}

/** Drops whitespace around a step, but not an escaped trailing space (`+/a\ `). */
function trimStep(raw: string): string {
  let start = 0;
  while (start < raw.length && isStepWhitespace(raw[start]!)) start++;
  let end = raw.length;
  while (end > start && isStepWhitespace(raw[end - 1]!) && !isEscaped(raw, end - 1)) end--;
  return raw.slice(start, end);
}

/** True when the character at `index` follows an odd run of backslashes. */
function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

function parseStep(text: string, number: number): SelectStep {
  const quoted = JSON.stringify(text);
  if (text === '') throw new SelectError(`select list step ${number} is empty`);
  const sign = text[0];
  if ((sign !== '+' && sign !== '-') || text[1] !== '/') {
    throw new SelectError(`select list step ${number} ${quoted} must start with "+/" or "-/"`);
  }
  return { include: sign === '+', path: text.length === 2 ? [] : parsePath(text, number, quoted) };
}

/** Splits the path after the leading `+/` or `-/` into unescaped field names. */
function parsePath(text: string, number: number, quoted: string): string[] {
  const path: string[] = [];
  let field = '';
  for (let i = 2; i <= text.length; i++) {
    const char = text[i];
    if (char === undefined || char === '/') {
      if (field === '') throw new SelectError(`select list step ${number} ${quoted} has an empty field name`);
      path.push(field);
      field = '';
    } else if (char === '\\') {
      const escaped = text[++i];
      if (escaped === undefined)
        throw new SelectError(`select list step ${number} ${quoted} ends with an unfinished escape "\\"`);
      if (!ESCAPABLE.has(escaped)) {
        throw new SelectError(
          `select list step ${number} ${quoted} has an unknown escape ${JSON.stringify(`\\${escaped}`)} (only \\ / , | and whitespace may be escaped)`,
        );
      }
      field += escaped;
    } else {
      field += char;
    }
  }
  return path;
}
