// Select list syntax: what parses to which steps, and the exact message for each refusal.
import { describe, expect, it } from 'vitest';
import {
  compileSelect,
  MAX_SELECT_LIST_LENGTH,
  MAX_SELECT_STEPS,
  parseSelect,
  SelectError,
} from '../../../server/content/select/index.js';

function errorOf(list: string): SelectError {
  try {
    compileSelect(list);
  } catch (err) {
    expect(err).toBeInstanceOf(SelectError);
    return err as SelectError;
  }
  throw new Error(`compiled: ${JSON.stringify(list)}`);
}

describe('select list parsing', () => {
  it('parses signs, the root, nested paths and escapes', () => {
    expect(parseSelect('-/,+/b,+/c/c2,-/a\\/b\\,c\\\\')).toStrictEqual([
      { include: false, path: [] },
      { include: true, path: ['b'] },
      { include: true, path: ['c', 'c2'] },
      { include: false, path: ['a/b,c\\'] },
    ]);
  });

  it('trims JSON whitespace around steps but keeps it inside names and when escaped', () => {
    expect(parseSelect(' \t+/a b \r\n, -/ c\\ ')).toStrictEqual([
      { include: true, path: ['a b'] },
      { include: false, path: [' c '] },
    ]);
    // Only JSON's four whitespace characters are trimmed: a no-break space is part of the name.
    expect(parseSelect('+/a\u00a0')).toStrictEqual([{ include: true, path: ['a\u00a0'] }]);
  });

  it('accepts the limits exactly', () => {
    const steps = Array.from({ length: MAX_SELECT_STEPS }, (_, i) => `-/f${i}`).join(',');
    expect(parseSelect(steps)).toHaveLength(MAX_SELECT_STEPS);
    const long = `+/${'x'.repeat(MAX_SELECT_LIST_LENGTH - 2)}`;
    expect(long).toHaveLength(MAX_SELECT_LIST_LENGTH);
    expect(parseSelect(long)[0]!.path[0]).toHaveLength(MAX_SELECT_LIST_LENGTH - 2);
  });
});

describe('select list errors', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['', 'select list is empty'],
    [' \t\r\n', 'select list is empty'],
    ['+/a,*/a', 'select list step 2 "*/a" must start with "+/" or "-/"'],
    ['a', 'select list step 1 "a" must start with "+/" or "-/"'],
    ['/a', 'select list step 1 "/a" must start with "+/" or "-/"'],
    ['+a', 'select list step 1 "+a" must start with "+/" or "-/"'],
    ['+', 'select list step 1 "+" must start with "+/" or "-/"'],
    ['+ /a', 'select list step 1 "+ /a" must start with "+/" or "-/"'],
    ['+/a,,-/b', 'select list step 2 is empty'],
    ['+/a,', 'select list step 2 is empty'],
    [',+/a', 'select list step 1 is empty'],
    ['+/a, ,+/b', 'select list step 2 is empty'],
    ['+//a', 'select list step 1 "+//a" has an empty field name'],
    ['-/a//b', 'select list step 1 "-/a//b" has an empty field name'],
    ['-/a/', 'select list step 1 "-/a/" has an empty field name'],
    ['-/a/b/ ', 'select list step 1 "-/a/b/" has an empty field name'],
    ['-/a\\', 'select list step 1 "-/a\\\\" ends with an unfinished escape "\\"'],
    [
      '+/b,-/a\\x',
      'select list step 2 "-/a\\\\x" has an unknown escape "\\\\x" (only \\ / , | and whitespace may be escaped)',
    ],
    ['+/a\nb,+/\u0000c,*', 'select list step 3 "*" must start with "+/" or "-/"'],
    ['*\n', 'select list step 1 "*" must start with "+/" or "-/"'],
    ['*\u0001', 'select list step 1 "*\\u0001" must start with "+/" or "-/"'],
  ];

  for (const [list, message] of cases) {
    it(`refuses ${JSON.stringify(list)}`, () => {
      const err = errorOf(list);
      expect(err.message).toBe(message);
      expect(err.name).toBe('SelectError');
    });
  }

  it(`refuses more than ${MAX_SELECT_STEPS} steps`, () => {
    const steps = Array.from({ length: MAX_SELECT_STEPS + 1 }, () => '-/a').join(',');
    expect(errorOf(steps).message).toBe('select list has more than 256 steps');
  });

  it('counts an empty trailing step against the step limit', () => {
    const steps = `${Array.from({ length: MAX_SELECT_STEPS }, () => '-/a').join(',')},`;
    expect(errorOf(steps).message).toBe('select list has more than 256 steps');
  });

  it(`refuses a list longer than ${MAX_SELECT_LIST_LENGTH} characters before looking at it`, () => {
    expect(errorOf(`+/${'x'.repeat(MAX_SELECT_LIST_LENGTH - 1)}`).message).toBe(
      'select list is longer than 4096 characters',
    );
    expect(errorOf('*'.repeat(MAX_SELECT_LIST_LENGTH + 1)).message).toBe('select list is longer than 4096 characters');
  });
});
