// The AMPS-syntax parser: what it refuses, with a FilterError naming the construct and its
// position (a 1-based character column), the limits it shares with the JSONata syntax, and the
// syntax-level rules (case-insensitive keywords, quotes, paths, precedence).
import { describe, expect, it } from 'vitest';
import { filterFor } from '../../../server/content/content-rules.js';
import { compileFilterWithSyntax, FilterError } from '../../../server/content/filter/index.js';

const amps = (expression: string) => compileFilterWithSyntax(expression, 'amps');

function rejection(expression: unknown): FilterError {
  try {
    amps(expression as string);
  } catch (err) {
    expect(err).toBeInstanceOf(FilterError);
    return err as FilterError;
  }
  throw new Error(`expected ${JSON.stringify(expression)} to be rejected`);
}

describe('AMPS-syntax filters are rejected by name and position', () => {
  const cases: readonly (readonly [expression: string, message: string, construct: string, position: number])[] = [
    // From the AMPS User Guide: a backreference (AMPS Expressions › LIKE Operator), functions
    // (AMPS Functions › String Comparison Functions), an XML attribute (AMPS Expressions › Identifiers).
    [
      "/state LIKE '(.)\\1'",
      'unsupported construct in filter: regex backreference \\1 (position 13)',
      'regex backreference \\1',
      13,
    ],
    [
      'INSTR(/eventLevels, "critical") != 0',
      'unsupported construct in filter: function INSTR(...) (position 1); the AMPS syntax maps operators only; the JSONata syntax has $lowercase, $uppercase, $length, $contains',
      'function INSTR(...)',
      1,
    ],
    [
      "STREQUAL_I(/couponCode, 'QED') == 1",
      'unsupported construct in filter: function STREQUAL_I(...) (position 1); the AMPS syntax maps operators only; the JSONata syntax has $lowercase, $uppercase, $length, $contains',
      'function STREQUAL_I(...)',
      1,
    ],
    [
      "/Order/@update = 'full'",
      'unsupported construct in filter: XML attribute step @update (position 8); a JSON message has no attributes',
      'XML attribute step @update',
      8,
    ],
    [
      '/px >',
      'filter does not parse: expected a field, a literal or (, found the end of the filter (position 6)',
      'syntax',
      6,
    ],
    ["/a = 'EU", 'filter does not parse: unterminated string (position 6)', 'syntax', 6],
    ['/a ! 1', 'filter does not parse: unexpected character "!"; negation is NOT (position 4)', 'syntax', 4],
    [
      '/a = NULL',
      'unsupported construct in filter: NULL outside IS NULL (position 6); a comparison with NULL is never TRUE in AMPS: write /x IS NULL or /x IS NOT NULL',
      'NULL outside IS NULL',
      6,
    ],
    [
      "/a = 'x\\ty'",
      'unsupported construct in filter: backslash in a string (position 6); only a LIKE pattern may hold one (a regex escape)',
      'backslash in a string',
      6,
    ],
    [
      "/a BEGINS WITH ('x\\y')",
      'unsupported construct in filter: backslash in a string (position 17); only a LIKE pattern may hold one (a regex escape)',
      'backslash in a string',
      17,
    ],
    [
      '//a = 1',
      'unsupported construct in filter: XPath descendant step // (position 1)',
      'XPath descendant step //',
      1,
    ],
    ['/a/* = 1', 'unsupported construct in filter: XPath wildcard * (position 4)', 'XPath wildcard *', 4],
    ['/a/.. = 1', 'unsupported construct in filter: XPath step .. (position 4)', 'XPath step ..', 4],
    [
      '/a[x] = 1',
      'unsupported construct in filter: subscript [...] other than a number (position 3); write /a[0], /a[1], ...',
      'subscript [...] other than a number',
      3,
    ],
    [
      '/a[-1] = 1',
      'unsupported construct in filter: subscript [...] other than a number (position 3); write /a[0], /a[1], ...',
      'subscript [...] other than a number',
      3,
    ],
    [
      '/a < /b < /c',
      'unsupported construct in filter: chained comparison < (position 9); join comparisons with AND',
      'chained comparison <',
      9,
    ],
    [
      '/a LIKE /b',
      'unsupported construct in filter: LIKE with a pattern that is not a string literal (position 9)',
      'LIKE with a pattern that is not a string literal',
      9,
    ],
    [
      '/a BEGINS WITH (/b)',
      'unsupported construct in filter: BEGINS WITH of something other than a string literal (position 17)',
      'BEGINS WITH of something other than a string literal',
      17,
    ],
    [
      "/a LIKE '(?s)a.b'",
      'unsupported construct in filter: regex flags (?s) (position 9); only (?i) and (?m) are supported',
      'regex flags (?s)',
      9,
    ],
    [
      "/a LIKE 'x(?i)y'",
      'filter does not parse: LIKE pattern is not a valid regex: Invalid regular expression: /x(?i)y/: Invalid group; inline flags such as (?i) are only read at the start (position 9)',
      'syntax',
      9,
    ],
    [
      "/a LIKE 'a++'",
      'filter does not parse: LIKE pattern is not a valid regex: Invalid regular expression: /a++/: Nothing to repeat (position 9)',
      'syntax',
      9,
    ],
    [
      "/a LIKE '(?=x)'",
      'unsupported construct in filter: regex group (?= (position 9); only (...) and (?:...) groups are supported',
      'regex group (?=',
      9,
    ],
    [
      "/a LIKE '\\Aabc'",
      'unsupported construct in filter: regex escape \\A (position 9); JavaScript reads it as a plain "A"',
      'regex escape \\A',
      9,
    ],
    [
      '/a BETWEEN 1 OR 2',
      'filter does not parse: expected AND between the bounds of BETWEEN, found OR (position 14)',
      'syntax',
      14,
    ],
    ['/a IS 1', 'filter does not parse: expected NULL or NOT NULL after IS, found number 1 (position 7)', 'syntax', 7],
    [
      '/a NOT = 1',
      'filter does not parse: expected IN, BETWEEN, LIKE, BEGINS WITH or ENDS WITH after NOT, found = (position 8)',
      'syntax',
      8,
    ],
    ['/a IN ()', 'filter does not parse: expected a field, a literal or (, found ) (position 8)', 'syntax', 8],
    [
      '(/a = 1',
      'filter does not parse: expected ) to close the ( at position 1, found the end of the filter (position 8)',
      'syntax',
      8,
    ],
    ['/a = 1 /b = 2', 'filter does not parse: expected a field, a literal or (, found b (position 9)', 'syntax', 9],
    ['region = 1', 'filter does not parse: expected a field, a literal or (, found region (position 1)', 'syntax', 1],
    [
      '[my field] = 1',
      'filter does not parse: expected a bracketed field name such as [/my field] (position 1)',
      'syntax',
      1,
    ],
    ['/a = 1e', 'filter does not parse: malformed number "1e" (position 6)', 'syntax', 6],
    ['/px + 1', 'filter can never be true: it yields a number, never true (position 5)', 'non-boolean result', 5],
    ["'EU'", 'filter can never be true: it yields a string, never true (position 1)', 'non-boolean result', 1],
  ];

  it.each(cases)('%s', (expression, message, construct, position) => {
    const error = rejection(expression);
    expect(error.message).toBe(message);
    expect(error.construct).toBe(construct);
    expect(error.position).toBe(position);
  });

  it('refuses a regex RE2 cannot run in linear time, as the JSONata syntax does', () => {
    expect(rejection("/sym LIKE 'a{1001}'").construct).toBe('regex');
    expect(rejection("/sym LIKE '\\w{999}'").construct).toBe('regex complexity');
    expect(rejection(`/sym LIKE '${'a'.repeat(513)}'`).construct).toBe('regex length');
  });
});

