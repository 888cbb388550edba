// Anything outside the compiled subset is rejected when the filter is given, with a FilterError
// that names the construct, never discovered on the message path.
import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError } from '../../../server/content/filter/index.js';

function rejection(expression: unknown): FilterError {
  try {
    compileFilter(expression as string);
  } catch (err) {
    expect(err).toBeInstanceOf(FilterError);
    return err as FilterError;
  }
  throw new Error(`expected ${JSON.stringify(expression)} to be rejected`);
}

describe('unsupported JSONata constructs are rejected by name', () => {
  const cases: readonly (readonly [expression: string, construct: string])[] = [
    ['$sum(x) > 1', 'function $sum'],
    ['$count(items) > 1', 'function $count'],
    ['$match(sym, /a/)', 'function $match'],
    ['x.$lowercase() = "a"', 'path step that is not a field name: call of $lowercase(...)'],
    ['$map(items, function($v) { $v.qty }) = 1', 'function $map'],
    ['function($v) { $v > 1 }', 'lambda function(...) {...}'],
    ['$x := 1', 'variable binding :='],
    ['($x := 1; px > $x)', 'block (...; ...) of several expressions'],
    ['$x = 1', 'variable $x'],
    ['$ = 1', 'context variable $'],
    ['$$.px > 1', 'path step that is not a field name: root variable $$'],
    ['* = 1', 'wildcard *'],
    ['desk.* = "EU"', 'path step that is not a field name: wildcard *'],
    ['** = 1', 'descendant wildcard **'],
    ['items.%.px = 1', 'parent operator %'],
    ['items^(qty).qty[0] = 1', 'path step that is not a field name: order-by ^(...)'],
    ['{"a": px} = 1', 'object constructor {...}'],
    ['{"a": px}.a = 1', 'path step that is not a field name: object constructor {...}'],
    ['items{name: qty}.a = 1', 'grouping {...}'],
    ['items@$i.qty = 1', 'focus variable binding @'],
    ['items#$i.qty = 1', 'positional variable binding #'],
    ['$ ~> |desk|{"region": "US"}|', 'function application ~>'],
    ['|desk|{"region": "US"}|', 'transform |...|...|'],
    ['sym ~> $contains("EU")', 'function application ~>'],
    ['$contains(?, "EU")', 'partial application ?'],
    ['items[qty > 1].name = "a"', 'predicate [...] other than a number literal index'],
    ['items["qty"] = 1', 'predicate [...] other than a number literal index'],
    ['items[0 + 1].qty = 1', 'predicate [...] other than a number literal index'],
    ['(items)[0] = 1', 'predicate [...] on an expression'],
    ['(items)[0].qty = 1', 'path step that is not a field name: block (...)'],
    ['items[] = 1', 'keep-array []'],
    ['x in [1..3]', 'range operator ..'],
    ['x in [px, 2]', 'array constructor with items that depend on the message'],
    ['not(flag)', 'call of not(...) without $'],
    ['exists(px)', 'call of exists(...) without $'],
    ['sym = /EU/', 'regex literal outside $contains(text, /pattern/)'],
    ['$contains(/EU/, sym)', 'regex literal outside $contains(text, /pattern/)'],
    ['$contains(sym)', 'function $contains with 1 argument'],
    ['$exists()', 'function $exists with 0 arguments'],
    ['$string(px, true) = "1"', 'function $string with 2 arguments'],
    ['$contains(sym, "a", 1)', 'function $contains with 3 arguments'],
  ];
  for (const [expression, construct] of cases) {
    it(`${expression}: ${construct}`, () => {
      const error = rejection(expression);
      expect(error.construct).toBe(construct);
      expect(error.message).toContain(`unsupported construct in filter: ${construct}`);
      expect(error.message).toMatch(/\(position \d+\)/);
    });
  }

  it('points not(...) at $not(...)', () => {
    expect(rejection('not(flag)').message).toContain("JSONata's function is $not(...)");
  });

  it('reports the position of the unsupported function', () => {
    const error = rejection('px > 1 and $sum(x) > 1');
    expect(error.message).toBe('unsupported construct in filter: function $sum (position 15)');
    expect(error.position).toBe(15);
  });
});

