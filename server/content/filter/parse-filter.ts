// Parses a filter with jsonata's own parser, never a hand-written one, so the filter language is
// exactly JSONata's expression syntax. Returns jsonata's raw AST for filter-ast to narrow.
import jsonata from 'jsonata';
import { FilterError } from './filter-error.js';
import { MAX_FILTER_LENGTH } from './filter-limits.js';

export function parseFilter(expression: unknown): unknown {
  if (typeof expression !== 'string') throw new FilterError('filter must be a string', 'type');
  if (expression.length > MAX_FILTER_LENGTH) {
    throw new FilterError(`filter is longer than ${MAX_FILTER_LENGTH} characters`, 'expression length');
  }
  try {
    return jsonata(expression).ast();
  } catch (err) {
    // jsonata throws plain objects { code, message, position, token }; deep nesting a RangeError.
    const position = readNumber(err, 'position');
    const where = position === undefined ? '' : ` (position ${position})`;
    throw new FilterError(`filter does not parse: ${readMessage(err)}${where}`, 'syntax', position);
  }
}

function readMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string')
    return err.message;
  return String(err);
}

function readNumber(err: unknown, key: string): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const value: unknown = (err as Record<string, unknown>)[key];
  return typeof value === 'number' ? value : undefined;
}