describe('AMPS-syntax limits, shared with the JSONata syntax', () => {
  it('rejects an expression longer than 4096 characters', () => {
    const long = `/sym = '${'x'.repeat(4088)}'`;
    expect(long.length).toBe(4097);
    expect(rejection(long).message).toBe('filter is longer than 4096 characters');
    expect(amps(long.slice(0, 4095) + "'").source).toHaveLength(4096);
  });

  it('rejects an AST deeper than 64 levels, counting what the predicates expand to', () => {
    const nested = (blocks: number): string => `${'('.repeat(blocks)}/px > 1${')'.repeat(blocks)}`;
    // 62 blocks + the comparison + its operands = 64 levels, as in the JSONata syntax.
    expect(() => amps(nested(62))).not.toThrow();
    const error = rejection(nested(63));
    expect(error.construct).toBe('nesting depth');
    expect(error.message).toMatch(/^filter nests deeper than 64 levels \(position \d+\)$/);
    // IS NULL is `$not($exists(x)) or x = null`: three levels above the field.
    expect(() => amps(`${'('.repeat(60)}/px IS NULL${')'.repeat(60)}`)).not.toThrow();
    expect(rejection(`${'('.repeat(61)}/px IS NULL${')'.repeat(61)}`).construct).toBe('nesting depth');
    const chain = Array.from({ length: 70 }, (_, i) => `/sym = '${i}'`).join(' OR ');
    expect(rejection(chain).construct).toBe('nesting depth');
    // ...which IN avoids: one level, whatever the length of the list.
    expect(() => amps(`/sym IN (${Array.from({ length: 500 }, (_, i) => `'${i}'`).join(', ')})`)).not.toThrow();
  });

  it('bounds its own recursion on deep input before building anything', () => {
    expect(rejection(`${'('.repeat(2000)}/a = 1${')'.repeat(2000)}`).construct).toBe('nesting depth');
    expect(rejection(`${'NOT '.repeat(1000)}/a = 1`).construct).toBe('nesting depth');
    expect(rejection(`/a = ${'-'.repeat(1000)}1`).construct).toBe('nesting depth');
  });

  it('rejects a filter that is not a string, and an unknown syntax', () => {
    expect(rejection(42).message).toBe('filter must be a string');
    expect(() => compileFilterWithSyntax('/a = 1', 'sql' as never)).toThrow(
      new FilterError('unknown filter syntax "sql": expected jsonata or amps', 'filter syntax'),
    );
  });
});