describe('regex literals', () => {
  const cases: readonly (readonly [expression: string, construct: string])[] = [
    ['$contains(sym, /(a)\\1/)', 'regex backreference \\1'],
    ['$contains(sym, /(?=a)/)', 'regex group (?='],
    ['$contains(sym, /(?<=a)b/)', 'regex group (?<'],
    ['$contains(sym, /\\pL/)', 'regex escape \\p'],
    ['$contains(sym, /\\z/)', 'regex escape \\z'],
    ['$contains(sym, /\\Qa.b\\E/)', 'regex escape \\Q'],
    ['$contains(sym, /[[:alpha:]]/)', 'regex [: inside a character class'],
    ['$contains(sym, /a[]/)', 'regex empty character class [] or [^]'],
    ['$contains(sym, /[^]/)', 'regex empty character class [] or [^]'],
    ['$contains(sym, /[\\S]/)', 'regex escape \\S inside a character class'],
    ['$contains(sym, /[\\b]/)', 'regex escape \\b inside a character class'],
    ['$contains(sym, /[a-\\s]/)', 'regex \\s next to - inside a character class'],
    ['$contains(sym, /\\x4/)', 'regex escape \\x without two hex digits'],
    ['$contains(sym, /\\ud83d/)', 'regex surrogate escape \\ud83d'],
    ['$contains(sym, /\\012/)', 'regex octal escape \\01'],
    ['$contains(sym, /\\cA/)', 'regex escape \\c'],
  ];
  for (const [expression, construct] of cases) {
    it(`${expression}: ${construct}`, () => {
      expect(rejection(expression).construct).toBe(construct);
    });
  }

  it('rejects what RE2 cannot compile, with its reason', () => {
    const error = rejection('$contains(sym, /a{1001}/)');
    expect(error.construct).toBe('regex');
    expect(error.message).toContain('regex in filter does not compile: invalid repeat count');
  });

  it('rejects a regex whose program is too large for linear matching to stay cheap', () => {
    const error = rejection('$contains(sym, /\\w{999}/)');
    expect(error.construct).toBe('regex complexity');
  });

  it('rejects a regex longer than 512 characters', () => {
    const error = rejection(`$contains(sym, /${'a'.repeat(513)}/)`);
    expect(error.construct).toBe('regex length');
    expect(() => compileFilter(`$contains(sym, /${'a'.repeat(512)}/)`)).not.toThrow();
  });
});

describe('limits and malformed input', () => {
  it("rejects an expression that does not parse, with jsonata's message", () => {
    const error = rejection('px > ');
    expect(error.construct).toBe('syntax');
    expect(error.message).toBe('filter does not parse: Unexpected end of expression (position 5)');
    expect(rejection('sym = "EU').message).toMatch(/^filter does not parse: String literal must be terminated/);
    expect(rejection('').construct).toBe('syntax');
  });

  it('rejects an expression longer than 4096 characters', () => {
    const long = `sym = "${'x'.repeat(4089)}"`;
    expect(long.length).toBe(4097);
    const error = rejection(long);
    expect(error.message).toBe('filter is longer than 4096 characters');
    expect(error.construct).toBe('expression length');
    expect(compileFilter(long.slice(0, 4095) + '"').source).toHaveLength(4096);
  });

  it('rejects an AST deeper than 64 levels', () => {
    const nested = (depth: number): string => `${'('.repeat(depth - 2)}px > 1${')'.repeat(depth - 2)}`;
    // 62 blocks + the comparison + its operands = 64 levels.
    expect(() => compileFilter(nested(64))).not.toThrow();
    const error = rejection(nested(65));
    expect(error.construct).toBe('nesting depth');
    expect(error.message).toMatch(/^filter nests deeper than 64 levels/);
    const chain = Array.from({ length: 70 }, (_, i) => `sym = "${i}"`).join(' or ');
    expect(rejection(chain).construct).toBe('nesting depth');
  });

  it("survives nesting deep enough to overflow jsonata's own parser", () => {
    const error = rejection(`${'('.repeat(2000)}1${')'.repeat(2000)}`);
    expect(['syntax', 'nesting depth']).toContain(error.construct);
  });

  it('rejects a filter that is not a string', () => {
    expect(rejection(42).construct).toBe('type');
    expect(rejection(undefined).message).toBe('filter must be a string');
  });

  it('rejects a filter that can never be true', () => {
    const numeric = rejection('px + 1');
    expect(numeric.construct).toBe('non-boolean result');
    expect(numeric.message).toMatch(/^filter can never be true: it yields a number, never true/);
    expect(rejection('"EU"').message).toMatch(/yields a string/);
    expect(rejection('$lowercase(sym)').message).toMatch(/yields a string/);
    expect(rejection('[1, 2]').message).toMatch(/yields an array/);
    expect(rejection('"a" < 1').message).toMatch(/always fails or yields nothing/);
    // A path or a literal boolean may be true, so it is accepted.
    expect(compileFilter('flag').test({ flag: true })).toBe(true);
    expect(compileFilter('false').test({})).toBe(false);
  });
});