describe('AMPS syntax', () => {
  it('reads keywords in any case', () => {
    const message = { region: 'EU', side: 'B', note: null, px: 15, sym: 'EURUSD' };
    for (const filter of [
      "/region = 'EU' AND /side IN ('B') AND /note IS NULL AND /px BETWEEN 10 AND 20 AND NOT /sym LIKE '^2'",
      "/region = 'EU' and /side in ('B') and /note is null and /px between 10 and 20 and not /sym like '^2'",
      "/region = 'EU' And /side In ('B') And /note Is Null And /px Between 10 And 20 And Not /sym Like '^2'",
    ])
      expect(amps(filter).test(message), filter).toBe(true);
    expect(amps('true').test({})).toBe(true);
    expect(amps('False').test({})).toBe(false);
  });

  it('keeps field names as written, case and all', () => {
    expect(amps("/Region = 'EU'").test({ region: 'EU' })).toBe(false);
    expect(amps("/AND = 'EU'").test({ AND: 'EU' })).toBe(true);
  });

  it('reads strings in single or double quotes, a quote written twice standing for itself', () => {
    expect(amps("/a = 'it''s'").test({ a: "it's" })).toBe(true);
    expect(amps('/a = "say ""hi"""').test({ a: 'say "hi"' })).toBe(true);
    expect(amps('/a = "it\'s"').test({ a: "it's" })).toBe(true);
  });

  it('reads paths as XPath names: digits, "-" and "." belong to a name, so "-" needs spaces to subtract', () => {
    expect(amps('/55 = 1').test({ 55: 1 })).toBe(true);
    expect(amps('/a-b = 1').test({ 'a-b': 1 })).toBe(true);
    expect(amps('/a - /b = 1').test({ a: 3, b: 2 })).toBe(true);
    expect(amps('/a.b = 1').test({ 'a.b': 1, a: { b: 2 } })).toBe(true);
    expect(amps('/é/ü = 1').test({ é: { ü: 1 } })).toBe(true);
    expect(amps('[/a b/c d][1] = 2').test({ 'a b': { 'c d': [1, 2] } })).toBe(true);
    expect(amps('/a / /b = 2').test({ a: 4, b: 2 })).toBe(true);
    expect(amps('/a/2 = 1').test({ a: { 2: 1 } })).toBe(true);
  });

  it('binds NOT looser than a comparison, AND tighter than OR, * tighter than +', () => {
    expect(amps('NOT /a = 1 AND /b = 1').test({ a: 2, b: 1 })).toBe(true);
    expect(amps('/a = 1 OR /b = 1 AND /c = 1').test({ a: 1 })).toBe(true);
    expect(amps('(/a = 1 OR /b = 1) AND /c = 1').test({ a: 1 })).toBe(false);
    expect(amps('/a + /b * 2 = 7').test({ a: 1, b: 3 })).toBe(true);
    expect(amps('-/a = -2').test({ a: 2 })).toBe(true);
    expect(amps('/a = -2.5e1').test({ a: -25 })).toBe(true);
  });

  it('applies NOT to the predicates, so a missing field never makes a negation true', () => {
    const missing = {};
    for (const filter of [
      'NOT /x = 1',
      'NOT /x != 1',
      'NOT /x > 1',
      'NOT /x IN (1, 2)',
      '/x NOT IN (1, 2)',
      'NOT /x BETWEEN 1 AND 2',
      '/x NOT BETWEEN 1 AND 2',
      "NOT /x LIKE 'a'",
      "/x NOT LIKE 'a'",
      "/x NOT BEGINS WITH ('a')",
      'NOT (/x = 1 OR /y = 2)',
      'NOT NOT /x != 1',
    ])
      expect(amps(filter).test(missing), filter).toBe(false);
    // IS NULL is never unknown: it is TRUE or FALSE, and so is its NOT.
    expect(amps('NOT /x IS NULL').test(missing)).toBe(false);
    expect(amps('NOT /x IS NOT NULL').test(missing)).toBe(true);
    expect(amps('NOT NOT /x IS NULL').test(missing)).toBe(true);
    expect(amps('NOT (/x = 1 AND /y = 2)').test({ x: 2 })).toBe(true);
  });
});

describe('compiled filters are kept per syntax', () => {
  it('compiles the same text once per syntax, never one for the other', () => {
    // `TRUE` is the literal in the AMPS syntax, and a field named TRUE in JSONata.
    expect(filterFor('TRUE', 'amps').test({})).toBe(true);
    expect(filterFor('TRUE', 'jsonata').test({})).toBe(false);
    expect(filterFor('TRUE', 'jsonata').test({ TRUE: true })).toBe(true);
    expect(filterFor('TRUE', 'amps')).toBe(filterFor('TRUE', 'amps'));
    expect(filterFor('TRUE', 'amps').syntax).toBe('amps');
    expect(filterFor('TRUE', 'jsonata').syntax).toBe('jsonata');
  });
});
